// JSON Schemas of governance events (docs/events.md): one envelope, and per event type the shape of `data.after`
// the store writes. Loose objects: a writer may add members (receivers must ignore unknown ones), never drop the
// required ones. Published at GET /api/events/schemas and as files under docs/events/schemas/.
import * as z from 'zod';
import {
  EVENT_CATALOGUE,
  EVENT_SOURCE,
  EVENT_SPEC_VERSION,
  EVENT_TYPES,
  type GovernanceEventType,
} from '../domain/events.js';
import { ORGANISATION_CHAIN_ID, ULID_SOURCE } from '../domain/id-format.js';

const record = z.record(z.string(), z.unknown());
const status = z.string();
const hash = z.string().regex(/^[0-9a-f]{64}$/);
/** Content and snapshot hashes: `sha256:` and 64 hex digits. */
const contentHash = z.string().regex(/^sha256:[0-9a-f]{64}$/);

const actor = z.object({ userId: z.string(), name: z.string(), roles: z.array(z.string()) });

const artefactCreated = z.looseObject({
  name: z.string(),
  version: z.number().int(),
  contentHash: contentHash,
  status,
});
const artefactReviewed = z.looseObject({ status, contentHash: contentHash });
const approvalDecided = z.looseObject({ status, role: z.string(), candidateId: z.string(), snapshotHash: contentHash });
const statusOnly = z.looseObject({ status });
const evalFinished = z.looseObject({ status, metrics: record.optional() });
const incidentChange = z.looseObject({});
const monitoring = z.looseObject({ environment: z.string(), evalRunId: z.string() });
/** A field a change moves (ADR 0051): its path and both values, null where a rule is added or removed. */
const settingValue = z.union([z.string(), z.number(), z.boolean()]).nullable();
const settingChanges = z.array(z.object({ field: z.string(), from: settingValue, to: settingValue }));
const relaxationChange = z.looseObject({
  status,
  kind: z.string(),
  from: z.string(),
  to: z.string(),
  loosens: settingChanges.optional().describe('a sample-settings request: each field it loosens'),
});
/** A provider connection's version: where it calls and the reference to its secret (never the value). */
const providerConnectionChange = z.looseObject({
  name: z.string(),
  version: z.number().int(),
  provider: z.string(),
  secretRef: z.string().nullable(),
});

/** The shape of `data.after` of each event type (null where the store writes none). */
const AFTER: Record<GovernanceEventType, z.ZodType> = {
  'system.registered': z.looseObject({ name: z.string(), ownerTeam: z.string(), riskTier: z.string() }),
  'system.updated': record,
  'system.risk_tier_changed': record,
  'system.retired': z.looseObject({ status, replacementSystemId: z.string().nullable() }),
  'system.sample_settings_changed': z.looseObject({
    redaction: z.looseObject({ builtIn: z.array(z.string()), patterns: z.array(record) }),
    retentionDays: z.number().int(),
    loosens: settingChanges
      .optional()
      .describe(
        'fields the change loosens: non-empty only when a relaxation request was approved (the reason names it)',
      ),
    tightens: settingChanges.optional().describe('fields the change tightens'),
  }),
  'prompt.created': artefactCreated,
  'prompt.submitted': artefactReviewed,
  'prompt.approved': artefactReviewed,
  'prompt.rejected': artefactReviewed,
  'model_config.created': artefactCreated,
  'model_config.submitted': artefactReviewed,
  'model_config.approved': artefactReviewed,
  'model_config.rejected': artefactReviewed,
  'judge_config.created': artefactCreated,
  'judge_config.submitted': artefactReviewed,
  'judge_config.approved': artefactReviewed,
  'judge_config.rejected': artefactReviewed,
  'dataset.created': z.looseObject({
    name: z.string(),
    version: z.number().int(),
    kind: z.string(),
    caseCount: z.number().int(),
    contentHash: contentHash,
  }),
  'candidate.created': z.looseObject({ status, snapshotHash: contentHash, environment: z.string() }),
  'candidate.submitted': z.looseObject({ status, snapshotHash: contentHash }),
  'candidate.approval_requested': z.looseObject({
    status,
    requiredRoles: z.array(z.string()),
    approvalIds: z.array(z.string()),
  }),
  'candidate.approved': statusOnly,
  'candidate.rejected': statusOnly,
  'candidate.changes_requested': statusOnly,
  'candidate.approval_expired': z.looseObject({ status, expiredApprovalIds: z.array(z.string()) }),
  'candidate.approval_gate_failed': statusOnly,
  'candidate.superseded': z.looseObject({ status, supersededBy: z.string() }),
  'approval.approved': approvalDecided,
  'approval.rejected': approvalDecided,
  'approval.changes_requested': approvalDecided,
  'approval.expired': approvalDecided,
  'eval_run.queued': z.looseObject({ candidateStatus: z.string(), executor: z.string(), snapshotHash: contentHash }),
  'eval_run.started': statusOnly,
  'eval_run.aggregating': statusOnly,
  'eval_run.passed': evalFinished,
  'eval_run.failed': evalFinished,
  'eval_run.error': statusOnly,
  'release.promoted': z.looseObject({
    status,
    activeRelease: z.string(),
    environment: z.string(),
    promotionId: z.string(),
    snapshotHash: contentHash,
  }),
  'release.rolled_back': z.looseObject({
    status,
    activeRelease: z.string(),
    environment: z.string(),
    rollbackId: z.string(),
  }),
  'release.reactivated': z.looseObject({ status, environment: z.string(), rollbackId: z.string() }),
  'release.rollback_requested': z.looseObject({ environment: z.string(), incidentIds: z.array(z.string()) }),
  'release.rollback_started': z.looseObject({
    environment: z.string(),
    rollbackRequestId: z.string(),
    targetCandidateId: z.string(),
    validationRunId: z.string(),
  }),
  'release.rollback_blocked': z.looseObject({
    environment: z.string(),
    rollbackRequestId: z.string(),
    status: z.enum(['blocked', 'refused', 'error']),
    code: z.string(),
  }),
  'release.monitoring_clean': monitoring,
  'release.monitoring_failed': monitoring,
  'monitoring.samples_received': z.looseObject({
    environment: z.string(),
    count: z.number().int(),
    sampleIds: z.array(z.string()),
    from: z.string(),
    to: z.string(),
    redactions: z.record(z.string(), z.number().int()),
    retentionDays: z.number().int(),
    expiresAt: z.string(),
  }),
  'release.promotion_refused': z.looseObject({
    candidateId: z.string(),
    environment: z.string(),
    kind: z.enum(['promote', 'rollback']),
    reasons: z.array(z.object({ code: z.string(), message: z.string() })).min(1),
    refusedAt: z.string(),
    idempotencyKey: z.string().optional(),
  }),
  'incident.opened': z.looseObject({ severity: z.string(), status, title: z.string() }),
  'incident.updated': incidentChange,
  'incident.mitigating': incidentChange,
  'incident.resolved': z.looseObject({ status }),
  'relaxation.requested': relaxationChange,
  'relaxation.approved': relaxationChange,
  'relaxation.rejected': relaxationChange,
  'relaxation.withdrawn': relaxationChange,
  'relaxation.superseded': relaxationChange,
  'policy.draft_created': z.looseObject({
    status,
    baseVersion: z.number().int().nullable(),
    documentHash: hash,
    quorum: z.number().int(),
    loosens: settingChanges
      .optional()
      .describe('fields of monitoring.samples the version loosens against the one in force'),
  }),
  'policy.draft_updated': z.looseObject({
    documentHash: hash,
    quorum: z.number().int(),
    loosens: settingChanges
      .optional()
      .describe('fields of monitoring.samples the version loosens against the one in force'),
  }),
  'policy.submitted': z.looseObject({
    status,
    documentHash: hash,
    loosens: settingChanges
      .optional()
      .describe('fields of monitoring.samples the version loosens against the one in force'),
  }),
  'policy.approved': z.looseObject({
    approvals: z.number().int(),
    quorum: z.number().int(),
    documentHash: hash,
  }),
  'policy.withdrawn': statusOnly,
  'policy.activated': z.looseObject({
    status,
    version: z.number().int(),
    documentHash: hash,
    quorum: z.number().int(),
    loosens: settingChanges
      .optional()
      .describe('fields of monitoring.samples the version loosens against the one in force'),
  }),
  'provider_connection.registered': providerConnectionChange,
  'provider_connection.versioned': providerConnectionChange,
};

/** The envelope of every governance event; `type` is any catalogued type and `data` is loose. */
export const governanceEventEnvelope = z
  .object({
    specVersion: z.literal(EVENT_SPEC_VERSION),
    id: z
      .string()
      .regex(
        new RegExp(`^(?:sys_${ULID_SOURCE}|${ORGANISATION_CHAIN_ID}):[1-9]\\d*$`),
        `must be <systemId>:<seq> or ${ORGANISATION_CHAIN_ID}:<seq>`,
      ),
    type: z.enum(EVENT_TYPES as [GovernanceEventType, ...GovernanceEventType[]]),
    source: z.literal(EVENT_SOURCE),
    time: z.iso.datetime(),
    systemId: z
      .string()
      .nullable()
      .describe("the system whose chain holds the event; null for the organisation chain's (policy transitions)"),
    entity: z.object({ type: z.string(), id: z.string() }),
    actor,
    audit: z.object({ seq: z.number().int().min(1), hash }),
    data: z.object({ before: record.nullable(), after: record.nullable(), reason: z.string().nullable() }),
  })
  .meta({ title: 'Governance event', description: 'The envelope of every governance event (docs/events.md)' });

/** The schema of one event type: the envelope with its `type` fixed and its `data.after` shape. */
export function eventSchemaOf(type: GovernanceEventType) {
  const entity = EVENT_CATALOGUE[type].entity;
  return governanceEventEnvelope
    .extend({
      type: z.literal(type),
      entity: z.object({ type: z.literal(entity), id: z.string() }),
      data: z.object({ before: record.nullable(), after: AFTER[type], reason: z.string().nullable() }),
    })
    .meta({ title: type, description: EVENT_CATALOGUE[type].summary });
}

/** The JSON Schema (draft 2020-12) of the envelope and of every event type, by type. */
export function eventJsonSchemas(): {
  envelope: Record<string, unknown>;
  types: Record<string, Record<string, unknown>>;
} {
  return {
    envelope: z.toJSONSchema(governanceEventEnvelope) as Record<string, unknown>,
    types: Object.fromEntries(
      EVENT_TYPES.map((type) => [type, z.toJSONSchema(eventSchemaOf(type)) as Record<string, unknown>]),
    ),
  };
}

/** GET /api/events/schemas */
export const eventSchemasResponse = z.object({
  specVersion: z.string(),
  source: z.string(),
  envelope: record,
  types: z.record(z.string(), z.object({ entity: z.string(), summary: z.string(), schema: record })),
});
