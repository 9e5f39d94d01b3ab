import * as z from 'zod';
import { EU_AI_ACT_CATEGORIES, RISK_TIERS, SYSTEM_STATUSES } from '../domain/types.js';
import { artefactName, idOf, pageQuery, requiredText, text } from './common.js';

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
