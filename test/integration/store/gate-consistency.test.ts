// The domain's verdict and the promotion transaction refuse the same cases. For each blocking fact the transaction
// can check, the fact is set on DynamoDB Local; the domain's blockedReasons must list its code, and a promotion
// written without the verdict (as one that raced it would be) must be refused by the table with nothing written.
// The two candidates every case starts from (an approved one, one awaiting approval, each of its own system) are
// built once; before each case the table is put back to them (test/support/table-snapshot.ts).
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BlockReasonCode } from '../../../functions/domain/errors.js';
import { blockedReasons, gateInput } from '../../../functions/domain/gate.js';
import type { AiSystem, ApprovalRecord, Environment, ReleaseCandidate } from '../../../functions/domain/types.js';
import { gateFacts, gateKeys, readGateFacts } from '../../../functions/store/candidates/gate-facts.js';
import { writePromotion } from '../../../functions/store/candidates/promotion.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys, toEntity } from '../../../functions/store/keys.js';
import { runUnitOfWork, type StoreContext } from '../../../functions/store/unit-of-work.js';
import {
  approvedCandidate,
  candidateAwaitingApproval,
  type GovernedSystem,
  governedSystem,
  owner,
} from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';
import { snapshotTable, type TableSnapshot } from '../../support/table-snapshot.js';

interface Setting {
  store: GovernanceStore;
  base: GovernedSystem;
  candidate: ReleaseCandidate;
  approvals: ApprovalRecord[];
}

interface Fault {
  code: BlockReasonCode;
  fact: string;
  /** Sets the fact on the table; returns the environment and expected active release of the attempt, if not the usual. */
  set: (s: Setting) => Promise<{ environment?: Environment; expected?: string | null } | undefined>;
  /** The candidate to use instead of an approved one. */
  awaitingApproval?: boolean;
}

describe('the gate and the promotion transaction refuse the same cases', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let approved: Setting;
  let awaiting: Setting;
  let fixture: TableSnapshot;
  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    approved = await setting(false);
    awaiting = await setting(true);
    fixture = await snapshotTable(store.ctx.doc, store.ctx.tableName);
  });
  beforeEach(async () => fixture.restore());
  afterAll(async () => drop());

  /** Writes attributes of one item directly, as a change that raced the gate's read would have left it. */
  async function setFields(key: { pk: string; sk: string }, fields: Record<string, unknown>) {
    const names = Object.keys(fields);
    await store.ctx.doc.send(
      new UpdateCommand({
        TableName: store.ctx.tableName,
        Key: key,
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, fields[n]])),
      }),
    );
  }

  const approval = (s: Setting, index: number) => s.approvals[index] as ApprovalRecord;

  const faults: Fault[] = [
    {
      code: 'SYSTEM_RETIRED',
      fact: 'the system is retired',
      set: async (s) => void (await setFields(keys.system(s.base.system.id), { status: 'retired' })),
    },
    {
      code: 'WRONG_ENVIRONMENT',
      fact: 'the production candidate is promoted to staging',
      set: async () => ({ environment: 'staging', expected: null }),
    },
    {
      code: 'INVALID_STATE',
      fact: 'the candidate still awaits its approvals',
      awaitingApproval: true,
      set: async () => undefined,
    },
    {
      code: 'EVAL_MISSING',
      fact: 'the candidate names no eval run',
      set: async (s) => void (await setFields(keys.candidate(s.candidate.id), { latestEvalRunId: null })),
    },
    {
      code: 'EVAL_MISSING',
      fact: 'the eval run belongs to another candidate',
      set: async (s) =>
        void (await setFields(keys.evalRun(s.candidate.latestEvalRunId as string), { candidateId: 'rc_other' })),
    },
    {
      code: 'EVAL_FAILED',
      fact: 'the latest eval run failed',
      set: async (s) =>
        void (await setFields(keys.evalRun(s.candidate.latestEvalRunId as string), {
          status: 'failed',
          failureReasons: ['accuracy below 0.9'],
        })),
    },
    {
      code: 'EVAL_STALE',
      fact: 'the latest eval run judged another snapshot',
      set: async (s) =>
        void (await setFields(keys.evalRun(s.candidate.latestEvalRunId as string), { snapshotHash: 'sha256:other' })),
    },
    {
      code: 'APPROVALS_INCOMPLETE',
      fact: 'one required approval is still pending',
      set: async (s) =>
        void (await setFields(keys.approval(approval(s, 0).id), { status: 'pending', reviewerId: null })),
    },
    {
      code: 'APPROVAL_REJECTED',
      fact: 'one approval was rejected',
      set: async (s) => void (await setFields(keys.approval(approval(s, 0).id), { status: 'rejected' })),
    },
    {
      code: 'SEPARATION_OF_DUTIES',
      fact: "the candidate's author approved a role",
      set: async (s) => void (await setFields(keys.approval(approval(s, 0).id), { reviewerId: s.candidate.createdBy })),
    },
    {
      code: 'SEPARATION_OF_DUTIES',
      fact: 'one person approved two roles',
      set: async (s) =>
        void (await setFields(keys.approval(approval(s, 1).id), { reviewerId: approval(s, 0).reviewerId })),
    },
    {
      code: 'SNAPSHOT_INELIGIBLE',
      fact: 'an approval is tied to another snapshot',
      set: async (s) => void (await setFields(keys.approval(approval(s, 0).id), { snapshotHash: 'sha256:other' })),
    },
    {
      code: 'SNAPSHOT_INELIGIBLE',
      fact: 'the prompt version is no longer approved',
      set: async (s) => void (await setFields(keys.prompt(s.candidate.promptVersionId), { status: 'in_review' })),
    },
    {
      code: 'SNAPSHOT_INELIGIBLE',
      fact: 'the model config no longer carries the snapshot hash',
      set: async (s) =>
        void (await setFields(keys.modelConfig(s.candidate.modelConfigId), { contentHash: 'sha256:edited' })),
    },
    {
      code: 'BLOCKING_INCIDENT_OPEN',
      fact: 'a high incident is open on the system',
      set: async (s) =>
        void (await s.store.incidents.openIncident(owner, {
          systemId: s.base.system.id,
          title: 'outage',
          description: '',
          severity: 'high',
        })),
    },
    {
      code: 'ACTIVE_RELEASE_CHANGED',
      fact: 'the caller expects another active release',
      set: async () => ({ expected: 'rc_someone_else' }),
    },
  ];

  async function setting(awaitingApproval: boolean): Promise<Setting> {
    const base = await governedSystem(store);
    if (awaitingApproval) {
      const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      return { store, base, candidate, approvals };
    }
    const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });
    const approvals = await Promise.all(candidate.approvalIds.map((id) => store.approvals.getApproval(id)));
    return { store, base, candidate, approvals };
  }

  /** Everything a promotion would change: the system's META and chain, the candidate, the promotion history. */
  async function tableState(s: Setting) {
    const [system, candidate, history, chain] = await Promise.all([
      store.systems.getSystem(s.base.system.id),
      store.candidates.getCandidate(s.candidate.id),
      store.candidates.promotionHistory(s.base.system.id),
      store.audit.verifyStoredChain(s.base.system.id),
    ]);
    return { system, candidate, history, chain };
  }

  /** A promotion written without the domain's verdict, in one attempt: only the table's conditions can refuse it. */
  function promoteWithoutVerdict(s: Setting, environment: Environment, expected: string | null) {
    const once: StoreContext = { ...store.ctx, maxAttempts: 1 };
    return runUnitOfWork(once, s.base.system.id, owner, gateKeys(s.candidate), (tx) => {
      const facts = gateFacts((k) => tx.get(k), toEntity<AiSystem>(tx.meta), s.candidate.id);
      return writePromotion(tx, owner, facts, environment, expected, 'without the gate');
    });
  }

  it('commits a promotion written without the verdict when no fact blocks it', async () => {
    // Prepare
    const s = approved;
    const facts = await readGateFacts(store.ctx, s.candidate.id);

    // Act
    const reasons = blockedReasons(gateInput(facts, 'production', null));
    await promoteWithoutVerdict(s, 'production', null);

    // Assess
    expect(reasons).toEqual([]);
    const after = await tableState(s);
    expect(after.system.activeReleases.production).toBe(s.candidate.id);
    expect(after.candidate.status).toBe('active');
  });

  for (const fault of faults) {
    it(`lists ${fault.code} and refuses the transaction with nothing written when ${fault.fact}`, async () => {
      // Prepare
      const s = fault.awaitingApproval ? awaiting : approved;
      const attempt = (await fault.set(s)) ?? {};
      const environment = attempt.environment ?? 'production';
      const expected = attempt.expected === undefined ? null : attempt.expected;
      const before = await tableState(s);

      // Act
      const facts = await readGateFacts(store.ctx, s.candidate.id);
      const reasons = blockedReasons(gateInput(facts, environment, expected)).map((r) => r.code);
      const bypass = await promoteWithoutVerdict(s, environment, expected).then(
        () => 'committed',
        (error: Error) => error.name,
      );
      const judged = await store.candidates
        .promoteCandidate(owner, s.candidate.id, { environment, expectedActiveCandidateId: expected })
        .then(
          () => 'committed',
          (error: Error) => error.name,
        );

      // Assess
      expect(reasons).toContain(fault.code);
      // The table's conditions refused it (a cancelled transaction: contention after one attempt, or a stale
      // active release), not a malformed request.
      expect(['ContentionError', 'ActiveReleaseChangedError']).toContain(bypass);
      expect(['GateBlockedError', 'ActiveReleaseChangedError']).toContain(judged);
      expect(await tableState(s)).toEqual(before);
    });
  }
});
