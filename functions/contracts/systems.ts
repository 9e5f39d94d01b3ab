import * as z from 'zod';
import { EU_AI_ACT_CATEGORIES, RISK_TIERS, SYSTEM_STATUSES } from '../domain/types.js';
import { artefactName, idOf, pageQuery, requiredText, text } from './common.js';

const narrativeText = text(4000);
const narrativeList = z.array(requiredText(1000)).max(50);

/** The narrative sections of a model card (docs/model-cards.md): every member optional, empty when left out. */
const modelCardNarrativeFields = {
  intendedUsers: narrativeList,
  intendedUses: narrativeList,
  outOfScopeUses: narrativeList,
  limitations: narrativeList,
  tradeoffs: narrativeList,
  ethicalConsiderations: z
    .array(z.object({ name: requiredText(200), mitigationStrategy: requiredText(2000) }).strict())
    .max(50),
  fairnessAssessment: narrativeText,
  caveatsAndRecommendations: narrativeText,
  oversightProcedure: narrativeText,
  riskRationale: narrativeText,
  contacts: z
    .array(z.object({ name: requiredText(120), role: requiredText(120), contact: requiredText(300) }).strict())
    .max(20),
};

/** The model card narrative on create: members left out are empty. */
const modelCardNarrative = z
  .object({
    intendedUsers: modelCardNarrativeFields.intendedUsers.default([]),
    intendedUses: modelCardNarrativeFields.intendedUses.default([]),
    outOfScopeUses: modelCardNarrativeFields.outOfScopeUses.default([]),
    limitations: modelCardNarrativeFields.limitations.default([]),
    tradeoffs: modelCardNarrativeFields.tradeoffs.default([]),
    ethicalConsiderations: modelCardNarrativeFields.ethicalConsiderations.default([]),
    fairnessAssessment: modelCardNarrativeFields.fairnessAssessment.default(''),
    caveatsAndRecommendations: modelCardNarrativeFields.caveatsAndRecommendations.default(''),
    oversightProcedure: modelCardNarrativeFields.oversightProcedure.default(''),
    riskRationale: modelCardNarrativeFields.riskRationale.default(''),
    contacts: modelCardNarrativeFields.contacts.default([]),
  })
  .strict();

/** The model card narrative on PATCH: the members given replace the stored ones; the others stay. */
const modelCardNarrativePatch = z.object(modelCardNarrativeFields).partial().strict();

const euAiActFields = {
  intendedPurpose: requiredText(4000),
  dataSources: z.array(requiredText(300)).max(50),
  humanOversight: requiredText(4000),
};

export const createSystemRequest = z
  .object({
    name: requiredText(120),
    description: text(4000).default(''),
    ownerTeam: artefactName,
    owner: requiredText(120),
    riskTier: z.enum(RISK_TIERS),
    euAiActCategory: z.enum(EU_AI_ACT_CATEGORIES),
    domain: requiredText(120),
    ...euAiActFields,
    modelCard: modelCardNarrative.optional(),
  })
  .strict();

export const patchSystemRequest = z
  .object({
    description: text(4000),
    owner: requiredText(120),
    riskTier: z.enum(RISK_TIERS),
    euAiActCategory: z.enum(EU_AI_ACT_CATEGORIES),
    domain: requiredText(120),
    intendedPurpose: euAiActFields.intendedPurpose,
    dataSources: euAiActFields.dataSources,
    humanOversight: euAiActFields.humanOversight,
    status: z.enum(['active', 'deprecated']),
    modelCard: modelCardNarrativePatch,
    reason: requiredText(2000).describe(
      'why: recorded on the relaxation request when the patch lowers the risk tier or EU AI Act category',
    ),
  })
  .partial()
  .strict();

export const retireSystemRequest = z
  .object({ reason: requiredText(2000), replacementSystemId: idOf('sys').nullable().optional() })
  .strict();

/** A page of systems by name; with q, riskTier, euAiActCategory or status, only the systems that match. */
export const listSystemsQuery = z
  .object({
    ...pageQuery.shape,
    /** Case-insensitive substring of the name, owner team, owner, domain or id. */
    q: z.string().trim().max(200).optional(),
    riskTier: z.enum(RISK_TIERS).optional(),
    euAiActCategory: z.enum(EU_AI_ACT_CATEGORIES).optional(),
    status: z.enum(SYSTEM_STATUSES).optional(),
  })
  .strict();
