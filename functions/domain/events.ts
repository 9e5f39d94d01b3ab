// Governance events: every committed audit event becomes one event for subscribers (EventBridge in AWS, the
// in-process bus locally, webhooks). Events are derived from the audit chain, so nothing is published that did not
// commit and nothing that committed is missed; the catalogue names every action the store writes (a test fails when
// the store writes one that is not here).
import type { ArtefactKindName } from './artefact-kinds.js';
import { isOrganisationChain } from './id-format.js';
import type { Actor, AuditEvent } from './types.js';

/** The `source` of every governance event (EventBridge's Source, CloudEvents' source). */
export const EVENT_SOURCE = 'governance.control-plane';

/** Version of the envelope; a change that removes or renames a member raises it. */
export const EVENT_SPEC_VERSION = '1';

export interface EventTypeInfo {
  /** The entity whose transition it records (the audit event's entityType). */
  entity:
    | 'system'
    | ArtefactKindName
    | 'dataset'
    | 'candidate'
    | 'approval'
    | 'eval_run'
    | 'incident'
    | 'relaxation'
    | 'policy'
    | 'provider_connection';
  summary: string;
  /** Sent to the e-mail notification topic in AWS (approval pending, incidents). */
  notify?: boolean;
}

/** Every audit action the control plane writes, with the entity it concerns. */
export const EVENT_CATALOGUE = {
  'system.registered': { entity: 'system', summary: 'An AI system was registered' },
  'system.updated': { entity: 'system', summary: "A system's description, owners or status changed" },
  'system.risk_tier_changed': { entity: 'system', summary: "A system's risk tier or EU AI Act category changed" },
  'system.retired': { entity: 'system', summary: 'A system was retired' },
  'system.sample_settings_changed': {
    entity: 'system',
    summary: "A system's redaction rules or retention of production samples changed",
  },
  'prompt.created': { entity: 'prompt', summary: 'A prompt version was created (draft)' },
  'prompt.submitted': { entity: 'prompt', summary: 'A prompt version was submitted for review (now immutable)' },
  'prompt.approved': { entity: 'prompt', summary: 'A prompt version was approved' },
  'prompt.rejected': { entity: 'prompt', summary: 'A prompt version was rejected' },
  'model_config.created': { entity: 'model_config', summary: 'A model config version was created (draft)' },
  'model_config.submitted': { entity: 'model_config', summary: 'A model config version was submitted for review' },
  'model_config.approved': { entity: 'model_config', summary: 'A model config version was approved' },
  'model_config.rejected': { entity: 'model_config', summary: 'A model config version was rejected' },
  'judge_config.created': { entity: 'judge_config', summary: 'A judge config version was created (draft)' },
  'judge_config.submitted': {
    entity: 'judge_config',
    summary: 'A judge config version was submitted for review (now immutable)',
  },
  'judge_config.approved': { entity: 'judge_config', summary: 'A judge config version was approved' },
  'judge_config.rejected': { entity: 'judge_config', summary: 'A judge config version was rejected' },
  'dataset.created': { entity: 'dataset', summary: 'An eval dataset version was registered' },
  'candidate.created': { entity: 'candidate', summary: 'A release candidate was created (draft snapshot)' },
  'candidate.submitted': { entity: 'candidate', summary: 'A release candidate was submitted (frozen)' },
  'candidate.approval_requested': {
    entity: 'candidate',
    summary: 'Approvals were requested for a candidate: reviewers have decisions pending',
    notify: true,
  },
  'candidate.approved': { entity: 'candidate', summary: 'Every required approval of a candidate is given' },
  'candidate.rejected': { entity: 'candidate', summary: 'A reviewer rejected a candidate' },
  'candidate.changes_requested': { entity: 'candidate', summary: 'A reviewer asked for changes to a candidate' },
  'candidate.approval_expired': { entity: 'candidate', summary: 'An approval round expired without every decision' },
  'candidate.approval_gate_failed': { entity: 'candidate', summary: "A candidate's release gate failed" },
  'candidate.superseded': { entity: 'candidate', summary: 'An active release was replaced by a promotion' },
  'approval.approved': { entity: 'approval', summary: 'A reviewer approved' },
  'approval.rejected': { entity: 'approval', summary: 'A reviewer rejected' },
  'approval.changes_requested': { entity: 'approval', summary: 'A reviewer requested changes' },
  'approval.expired': { entity: 'approval', summary: 'A pending approval expired with its round' },
  'eval_run.queued': { entity: 'eval_run', summary: 'An eval run was queued for a candidate' },
  'eval_run.started': { entity: 'eval_run', summary: 'An eval run (or a monitoring run) started' },
  'eval_run.aggregating': {
    entity: 'eval_run',
    summary: 'Every case of a submitted run is posted; its verdict is being computed',
  },
  'eval_run.passed': { entity: 'eval_run', summary: 'An eval run passed its thresholds' },
  'eval_run.failed': { entity: 'eval_run', summary: 'An eval run failed a threshold' },
  'eval_run.error': { entity: 'eval_run', summary: 'An eval run could not finish (executor error)' },
  'release.promoted': { entity: 'candidate', summary: 'A candidate became the active release of an environment' },
  'release.rolled_back': { entity: 'candidate', summary: 'An active release was rolled back' },
  'release.reactivated': { entity: 'candidate', summary: 'An earlier release became active again by a rollback' },
  'release.rollback_requested': {
    entity: 'candidate',
    summary: 'Monitoring asks a person to roll back an active release',
    notify: true,
  },
  'release.rollback_started': {
    entity: 'candidate',
    summary: 'A rollback was asked for; its target runs its rollback validation first (ADR 0032)',
  },
  'release.rollback_blocked': {
    entity: 'candidate',
    summary: 'A rollback request ended without a rollback: blocked by its validation, refused, or in error',
  },
  'release.monitoring_clean': { entity: 'candidate', summary: 'A monitoring run found no drift' },
  'release.monitoring_failed': { entity: 'candidate', summary: 'A monitoring run found drift or a threshold breach' },
  'monitoring.samples_received': {
    entity: 'candidate',
    summary: 'A batch of production samples of the active release was accepted (counts and ids, never the text)',
  },
  'release.promotion_refused': {
    entity: 'candidate',
    summary:
      'The gate refused a promotion or rollback of a caller allowed to ask: every reason is recorded (no e-mail)',
  },
  'provider_connection.registered': {
    entity: 'provider_connection',
    summary: 'An admin registered a provider connection (version 1; organisation chain)',
  },
  'provider_connection.versioned': {
    entity: 'provider_connection',
    summary: 'An admin changed a provider connection: a new immutable version (organisation chain)',
  },
  'incident.opened': { entity: 'incident', summary: 'An incident was opened', notify: true },
  'incident.updated': {
    entity: 'incident',
    summary: "An incident's title, description or severity changed",
    notify: true,
  },
  'incident.mitigating': { entity: 'incident', summary: 'An incident is being mitigated', notify: true },
  'incident.resolved': { entity: 'incident', summary: 'An incident was resolved', notify: true },
  'relaxation.requested': {
    entity: 'relaxation',
    summary:
      'A relaxation (a lower risk tier or EU AI Act category, a downgraded or resolved blocking incident, a waiver, sample settings that redact less or keep longer) was requested: a reviewer has a decision pending',
    notify: true,
  },
  'relaxation.approved': { entity: 'relaxation', summary: 'A relaxation request was approved and applied' },
  'relaxation.rejected': { entity: 'relaxation', summary: 'A relaxation request was rejected' },
  'relaxation.withdrawn': { entity: 'relaxation', summary: 'A relaxation request was withdrawn by its requester' },
  'relaxation.superseded': {
    entity: 'relaxation',
    summary: 'A relaxation request could not be applied: the value it was bound to changed since',
  },
  // The organisation chain's (systemId 'org'): delivered to subscriptions without a system filter.
  'policy.draft_created': { entity: 'policy', summary: 'A policy version was drafted' },
  'policy.draft_updated': { entity: 'policy', summary: 'The document of a policy draft changed' },
  'policy.submitted': {
    entity: 'policy',
    summary: 'A policy version was submitted: governance reviewers have an approval pending',
  },
  'policy.approved': { entity: 'policy', summary: 'A governance reviewer approved a policy version' },
  'policy.withdrawn': { entity: 'policy', summary: 'A policy draft or submitted version was withdrawn' },
  'policy.activated': {
    entity: 'policy',
    summary: 'A policy version was put in force (the previous one is superseded)',
  },
} as const satisfies Record<string, EventTypeInfo>;

export type GovernanceEventType = keyof typeof EVENT_CATALOGUE;

/** Every event type, in catalogue order. */
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as GovernanceEventType[];

/** The event types sent to the e-mail notification topic. */
export const NOTIFY_EVENT_TYPES = EVENT_TYPES.filter((t) => (EVENT_CATALOGUE[t] as EventTypeInfo).notify === true);

/** Whether `action` is a catalogued event type. */
export function isEventType(action: string): action is GovernanceEventType {
  return Object.hasOwn(EVENT_CATALOGUE, action);
}

/** One governance event: the envelope every transport carries (EventBridge detail, webhook body). */
export interface GovernanceEvent {
  specVersion: typeof EVENT_SPEC_VERSION;
  /**
   * `<systemId>:<seq>` (`org:<seq>` for the organisation chain): unique, stable across redeliveries (receivers
   * deduplicate on it).
   */
  id: string;
  type: string;
  source: typeof EVENT_SOURCE;
  /** When the transition committed (the audit event's `at`). */
  time: string;
  /** The system whose chain holds the event; null for the organisation chain's (policy transitions, ADR 0024). */
  systemId: string | null;
  entity: { type: string; id: string };
  actor: Actor;
  /** The audit event's place in its chain, for correlation with the audit log and the archive. */
  audit: { seq: number; hash: string };
  data: { before: Record<string, unknown> | null; after: Record<string, unknown> | null; reason: string | null };
}

/** Members whose names suggest a credential; they are dropped from event data however deep they sit. */
const SECRET_NAME = /(token|secret|password|credential|authorization|apikey|api_key)/i;

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (!SECRET_NAME.test(key)) out[key] = redact(member);
  return out;
}

/** The governance event of a committed audit event (credentials never travel, whatever a writer put in). */
export function toGovernanceEvent(audit: AuditEvent): GovernanceEvent {
  return {
    specVersion: EVENT_SPEC_VERSION,
    id: eventIdOf(audit.systemId, audit.seq),
    type: audit.action,
    source: EVENT_SOURCE,
    time: audit.at,
    systemId: isOrganisationChain(audit.systemId) ? null : audit.systemId,
    entity: { type: audit.entityType, id: audit.entityId },
    actor: { userId: audit.actor.userId, name: audit.actor.name, roles: [...audit.actor.roles] },
    audit: { seq: audit.seq, hash: audit.hash },
    data: {
      before: audit.before === null ? null : (redact(audit.before) as Record<string, unknown>),
      after: audit.after === null ? null : (redact(audit.after) as Record<string, unknown>),
      reason: audit.reason ?? null,
    },
  };
}

/** The event id of a chain's audit event `seq` (`org:<seq>` for the organisation chain). */
function eventIdOf(systemId: string, seq: number): string {
  return `${systemId}:${seq}`;
}

/**
 * Whether an event type matches a subscription's filter: `*` (everything), an exact type (`release.promoted`) or
 * a prefix pattern (`release.*`).
 */
export function matchesEventFilter(type: string, filters: readonly string[]): boolean {
  return filters.some((filter) => {
    if (filter === '*') return true;
    if (filter.endsWith('.*')) return type.startsWith(filter.slice(0, -1));
    return filter === type;
  });
}

/** Why an event filter entry is not valid (it names no catalogued type), or undefined when it is. */
export function eventFilterProblem(filter: string): string | undefined {
  if (filter === '*') return undefined;
  if (filter.endsWith('.*')) {
    const prefix = filter.slice(0, -1);
    return EVENT_TYPES.some((t) => t.startsWith(prefix)) ? undefined : `${filter} matches no event type`;
  }
  return isEventType(filter) ? undefined : `${filter} is not an event type`;
}
