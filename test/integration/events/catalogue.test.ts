// Every audit action the store writes in a full lifecycle is in the event catalogue, and the governance event of
// each audit event is valid against its type's published JSON Schema (zod schema and the exported JSON Schema).
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventJsonSchemas, eventSchemaOf } from '../../../functions/contracts/events.js';
import { EVENT_TYPES, isEventType, toGovernanceEvent } from '../../../functions/domain/events.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { EVAL_SERVICE_ACTOR } from '../../../functions/workflows/eval-steps.js';
import { modelConfigInput, promptInput } from '../../support/fixtures.js';
import {
  activeCandidate,
  candidateAwaitingApproval,
  draftCandidate,
  evaluatedCandidate,
  FAILING_THRESHOLDS,
  governedSystem,
  owner,
  people,
  reviewerFor,
} from '../../support/lifecycle.js';
import { actorOf, createTestStore } from '../../support/store.js';

describe('the event catalogue against a full lifecycle on DynamoDB Local', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  const audit: AuditEvent[] = [];

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    const base = await governedSystem(store);
    const systemId = base.system.id;
    const technical = actorOf(people.technical);
    // A rejected prompt; system metadata and risk tier changes.
    const prompt = await store.artefacts.createPrompt(owner, promptInput(systemId, { name: 'second' }));
    await store.artefacts.transitionArtefact(owner, 'prompt', prompt.id, 'in_review', null);
    await store.artefacts.transitionArtefact(technical, 'prompt', prompt.id, 'rejected', 'no');
    const config = await store.artefacts.createModelConfig(owner, modelConfigInput(systemId, { name: 'second' }));
    await store.artefacts.transitionArtefact(owner, 'model_config', config.id, 'in_review', null);
    await store.artefacts.transitionArtefact(technical, 'model_config', config.id, 'rejected', 'no');
    await store.systems.updateSystem(owner, systemId, { description: 'changed' });
    await store.systems.updateSystem(owner, systemId, { riskTier: 'low' });
    // Two promotions (the first release is superseded), then a rollback to it.
    const first = await activeCandidate(store, base, { evaluation: 'recorded' });
    const second = await activeCandidate(store, base, { evaluation: 'recorded' });
    await store.candidates.rollbackRelease(owner, second.id, { reason: 'regression', targetCandidateId: first.id });
    // A promotion the gate refused, as the candidates API records it (ADR 0037).
    await store.refusals.recordPromotionRefusal(owner, {
      systemId,
      candidateId: second.id,
      environment: second.environment,
      kind: 'promote',
      reasons: [{ code: 'INVALID_STATE', message: 'the candidate is rolled_back' }],
      refusedAt: new Date().toISOString(),
      idempotencyKey: 'ci-1',
    });
    // A failing eval, a rejection, a request for changes, an expired round, a failed gate, an executor error.
    await evaluatedCandidate(store, base, { thresholds: FAILING_THRESHOLDS });
    const rejected = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    const a = rejected.approvals[0];
    if (!a) throw new Error('no approval');
    await store.approvals.decideApproval(reviewerFor[a.role], a.id, 'rejected', 'not safe');
    const changes = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    const c = changes.approvals[0];
    if (!c) throw new Error('no approval');
    await store.approvals.decideApproval(reviewerFor[c.role], c.id, 'changes_requested', 'fix it');
    const expiring = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    await store.approvals.recordGateFailure(
      EVAL_SERVICE_ACTOR,
      expiring.candidate.id,
      expiring.candidate.approvalIds[0] as string,
      'boom',
    );
    await store.approvals.expireApprovalRound(
      EVAL_SERVICE_ACTOR,
      expiring.candidate.id,
      expiring.candidate.approvalIds[0] as string,
      60,
    );
    const erroring = await draftCandidate(store, base);
    await store.candidates.submitCandidate(owner, erroring.id);
    const { run } = await store.evalRuns.createEvalRun(owner, erroring.id, 'simulated');
    await store.evalRuns.failEvalRun(EVAL_SERVICE_ACTOR, run.id, 'executor down');
    // An incident's whole life; then the system retires.
    const incident = await store.incidents.openIncident(owner, {
      systemId,
      title: 'drift',
      description: 'd',
      severity: 'low',
    });
    await store.incidents.updateIncident(owner, incident.id, { title: 'drift seen' });
    await store.incidents.updateIncident(owner, incident.id, { status: 'mitigating' });
    await store.incidents.resolveIncident(owner, incident.id, 'rolled back');
    // Relaxations of a blocking incident: rejected, withdrawn, superseded by a raise, then approved.
    const risk = { ...actorOf(people.risk), teams: [] as string[] };
    const blocking = await store.incidents.openIncident(owner, {
      systemId,
      title: 'p1',
      description: '',
      severity: 'high',
    });
    const ask = async (change: Parameters<GovernanceStore['relaxations']['changeIncidentOrRequest']>[2]) => {
      const out = await store.relaxations.changeIncidentOrRequest(owner, blocking.id, change);
      if (!('request' in out)) throw new Error('expected a relaxation request');
      return out.request.id;
    };
    await store.relaxations.decideRelaxation(risk, await ask({ type: 'resolve', resolution: 'a' }), 'reject', 'no');
    await store.relaxations.withdrawRelaxation(owner, await ask({ type: 'resolve', resolution: 'b' }));
    const stale = await ask({ type: 'patch', patch: { severity: 'low' } });
    await store.incidents.updateIncident(owner, blocking.id, { severity: 'critical' });
    await store.relaxations.decideRelaxation(risk, stale, 'approve', 'ok').catch(() => undefined);
    await store.relaxations.decideRelaxation(risk, await ask({ type: 'resolve', resolution: 'c' }), 'approve', 'ok');
    const other = await governedSystem(store);
    await store.systems.retireSystem(owner, other.system.id, { reason: 'replaced' });
    for (const id of [systemId, other.system.id])
      audit.push(...(await allPages((p) => store.audit.listAuditEvents({ systemId: id }, p))));
  }, 120_000);

  afterAll(async () => drop?.());

  it('names every action the store wrote', () => {
    const unknown = [...new Set(audit.map((e) => e.action))].filter((action) => !isEventType(action));
    expect(unknown).toEqual([]);
  });

  it('saw the transitions of the lifecycle it ran', () => {
    const seen = new Set(audit.map((e) => e.action));
    // Monitoring, rollback requests, validated (started) and blocked rollbacks, a submitted run's aggregation, policy versions, provider
    // connections, judge configs, refused promotions and production samples are other files' lifecycles
    // (test/integration/monitoring, test/integration/eval-submitted-runs.test.ts, test/integration/store/policies.test.ts,
    // test/integration/providers/connections.test.ts, test/integration/store/judge-configs.test.ts,
    // test/integration/store/promotion-refusals.test.ts, test/integration/monitoring/rollback-validation.test.ts,
    // test/integration/api/samples-api.test.ts:
    // this lifecycle's rollback has no validation datasets and commits at once).
    const exercised = EVENT_TYPES.filter(
      (t) =>
        !t.startsWith('release.monitoring') &&
        !t.startsWith('policy.') &&
        !t.startsWith('provider_connection.') &&
        !t.startsWith('judge_config.') &&
        !t.startsWith('monitoring.') &&
        t !== 'system.sample_settings_changed' &&
        t !== 'release.rollback_started' &&
        t !== 'release.rollback_blocked' &&
        t !== 'release.promotion_refused' &&
        t !== 'release.rollback_requested' &&
        t !== 'eval_run.aggregating',
    );
    expect(exercised.filter((t) => !seen.has(t))).toEqual([]);
  });

  it('builds a schema-valid event of every audit event, by zod and by the published JSON Schema', () => {
    const schemas = eventJsonSchemas().types;
    const ajv = addFormats.default(new Ajv2020({ strict: false, allErrors: true }));
    const validators = new Map<string, ReturnType<typeof ajv.compile>>();
    for (const auditEvent of audit) {
      const event = toGovernanceEvent(auditEvent);
      if (!isEventType(event.type)) throw new Error(`${event.type} is not catalogued`);
      const parsed = eventSchemaOf(event.type).safeParse(event);
      expect(parsed.success, `${event.type}: ${parsed.error?.message}`).toBe(true);
      const validate = validators.get(event.type) ?? ajv.compile(schemas[event.type] as object);
      validators.set(event.type, validate);
      expect(validate(event), `${event.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
