// Rollback validation on DynamoDB Local: the target release runs the system's rollback_validation datasets first,
// and the risk tier decides whether a failure warns (the rollback proceeds) or blocks it (nothing is rolled back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toProblem } from '../../../functions/api/problem.js';
import { ConflictError } from '../../../functions/domain/errors.js';
import { type ApprovalPolicy, DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { EvalCase, RiskTier, Threshold } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { copyToSystem } from '../../../functions/store/policies.js';
import { rollbackWithValidation } from '../../../functions/workflows/rollback-validation.js';
import { cases } from '../../support/fixtures.js';
import { activeCandidate, governedSystem, owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

// Short tickets cost about 0.00005 USD a case with the fixture's model config; 40,000-character ones about 0.0016.
const COST_CEILING: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
  { metric: 'costMeanUsd', direction: 'max', value: 0.001, regressionTolerance: null },
];

function longTickets(n: number): EvalCase[] {
  return cases(n).map((c) => ({ ...c, caseId: `long-${c.caseId}`, input: { ticket: 'quoted mail '.repeat(3400) } }));
}

describe('rollback validation', { timeout: 90_000 }, () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
  });
  afterAll(async () => drop());

  /** A system of `riskTier` with release 1 superseded by the active release 2, and optionally a validation set. */
  async function twoReleases(riskTier: RiskTier, validation: EvalCase[] | null) {
    const base = await governedSystem(store, { system: { riskTier }, cases: 4 });
    const first = await activeCandidate(store, base, { name: 'release 1', thresholds: COST_CEILING });
    const second = await activeCandidate(store, base, { name: 'release 2', thresholds: COST_CEILING });
    if (validation) {
      await store.datasets.createDataset(owner, {
        systemId: base.system.id,
        name: 'rollback-smoke',
        kind: 'rollback_validation',
        description: 'smoke set',
        cases: validation,
      });
    }
    return { base, first, second };
  }

  it('blocks the rollback of a high-tier system whose target fails validation, and rolls nothing back', async () => {
    // Prepare
    const { base, first, second } = await twoReleases('high', longTickets(3));

    // Act
    const error = await rollbackWithValidation(store, owner, second.id, { reason: 'latency spike' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    const detail = (error as ConflictError).detail as { code: string; validation: { evalRunId: string } };
    expect(detail.code).toBe('ROLLBACK_VALIDATION_FAILED');
    expect(toProblem(error)).toMatchObject({
      status: 409,
      type: '/problems/conflict',
      code: 'ROLLBACK_VALIDATION_FAILED',
      targetCandidateId: first.id,
      validation: { status: 'failed', decision: 'block', mode: 'block' },
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(second.id);
    expect((await store.candidates.getCandidate(first.id)).status).toBe('superseded');
    expect(await store.candidates.rollbackHistory(base.system.id)).toEqual([]);
    const run = await store.evalRuns.getEvalRun(detail.validation.evalRunId);
    expect(run).toMatchObject({ purpose: 'rollback_validation', candidateId: first.id, status: 'failed' });
    expect(run.failureReasons[0]).toMatch(/^costMeanUsd .* above maximum 0.001$/);
  });

  it('lets the rollback of a medium-tier system proceed with a warning in the response, the record and the audit', async () => {
    // Prepare
    const { base, first, second } = await twoReleases('medium', longTickets(3));

    // Act
    const out = await rollbackWithValidation(store, owner, second.id, { reason: 'latency spike' });

    // Assess
    expect(out.target.id).toBe(first.id);
    expect(out.validation).toMatchObject({ status: 'failed', decision: 'warn', mode: 'warn' });
    expect(out.validation.message).toMatch(/lets the rollback proceed/);
    expect(out.rollback.validation).toMatchObject({ decision: 'warn', evalRunId: out.validation.evalRunId });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(first.id);
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    const rolledBack = audit.find((e) => e.action === 'release.rolled_back');
    expect(rolledBack?.after).toMatchObject({ validation: { status: 'failed', decision: 'warn' } });
  });

  it('blocks the rollback of a medium-tier system when the version in force on its META says block', async () => {
    // Prepare: DEFAULT_POLICY warns for medium (the test above); version 2, copied onto the META, blocks
    const { base, first, second } = await twoReleases('medium', longTickets(3));
    const strict: ApprovalPolicy = {
      ...DEFAULT_POLICY,
      version: 2,
      rollbackValidation: { ...DEFAULT_POLICY.rollbackValidation, medium: 'block' },
    };
    await copyToSystem(store.ctx, base.system.id, strict.version, strict);

    // Act
    const error = await rollbackWithValidation(store, owner, second.id, { reason: 'latency spike' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(toProblem(error)).toMatchObject({
      status: 409,
      code: 'ROLLBACK_VALIDATION_FAILED',
      targetCandidateId: first.id,
      validation: { status: 'failed', decision: 'block', mode: 'block' },
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(second.id);
  });

  it('proceeds when the target passes its validation', async () => {
    // Prepare
    const { first, second } = await twoReleases('critical', cases(3));

    // Act
    const out = await rollbackWithValidation(store, owner, second.id, { reason: 'incident' });

    // Assess
    expect(out.target.id).toBe(first.id);
    expect(out.validation).toMatchObject({ status: 'passed', decision: 'proceed' });
    const run = await store.evalRuns.getEvalRun(out.validation.evalRunId as string);
    expect(run).toMatchObject({ purpose: 'rollback_validation', status: 'passed', totalCases: 3 });
  });

  it('proceeds and says so when the system has no rollback_validation dataset', async () => {
    // Prepare
    const { first, second } = await twoReleases('critical', null);

    // Act
    const out = await rollbackWithValidation(store, owner, second.id, { reason: 'incident' });

    // Assess
    expect(out.target.id).toBe(first.id);
    expect(out.validation).toMatchObject({ status: 'skipped', decision: 'proceed', evalRunId: null });
    expect(out.validation.message).toMatch(/no rollback_validation dataset/);
  });
});
