// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from '../../../functions/domain/types';
import { SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, page, renderAt } from './harness';

const AUDITOR = fakeToken({ sub: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });
const HASH = 'c'.repeat(64);

function auditEvent(over: Partial<AuditEvent>): AuditEvent {
  return {
    systemId: SYS,
    seq: 1,
    prevHash: '0'.repeat(64),
    hash: HASH,
    action: 'system.registered',
    entityType: 'system',
    entityId: SYS,
    actor: { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'] },
    at: '2026-12-07T10:00:00.000Z',
    before: null,
    after: null,
    reason: null,
    ...over,
  };
}

// An event of the organisation chain (policy transitions): its systemId is `org`, which names no system.
const POLICY_ACTIVATED = auditEvent({
  systemId: 'org',
  seq: 1,
  action: 'policy.activated',
  entityType: 'policy',
  entityId: 'policy-v1',
  actor: { userId: 'system:genesis', name: 'Genesis', roles: ['admin'] },
  at: '2026-12-07T11:00:00.000Z',
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('the audit page', () => {
  it('names the organisation chain "Organisation" in the timeline and offers it as a chain to verify', async () => {
    // Prepare
    const api = fakeApi(
      get('/api/systems', page([system()])),
      (url) =>
        url.pathname === '/api/audit-events'
          ? {
              body: page(
                url.searchParams.get('systemId') === 'org' ? [POLICY_ACTIVATED] : [POLICY_ACTIVATED, auditEvent({})],
              ),
            }
          : undefined,
      get('/api/audit-events/verify', {
        table: { systemId: 'org', ok: true, events: 1, headSeq: 1, headHash: HASH, brokenAt: null },
        archive: { status: 'not_configured', detail: 'no audit archive is configured' },
      }),
    );

    // Act
    renderAt('/audit', AUDITOR);
    const policyRow = (await screen.findByText('policy.activated')).closest('tr') as HTMLElement;
    const organisationLink = within(policyRow).getByRole('link', { name: 'Organisation' });
    await userEvent.selectOptions(screen.getByLabelText('System'), 'Organisation (policy)');

    // Assess
    expect(organisationLink.getAttribute('href')).toBe('/audit?systemId=org');
    expect(await screen.findByText(/Chain verified: 1 events, head seq/)).toBeTruthy();
    expect(api.calls.map((c) => c.path)).toContain('/api/audit-events/verify?systemId=org');
  });
});
