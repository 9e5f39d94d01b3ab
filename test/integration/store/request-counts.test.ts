// Requests per governed action: each commits in exactly one TransactWriteItems and reads little before it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GovernanceStore, RequestMeter } from '../../../functions/store/index.js';
import { EVAL_SERVICE_ACTOR } from '../../../functions/workflows/eval-steps.js';
import { promptInput } from '../../support/fixtures.js';
import {
  activeCandidate,
  approvedCandidate,
  candidateAwaitingApproval,
  draftCandidate,
  type GovernedSystem,
  governedSystem,
  owner,
  passingOutcome,
  reviewerFor,
} from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

/**
 * At most this many read requests (GetItem, BatchGetItem, Query) before the one transaction; the target is two
 * (an entry read that finds the system, then one consistent BatchGetItem of META and what the change checks).
 */
const READ_BUDGET = 3;

describe('requests per governed action', () => {
  const meter: RequestMeter = { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 };
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let base: GovernedSystem;

  /** Counts the requests of `action` alone. */
  async function measure<T>(action: () => Promise<T>): Promise<{ reads: number; writes: number; result: T }> {
    Object.assign(meter, { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 });
    const result = await action();
    return { reads: meter.reads, writes: meter.writes, result };
  }

  beforeAll(async () => {
    ({ store, drop } = await createTestStore({ meter }));
    // Low risk: one technical approval completes a production round.
    base = await governedSystem(store, { system: { riskTier: 'low' } });
  });
  afterAll(async () => drop());

  it('registers a prompt version in one transaction', async () => {
    // Prepare
    const input = promptInput(base.system.id, { name: 'measured' });

    // Act
    const { reads, writes, result } = await measure(() => store.artefacts.createPrompt(owner, input));

    // Assess
    expect(result.version).toBe(1);
    expect(writes).toBe(1);
    expect(reads).toBeLessThanOrEqual(READ_BUDGET);
  });

  it('records an approval that completes the round in one transaction', async () => {
    // Prepare
    const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    const approval = approvals[0];
    if (!approval) throw new Error('the round has no approval');

    // Act
    const { reads, writes, result } = await measure(() =>
      store.approvals.decideApproval(reviewerFor[approval.role], approval.id, 'approved', 'fine'),
    );

    // Assess
    expect(result.candidate).toMatchObject({ id: candidate.id, status: 'approved' });
    expect(writes).toBe(1);
    expect(reads).toBeLessThanOrEqual(READ_BUDGET);
  });

  it('records an eval verdict and moves the candidate in one transaction', async () => {
    // Prepare
    const draft = await draftCandidate(store, base);
    await store.candidates.submitCandidate(owner, draft.id);
    const { run } = await store.evalRuns.createEvalRun(owner, draft.id, 'simulated');
    await store.evalRuns.startEvalRun(EVAL_SERVICE_ACTOR, run.id);

    // Act
    const { reads, writes, result } = await measure(() =>
      store.evalRuns.completeEvalRun(EVAL_SERVICE_ACTOR, run.id, passingOutcome()),
    );

    // Assess
    expect(result.status).toBe('passed');
    expect((await store.candidates.getCandidate(draft.id)).status).toBe('eval_passed');
    expect(writes).toBe(1);
    expect(reads).toBeLessThanOrEqual(READ_BUDGET);
  });

  it('promotes the first release of an environment in one transaction', async () => {
    // Prepare: a system of its own, with nothing active yet
    const fresh = await governedSystem(store, { system: { riskTier: 'low' } });
    const approved = await approvedCandidate(store, fresh, { evaluation: 'recorded' });

    // Act
    const { reads, writes, result } = await measure(() =>
      store.candidates.promoteCandidate(owner, approved.id, { expectedActiveCandidateId: null }),
    );

    // Assess
    expect(result.candidate.status).toBe('active');
    expect(writes).toBe(1);
    expect(reads).toBeLessThanOrEqual(READ_BUDGET);
  });

  it('swaps the active release (supersedes the previous one) in one transaction', async () => {
    // Prepare
    const previous = await activeCandidate(store, base, { evaluation: 'recorded' });
    const next = await approvedCandidate(store, base, { evaluation: 'recorded' });

    // Act
    const { reads, writes } = await measure(() =>
      store.candidates.promoteCandidate(owner, next.id, { expectedActiveCandidateId: previous.id }),
    );

    // Assess
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(next.id);
    expect((await store.candidates.getCandidate(previous.id)).status).toBe('superseded');
    expect(writes).toBe(1);
    expect(reads).toBeLessThanOrEqual(READ_BUDGET);
  });
});
