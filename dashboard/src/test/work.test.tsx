// @vitest-environment happy-dom
// Working from the dashboard: who may start an eval run and why not, the estimate before the start, and which
// rollback an incident caused.
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent, Incident } from '../../../functions/domain/types';
import { runBlockedReason } from '../run-evals';
import { rollbacksCausedBy, rollbacksOf } from '../system-incidents';
import { candidate, candidateContext, RC, SYS } from './fixtures';
import { fakeApi, fakeToken, get, post, renderAt } from './harness';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('runBlockedReason', () => {
  it('lets an operator start a run of a submitted, passed or failed candidate', () => {
    // Act
    const reasons = (['submitted', 'eval_passed', 'eval_failed'] as const).map((status) =>
      runBlockedReason(candidate({ status }), true),
    );
    // Assess
    expect(reasons).toEqual([null, null, null]);
  });

  it('says why not: to a reviewer, for a draft, while a run is in progress, and once approval has begun', () => {
    // Act
    const reviewer = runBlockedReason(candidate({ status: 'eval_passed' }), false);
    const draft = runBlockedReason(candidate({ status: 'draft' }), true);
    const evaluating = runBlockedReason(candidate({ status: 'evaluating' }), true);
    const active = runBlockedReason(candidate({ status: 'active' }), true);
    // Assess
    expect(reviewer).toMatch(/owners and pipelines/);
    expect(draft).toMatch(/Submit the candidate first/);
    expect(evaluating).toMatch(/in progress/);
    expect(active).toMatch(/is active: it is not evaluated again/);
  });
});

function event(over: Partial<AuditEvent>): AuditEvent {
  return {
    systemId: SYS,
    seq: 1,
    prevHash: '0',
    hash: '1',
    action: 'release.rolled_back',
    entityType: 'candidate',
    entityId: 'rc_from',
    actor: { userId: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'] },
    at: '2026-11-28T09:10:00.000Z',
    before: null,
    after: null,
    reason: 'restore',
    ...over,
  };
}

describe('the rollback an incident caused', () => {
  const incident = { id: 'inc_1', monitoring: undefined } as unknown as Incident;

  it('is the rollback whose audit event names the incident, from the rolled-back release to the reactivated one', () => {
    // Prepare
    const rollbacks = rollbacksOf([
      event({ after: { incidentId: 'inc_1', rollbackId: 'rb_1', activeRelease: 'rc_to', environment: 'production' } }),
      event({ entityId: 'rc_other', after: { incidentId: 'inc_2', rollbackId: 'rb_2', activeRelease: 'rc_x' } }),
      event({ action: 'release.promoted', after: { incidentId: 'inc_1' } }),
    ]);
    // Act
    const caused = rollbacksCausedBy(incident, rollbacks);
    // Assess
    expect(caused).toEqual([
      expect.objectContaining({ rollbackId: 'rb_1', fromCandidateId: 'rc_from', toCandidateId: 'rc_to' }),
    ]);
  });

  it('is the rollback monitoring made when it opened the incident, named by the incident', () => {
    // Prepare
    const monitored = { id: 'inc_9', monitoring: { rollbackId: 'rb_7' } } as unknown as Incident;
    const rollbacks = rollbacksOf([event({ after: { incidentId: null, rollbackId: 'rb_7', activeRelease: 'rc_to' } })]);
    // Act
    const caused = rollbacksCausedBy(monitored, rollbacks);
    // Assess
    expect(caused.map((r) => r.rollbackId)).toEqual(['rb_7']);
  });
});

describe('run evaluations on the candidate page', () => {
  const owner = fakeToken({ sub: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'] });
  const estimate = {
    candidateId: RC,
    estimate: {
      executor: 'simulated',
      cases: 12,
      callsPerCase: 1,
      inputTokens: 3000,
      outputTokens: 6000,
      cost: 0.0123,
      currency: 'USD',
      upperBound: true,
      routes: [],
      basis: 'the model config cost rates',
    },
    maxCost: 2,
    startable: true,
    reason: null,
  };

  it('asks for the estimate with the ceiling first, and starts the run with the same body only then', async () => {
    // Prepare
    const api = fakeApi(
      get(`/api/release-candidates/${RC}/context`, candidateContext({ candidate: { status: 'eval_passed' } })),
      post(`/api/release-candidates/${RC}/run-evals/estimate`, estimate),
      post(`/api/release-candidates/${RC}/run-evals`, { id: 'run_1', candidateId: RC, status: 'queued' }, 202),
    );
    renderAt(`/candidates/${RC}`, owner);
    const start = await screen.findByRole('button', { name: 'Start run' });
    // Act
    const disabledBefore = (start as HTMLButtonElement).disabled;
    fireEvent.change(screen.getByLabelText(/Maximum cost in USD/), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Estimate cost' }));
    const shown = await screen.findByRole('status', { name: 'Cost estimate' });
    await vi.waitFor(() => expect((start as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(start);
    await screen.findByRole('region', { name: 'Eval run started' });
    // Assess
    expect(disabledBefore).toBe(true);
    expect(shown.textContent).toContain('$0.012 at most');
    expect(shown.textContent).toContain('12 cases × 1 call');
    const posts = api.calls.filter((c) => c.method === 'POST');
    expect(posts.map((c) => [c.path, c.body])).toEqual([
      [`/api/release-candidates/${RC}/run-evals/estimate`, { executor: 'simulated', maxCost: 2 }],
      [`/api/release-candidates/${RC}/run-evals`, { executor: 'simulated', maxCost: 2 }],
    ]);
  });

  it('offers no start to a reviewer, and says why', async () => {
    // Prepare
    fakeApi(get(`/api/release-candidates/${RC}/context`, candidateContext({ candidate: { status: 'eval_passed' } })));
    const reviewer = fakeToken({ sub: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical'] });
    // Act
    renderAt(`/candidates/${RC}`, reviewer);
    const section = await screen.findByRole('region', { name: 'Run evaluations' });
    // Assess
    expect(section.textContent).toMatch(/started by the system's owners and pipelines/);
    expect(screen.queryByRole('button', { name: 'Start run' })).toBeNull();
  });
});
