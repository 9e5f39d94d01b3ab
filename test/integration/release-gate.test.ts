// The release gate (statemachines/release-gate.asl.json) executed by the local interpreter against DynamoDB Local,
// with the task handlers the Lambda functions run and the local task-token registry standing in for
// SendTaskSuccess / SendTaskFailure: approval, rejection, changes requested, expiry, Retry, Catch and a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../functions/domain/errors.js';
import type { ApprovalRecord, AuditEvent } from '../../functions/domain/types.js';
import type { Decision } from '../../functions/store/approvals.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { allPages } from '../../functions/store/pagination.js';
import { type GateCallbacks, notifyGate } from '../../functions/workflows/gate-runner.js';
import { createLocalGateRunner, type GateReport, type LocalGateRunnerOptions } from '../../local/gate-runner.js';
import { candidateAwaitingApproval, type GovernedSystem, governedSystem, reviewerFor } from '../support/lifecycle.js';
import { createTestStore } from '../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
let base: GovernedSystem;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  base = await governedSystem(store);
});
afterAll(async () => drop());

/** Polls until `check` holds (the gate's waits are asynchronous), failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A runner with small retry intervals that collects its reports. */
function gateRunner(options: LocalGateRunnerOptions = {}) {
  const reports: GateReport[] = [];
  const runner = createLocalGateRunner(store, {
    retryIntervalMs: 5,
    ...options,
    onFinished: (report) => reports.push(report),
  });
  return { runner, reports };
}

/** What the approval API does: the decision's transaction, then the callback with the stored token. */
async function decide(approval: ApprovalRecord, decision: Decision, callbacks: GateCallbacks) {
  await store.approvals.decideApproval(reviewerFor[approval.role], approval.id, decision, `${decision} by test`);
  return notifyGate(store, callbacks, approval.id, decision, (line) => process.env.GATE_DEBUG && console.log(line));
}

/** Until every approval of the round carries a token that its gate waits on. */
async function waitingOnAll(runner: { tokens: { waiting: () => number } }, approvals: ApprovalRecord[]) {
  await until(async () => {
    const stored = await Promise.all(approvals.map((a) => store.approvals.taskTokenOf(a.id)));
    return stored.every((t) => t !== null) && runner.tokens.waiting() >= approvals.length;
  });
}

async function openGate(options: LocalGateRunnerOptions = {}, system: GovernedSystem = base) {
  const { candidate, approvals } = await candidateAwaitingApproval(store, system, { evaluation: 'recorded' });
  const { runner, reports } = gateRunner(options);
  runner.start(candidate.id, approvals[0]?.id as string);
  return { candidate, approvals, runner, reports };
}

async function auditActions(candidateId: string): Promise<string[]> {
  const events = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id, order: 'asc' }, p));
  return events
    .filter(
      (e: AuditEvent) =>
        e.entityId === candidateId || (e.after as { candidateId?: string })?.candidateId === candidateId,
    )
    .map((e) => e.action);
}

describe('the release gate, run locally', () => {
  it('waits for every required approval, stores a token on each, and closes with the candidate approved', async () => {
    const { candidate, approvals, runner, reports } = await openGate();
    expect(approvals.length).toBeGreaterThan(1);
    await until(async () => (await store.approvals.taskTokenOf(approvals.at(-1)?.id as string)) !== null);
    // The token is on the record for the callback, never in what the API returns.
    expect(await store.approvals.taskTokenOf(approvals[0]?.id as string)).toMatch(/^local-/);
    expect(await store.approvals.getApproval(approvals[0]?.id as string)).not.toHaveProperty('taskToken');

    for (const a of approvals) expect(await decide(a, 'approved', runner.callbacks)).toBe('sent');
    await runner.idle();

    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('approved');
    const report = reports[0] as GateReport;
    expect(report).toMatchObject({ ok: true, end: 'GateClosed', candidateStatus: 'approved', retries: 0 });
    // OpenRound, IsRoundOpen, AwaitDecisions, one AwaitDecision per approval, Settle, GateClosed.
    expect(report.transitions).toBe(5 + approvals.length);
    expect(runner.tokens.waiting()).toBe(0);
  });

  it('ends at the first rejection with the candidate rejected and the other waits released', async () => {
    const { candidate, approvals, runner, reports } = await openGate();
    await waitingOnAll(runner, approvals);

    await decide(approvals[0] as ApprovalRecord, 'rejected', runner.callbacks);
    await runner.idle();

    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('rejected');
    expect(reports[0]).toMatchObject({ ok: true, end: 'GateClosed', candidateStatus: 'rejected' });
    expect(runner.tokens.waiting()).toBe(0);
  });

  it('ends when changes are requested, the candidate back in eval_passed for a new round', async () => {
    const { candidate, approvals, runner, reports } = await openGate();
    await waitingOnAll(runner, approvals);

    await decide(approvals[0] as ApprovalRecord, 'approved', runner.callbacks);
    await decide(approvals[1] as ApprovalRecord, 'changes_requested', runner.callbacks);
    await runner.idle();

    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('eval_passed');
    expect(reports[0]).toMatchObject({ ok: true, end: 'GateClosed', candidateStatus: 'eval_passed' });
  });

  it('expires a round without every decision in time: pending records expired, candidate back to eval_passed, audited', async () => {
    const { candidate, approvals, runner, reports } = await openGate({ approvalTimeoutSeconds: 1 });
    await waitingOnAll(runner, approvals);
    await decide(approvals[0] as ApprovalRecord, 'approved', runner.callbacks);

    await runner.idle();

    expect(reports[0]).toMatchObject({ ok: true, end: 'GateExpired', candidateStatus: 'eval_passed' });
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('eval_passed');
    const after = await Promise.all(approvals.map((a) => store.approvals.getApproval(a.id)));
    expect(after.map((a) => a.status)).toEqual(['approved', ...approvals.slice(1).map(() => 'expired')]);
    const expiredQueue = await allPages((p) => store.approvals.listApprovals({ status: 'expired' }, p));
    expect(expiredQueue.map((a) => a.id)).toEqual(expect.arrayContaining(approvals.slice(1).map((a) => a.id)));
    const actions = await auditActions(candidate.id);
    expect(actions.filter((a) => a === 'approval.expired')).toHaveLength(approvals.length - 1);
    expect(actions).toContain('candidate.approval_expired');
    // A late decision is refused, and a new round can be requested.
    await expect(
      store.approvals.decideApproval(
        reviewerFor[approvals[1]?.role ?? 'product'],
        approvals[1]?.id as string,
        'approved',
        null,
      ),
    ).rejects.toThrow();
    const next = await store.candidates.requestApproval(
      { userId: 'olga.owner', name: 'Olga', roles: ['model_owner'] },
      candidate.id,
    );
    expect(next.candidate.status).toBe('awaiting_approval');
  });

  it('absorbs a transient task error with a Retry', async () => {
    let failures = 1;
    const { candidate, approvals, runner, reports } = await openGate({
      wrapTasks: (tasks) => ({
        ...tasks,
        openRound: async (event) => {
          if (failures-- > 0) throw new Error('DynamoDB throttled the request');
          return tasks.openRound(event);
        },
      }),
    });
    await waitingOnAll(runner, approvals);
    for (const a of approvals) await decide(a, 'approved', runner.callbacks);
    await runner.idle();

    expect(reports[0]).toMatchObject({ ok: true, end: 'GateClosed', candidateStatus: 'approved', retries: 1 });
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('approved');
  });

  it('absorbs a transient error of a wait with a Retry that stores a fresh token', async () => {
    let failures = 1;
    const { approvals, runner, reports } = await openGate({
      wrapTasks: (tasks) => ({
        ...tasks,
        awaitDecision: async (event) => {
          if (failures-- > 0) throw new Error('connection reset');
          return tasks.awaitDecision(event);
        },
      }),
    });
    await waitingOnAll(runner, approvals);
    for (const a of approvals) await decide(a, 'approved', runner.callbacks);
    await runner.idle();
    expect(reports[0]).toMatchObject({ ok: true, candidateStatus: 'approved', retries: 1 });
  });

  it('records a permanent error through the Catch, with an audit event, and leaves the round open', async () => {
    const { candidate, runner, reports } = await openGate({
      wrapTasks: (tasks) => ({
        ...tasks,
        openRound: async () => {
          const error = new NotFoundError('the candidate vanished');
          error.name = 'NotFoundError';
          throw error;
        },
      }),
    });
    await runner.idle();

    expect(reports[0]).toMatchObject({ ok: false, end: 'GateFailed', retries: 0 });
    expect(await auditActions(candidate.id)).toContain('candidate.approval_gate_failed');
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('awaiting_approval');
  });

  it('gates a round whose decision came before the wait: the wait answers itself from DynamoDB', async () => {
    const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    // Decided with no gate running: nothing to notify.
    for (const a of approvals.slice(0, -1)) expect(await decide(a, 'approved', undefined as never)).toBe('no-gate');
    const { runner, reports } = gateRunner();
    runner.start(candidate.id, approvals[0]?.id as string);
    await until(() => runner.tokens.waiting() === 1);
    await decide(approvals.at(-1) as ApprovalRecord, 'approved', runner.callbacks);
    await runner.idle();
    expect(reports[0]).toMatchObject({ ok: true, candidateStatus: 'approved' });
  });

  it('loses no approval across a restart in the middle of a gate, and the gate completes afterwards', async () => {
    // A high-risk system: three reviewers, so one decision lands before, one during and one after the restart.
    const high = await governedSystem(store, { system: { riskTier: 'high' } });
    const first = await openGate({}, high);
    const { candidate, approvals } = first;
    expect(approvals).toHaveLength(3);
    await waitingOnAll(first.runner, approvals);
    expect(await decide(approvals[0] as ApprovalRecord, 'approved', first.runner.callbacks)).toBe('sent');

    const staleToken = await store.approvals.taskTokenOf(approvals[2]?.id as string);
    // The process stops: its gates die with it, the round stays open in DynamoDB.
    await first.runner.stop();
    expect(first.reports[0]?.ok).toBe(false);
    // A reviewer decides while no gate runs: the stale token finds no wait; the decision stands.
    expect(await decide(approvals[1] as ApprovalRecord, 'approved', first.runner.callbacks)).toBe('failed');

    const second = gateRunner();
    expect(await second.runner.resume()).toBeGreaterThanOrEqual(1);
    expect(second.runner.live()).toContain(`${candidate.id}/${approvals[0]?.id}`);
    // The new gate waits on the one record still pending, with a fresh token (other tests' open rounds resume too).
    const last = approvals[2] as ApprovalRecord;
    await until(async () => ![null, staleToken].includes(await store.approvals.taskTokenOf(last.id)));
    // Resuming again while the gate is live starts nothing twice.
    await second.runner.resume();
    expect(await decide(last, 'approved', second.runner.callbacks)).toBe('sent');
    await until(() => second.reports.some((r) => r.candidateId === candidate.id));
    await second.runner.stop();

    const after = await Promise.all(approvals.map((a) => store.approvals.getApproval(a.id)));
    expect(after.every((a) => a.status === 'approved')).toBe(true);
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('approved');
    const mine = second.reports.filter((r) => r.candidateId === candidate.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ ok: true, candidateStatus: 'approved' });
    expect(await store.approvals.candidatesWithPendingApprovals()).not.toContainEqual(
      expect.objectContaining({ candidateId: candidate.id }),
    );
  });

  it('opens the round itself when started without one, creating the records the tier requires once', async () => {
    const { evaluatedCandidate } = await import('../support/lifecycle.js');
    const evaluated = await evaluatedCandidate(store, base, { evaluation: 'recorded' });
    const { runner, reports } = gateRunner();
    runner.start(evaluated.id, '');
    await until(async () => (await store.candidates.getCandidate(evaluated.id)).status === 'awaiting_approval');
    const candidate = await store.candidates.getCandidate(evaluated.id);
    const approvals = await Promise.all(candidate.approvalIds.map((id) => store.approvals.getApproval(id)));
    expect(approvals.map((a) => a.role)).toEqual(candidate.requiredRoles);
    await waitingOnAll(runner, approvals);

    for (const a of approvals) await decide(a, 'approved', runner.callbacks);
    await runner.idle();

    expect(reports[0]).toMatchObject({ ok: true, candidateStatus: 'approved', roundId: '' });
    expect((await store.candidates.getCandidate(evaluated.id)).approvalIds).toEqual(candidate.approvalIds);
  });

  it('settles once with a round that is no longer open (a retried start of an old round)', async () => {
    const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    await store.approvals.decideApproval(
      reviewerFor[approvals[0]?.role ?? 'technical'],
      approvals[0]?.id as string,
      'rejected',
      'no',
    );
    const { runner, reports } = gateRunner();
    runner.start(candidate.id, approvals[0]?.id as string);
    await runner.idle();
    expect(reports[0]).toMatchObject({ ok: true, end: 'GateClosed', candidateStatus: 'rejected' });
    // OpenRound, IsRoundOpen, Settle, GateClosed.
    expect(reports[0]?.transitions).toBe(4);
  });
});
