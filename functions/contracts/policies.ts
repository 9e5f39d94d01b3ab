// The policy-document routes (docs/architecture/policy.md): requests and the PolicyVersion response. The document
// of a request is checked by the domain (validatePolicyDraft), the one home of its rules, which names every field
// of a 400; the response describes the document exactly.
import * as z from 'zod';
import { DATASET_KINDS, MONITORING_FAILURE_ACTIONS, REVIEWER_ROLES, SEVERITIES } from '../domain/types.js';
import { metricName, pageOf, pageQuery, requiredText, text } from './common.js';

const timestamp = z.string().describe('ISO 8601 instant (UTC)');
const perTier = <T extends z.ZodType>(value: T) =>
  z.object({ low: value, medium: value, high: value, critical: value });
const roles = z.array(z.enum(REVIEWER_ROLES));
const severities = z.array(z.enum(SEVERITIES));

const tierRules = z.object({
  approvers: z
    .object(Object.fromEntries(REVIEWER_ROLES.map((r) => [r, z.number().int().optional()])))
    .describe('distinct approvers per required role (1 when not named)') as unknown as z.ZodType<
    Partial<Record<(typeof REVIEWER_ROLES)[number], number>>
  >,
  requiredDatasetKinds: z.array(z.enum(DATASET_KINDS)),
  thresholdFloors: z.array(z.object({ metric: metricName, floor: z.number() })),
  evalValidityHours: z.number().int().nullable(),
});

const policyDocumentResponse = z.object({
  version: z.number().int(),
  effectiveFrom: timestamp.optional().describe('the activation instant; absent until the version is active'),
  tiers: perTier(roles),
  stagingRoles: roles,
  blockingSeverities: severities,
  incidentBlocking: z.object({ production: perTier(severities), staging: severities }).optional(),
  monitoring: z.object({
    driftThresholds: z.array(
      z.object({
        metric: metricName,
        direction: z.enum(['min', 'max']),
        tolerance: z.number(),
        relative: z.boolean(),
      }),
    ),
    minCasesForDrift: z.number().int(),
    incidentSeverity: perTier(z.enum(SEVERITIES)),
    onFailure: perTier(z.enum(MONITORING_FAILURE_ACTIONS)),
    dailyBudget: z
      .number()
      .optional()
      .describe("USD a UTC day's monitoring runs may reserve (their estimates); absent: unlimited"),
    samples: z
      .object({
        windowHours: z.number().int(),
        minSamples: z.number().int(),
        tolerance: z.number(),
        maxSamples: z.number().int(),
      })
      .optional()
      .describe('monitoring of production samples (ADR 0042); absent: 24 h, 50 samples, tolerance 0.1, 2,000 scored'),
  }),
  reviewIntervalDays: perTier(z.number().int()),
  rollbackValidation: perTier(z.enum(['warn', 'block'])),
  modelCardRequired: perTier(z.boolean()),
  promotionRules: z.object({ production: perTier(tierRules), staging: tierRules }),
  governance: z.object({
    activationQuorum: z
      .number()
      .int()
      .describe('distinct governance approvals (not the author) that activating the next version needs, at least'),
  }),
});

const person = z.object({ userId: z.string(), name: z.string() });

// Not checked with `exact<PolicyVersion>()`: the contracts import only the domain's import-free vocabulary, and
// PolicyVersion lives with its rules (functions/domain/policy-version.ts); the e2e response check holds it.
export const policyVersionResponse = z.object({
  version: z.number().int(),
  status: z.enum(['draft', 'submitted', 'active', 'superseded', 'withdrawn']),
  baseVersion: z.number().int().nullable().describe('the version in force when this one was drafted'),
  document: policyDocumentResponse,
  documentHash: z.string().describe('hex SHA-256 of the canonical JSON of the document without effectiveFrom'),
  reason: z.string(),
  createdBy: person,
  createdAt: timestamp,
  submittedAt: timestamp.nullable(),
  approvals: z.array(
    z.object({ reviewerId: z.string(), name: z.string(), at: timestamp, reason: z.string().nullable() }),
  ),
  quorum: z.number().int().describe("approvals needed to activate: the larger of the base version's and its own"),
  activatedAt: timestamp.nullable(),
  activatedBy: person.nullable(),
  supersededAt: timestamp.nullable(),
});

export const policyListResponse = pageOf(policyVersionResponse).extend({
  active: policyVersionResponse.nullable().describe('the version in force (null only before the genesis)'),
});

export const listPoliciesQuery = pageQuery;

export const policyAuditQuery = pageQuery.extend({ order: z.enum(['asc', 'desc']).optional() }).strict();

/** A policy document as the caller writes it; the domain checks every field and names each problem. */
const policyDocumentRequest = z
  .record(z.string(), z.unknown())
  .describe('a policy document (GET /api/policies/{version} `.document`); version and effectiveFrom are ignored');

export const policyDraftRequest = z.object({ document: policyDocumentRequest, reason: requiredText(2000) }).strict();

export const policyDecisionRequest = z.object({ reason: text(2000).optional() }).strict();

export const policyVersionParams = z.object({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,5}$/, 'a policy version number (1 to 999999)')
    .describe('the policy version number'),
});
