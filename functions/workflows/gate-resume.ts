// Gives every open approval round a live release gate: for each candidate awaiting approval with pending records
// (a GSI Query of the pending queue, never a Scan), start its round's gate. Starting a round whose gate runs is a
// no-op (executions are named per round and attempt, and StartExecution of an open one with the same input is
// idempotent), and a round whose gate failed or timed out gets its next attempt (gate-attempts.ts), so this is safe to
// repeat: after a restart locally, and on a schedule in AWS, where it repairs a gate that failed to start after its
// round was committed or that failed while it waited.
import type { GovernanceStore } from '../store/index.js';
import type { GateRunner } from './gate-runner.js';

export interface ResumeReport {
  /** Candidates with pending approvals found in the queue. */
  checked: number;
  /** Gates asked to start (each one no-op if already running). */
  started: number;
  /** Candidates whose gate could not be started, with the reason. */
  failed: { candidateId: string; error: string }[];
}

export async function resumeGates(store: GovernanceStore, runner: GateRunner): Promise<ResumeReport> {
  const report: ResumeReport = { checked: 0, started: 0, failed: [] };
  for (const { candidateId } of await store.approvals.candidatesWithPendingApprovals()) {
    report.checked++;
    try {
      const candidate = await store.candidates.getCandidate(candidateId);
      const roundId = candidate.approvalIds[0];
      if (candidate.status !== 'awaiting_approval' || !roundId) continue;
      await runner.start(candidateId, roundId);
      report.started++;
    } catch (error) {
      report.failed.push({ candidateId, error: (error as Error).message ?? String(error) });
    }
  }
  return report;
}
