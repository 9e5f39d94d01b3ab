// The policy dry run job on DynamoDB Local (issue 15, item 3): it reads the organisation a page of systems at a time
// from the sharded systems index, writes what the draft blocks under its own partition, continues itself when its
// invocation runs out of time, and ends succeeded, or failed with a message for the requester.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../functions/domain/ids.js';
import { type ApprovalPolicy, DEFAULT_POLICY, type TierPromotionRules } from '../../../functions/domain/policy.js';
import type { DryRunItem } from '../../../functions/domain/policy-dry-run.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { type DryRunRequest, MAX_INVOCATIONS, runPolicyDryRun } from '../../../functions/workflows/policy-dry-run.js';
import {
  activeCandidate,
  candidateAwaitingApproval,
  draftCandidate,
  evaluatedCandidate,
  governedSystem,
} from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

const NO_RULES: TierPromotionRules = {
  approvers: {},
  requiredDatasetKinds: [],
  thresholdFloors: [],
  evalValidityHours: null,
};

/** DEFAULT_POLICY with `rules` for every tier and both environments. */
function everywhere(rules: Partial<TierPromotionRules>): ApprovalPolicy {
  const r = { ...NO_RULES, ...rules };
  return {
    ...DEFAULT_POLICY,
    version: 2,
    promotionRules: { production: { low: r, medium: r, high: r, critical: r }, staging: r },
  };
}

const requester = { userId: 'gina.governance', name: 'Gina' };

describe('the policy dry run job', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  /** Ids of what the organisation holds: open candidates and active releases. */
  const open: string[] = [];
  const releases: string[] = [];

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    const a = await governedSystem(store, { system: { riskTier: 'low' } });
    const b = await governedSystem(store, { system: { riskTier: 'low' } });
    const c = await governedSystem(store, { system: { riskTier: 'medium' } });
    releases.push((await activeCandidate(store, a, { evaluation: 'recorded' })).id);
    open.push((await candidateAwaitingApproval(store, a, { evaluation: 'recorded' })).candidate.id);
    open.push((await evaluatedCandidate(store, b, { evaluation: 'recorded' })).id);
    open.push((await draftCandidate(store, c, { environment: 'staging' })).id);
  });
  afterAll(async () => drop());

  /** Starts a dry run and runs its invocations to the end: one step each, every continuation delivered. */
  async function dryRun(draft: ApprovalPolicy) {
    const { id } = await store.policyDryRuns.createPolicyDryRun({
      id: newId('pdr'),
      policy: draft,
      currentPolicy: DEFAULT_POLICY,
      requestedBy: requester,
    });
    const queue: DryRunRequest[] = [{ dryRunId: id, cursor: null, invocation: 1 }];
    const outcomes: string[] = [];
    for (let request = queue.shift(); request; request = queue.shift()) {
      outcomes.push(
        await runPolicyDryRun(
          {
            store,
            emit: async (next) => void queue.push(next),
            // No time left after a step: every invocation takes one step and continues.
            remainingMs: () => 0,
            systemsPerStep: 1,
          },
          request,
        ),
      );
    }
    const items = await allPages<DryRunItem>((page) =>
      store.policyDryRuns.getPolicyDryRun(id, page).then((p) => ({ items: p.items, nextCursor: p.nextCursor })),
    );
    return { id, outcomes, job: await store.policyDryRuns.getPolicyDryRun(id, {}), items };
  }

  it('reports a dataset kind every subject lacks as newly blocked, over several invocations of one step each', async () => {
    // Act
    const { outcomes, job, items } = await dryRun(everywhere({ requiredDatasetKinds: ['adversarial'] }));

    // Assess
    // One system a step; the sharded index may need one more step to learn that its last shard is read through.
    expect(outcomes.length).toBeGreaterThanOrEqual(3);
    expect(outcomes).toEqual([...outcomes.slice(0, -1).map(() => 'continued'), 'succeeded']);
    expect(job.status).toBe('succeeded');
    expect(job.progress).toEqual({ systemsDone: 3, systemsTotal: 3 });
    expect(job.summary).toEqual({ candidatesChecked: 3, releasesChecked: 1, blocked: 4 });
    expect(job.finishedAt).not.toBeNull();
    expect(items.map((i) => i.candidateId).sort()).toEqual([...open, ...releases].sort());
    for (const item of items) {
      expect(item.newlyBlocked, item.candidateId).toContain('DATASET_KIND_MISSING');
      expect(item.reasons.find((r) => r.code === 'DATASET_KIND_MISSING')?.message).toContain('adversarial');
    }
    expect(items.find((i) => i.candidateId === releases[0])).toMatchObject({
      subject: 'active-release',
      environment: 'production',
      riskTier: 'low',
      newlyBlocked: ['DATASET_KIND_MISSING'],
    });
  });

  it('blocks nothing new under a draft equal to the policy in force, and lists what blocks the open candidates today', async () => {
    // Act
    const { job, items } = await dryRun({ ...DEFAULT_POLICY, version: 2 });

    // Assess
    expect(job.status).toBe('succeeded');
    expect(job.summary).toEqual({ candidatesChecked: 3, releasesChecked: 1, blocked: 3 });
    expect(items.map((i) => i.candidateId).sort()).toEqual([...open].sort());
    for (const item of items) {
      expect(item.newlyBlocked, item.candidateId).toEqual([]);
      expect(item.reasons.map((r) => r.code)).toContain('INVALID_STATE');
    }
  });

  it('pages through the result with a small limit, every item once', async () => {
    // Prepare
    const { id } = await dryRun(everywhere({ requiredDatasetKinds: ['adversarial'] }));

    // Act
    const first = await store.policyDryRuns.getPolicyDryRun(id, { limit: 3 });
    const second = await store.policyDryRuns.getPolicyDryRun(id, { limit: 3, cursor: first.nextCursor });

    // Assess
    expect(first.items).toHaveLength(3);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((i) => i.candidateId)).size).toBe(4);
  });

  it('takes a step once when the same request is delivered twice', async () => {
    // Prepare
    const { id } = await store.policyDryRuns.createPolicyDryRun({
      id: newId('pdr'),
      policy: everywhere({ requiredDatasetKinds: ['adversarial'] }),
      currentPolicy: DEFAULT_POLICY,
      requestedBy: requester,
    });
    const emitted: DryRunRequest[] = [];
    const deps = {
      store,
      emit: async (r: DryRunRequest) => void emitted.push(r),
      remainingMs: () => 0,
      systemsPerStep: 1,
    };
    const request = { dryRunId: id, cursor: null, invocation: 1 };

    // Act
    const once = await runPolicyDryRun(deps, request);
    const again = await runPolicyDryRun(deps, request);

    // Assess
    expect([once, again]).toEqual(['continued', 'superseded']);
    expect(emitted).toHaveLength(1);
    expect((await store.policyDryRuns.getPolicyDryRun(id, {})).progress.systemsDone).toBe(1);
  });

  it('fails clearly when the job cannot continue, and when it would exceed its invocations', async () => {
    // Prepare
    const start = () =>
      store.policyDryRuns.createPolicyDryRun({
        id: newId('pdr'),
        policy: DEFAULT_POLICY,
        currentPolicy: DEFAULT_POLICY,
        requestedBy: requester,
      });
    const unreachable = await start();
    const endless = await start();
    const failures: unknown[] = [];

    // Act
    const cannotEmit = await runPolicyDryRun(
      {
        store,
        emit: () => Promise.reject(new Error('bus 10.0.0.1 refused: secret=abc')),
        remainingMs: () => 0,
        systemsPerStep: 1,
        onError: (e) => failures.push(e),
      },
      { dryRunId: unreachable.id, cursor: null, invocation: 1 },
    );
    const tooLong = await runPolicyDryRun(
      { store, emit: async () => undefined, remainingMs: () => 0, systemsPerStep: 1 },
      { dryRunId: endless.id, cursor: null, invocation: MAX_INVOCATIONS },
    );

    // Assess
    const unreachableJob = await store.policyDryRuns.getPolicyDryRun(unreachable.id, {});
    const endlessJob = await store.policyDryRuns.getPolicyDryRun(endless.id, {});
    expect([cannotEmit, tooLong]).toEqual(['failed', 'failed']);
    expect(failures).toHaveLength(1);
    expect(unreachableJob).toMatchObject({ status: 'failed', summary: null });
    expect(unreachableJob.error).toMatch(/unexpected error/);
    expect(unreachableJob.error).not.toContain('secret');
    expect(endlessJob.status).toBe('failed');
    expect(endlessJob.error).toContain(`${MAX_INVOCATIONS} invocations`);
  });

  it('answers 404 for a dry run that does not exist', async () => {
    // Act
    const missing = await store.policyDryRuns.getPolicyDryRun(newId('pdr'), {}).catch((e: Error) => e.name);

    // Assess
    expect(missing).toBe('NotFoundError');
  });
});
