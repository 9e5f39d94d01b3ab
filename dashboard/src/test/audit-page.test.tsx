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
    const policyRow = await screen.findByRole('row', { name: /policy\.activated/ });
    const organisationLink = within(policyRow).getByRole('link', { name: 'Organisation' });
    await userEvent.selectOptions(screen.getByLabelText('System'), 'Organisation (policy)');

    // Assess
    expect(organisationLink.getAttribute('href')).toBe('/audit?systemId=org');
    expect(await screen.findByText(/Chain verified: 1 events, head seq/)).toBeTruthy();
    expect(api.calls.map((c) => c.path)).toContain('/api/audit-events/verify?systemId=org');
  });

  it('sends its filters to the server and shows only what the server answered', async () => {
    // Prepare
    const api = fakeApi(get('/api/systems', page([system()])), get('/api/audit-events', page([auditEvent({})])));

    // Act
    renderAt('/audit?action=release.promotion_refused&actor=omar.owner&from=2026-12-01&to=2026-12-02', AUDITOR);
    await screen.findByRole('row', { name: /system\.registered/ });

    // Assess: the filters are the query's, not a filter of loaded events
    const call = api.calls.find((c) => c.path.startsWith('/api/audit-events?')) as { path: string };
    const query = new URL(call.path, 'http://dashboard').searchParams;
    expect(query.get('action')).toBe('release.promotion_refused');
    expect(query.get('actor')).toBe('omar.owner');
    expect(query.get('from')).toBe('2026-12-01T00:00:00.000Z');
    expect(query.get('to')).toBe('2026-12-02T23:59:59.999Z');
  });

  it('shows a broken archive as an error, with no verified badge beside it', async () => {
    // Prepare
    fakeApi(
      get('/api/systems', page([system()])),
      get('/api/audit-events', page([auditEvent({})])),
      get('/api/audit-events/verify', {
        table: { systemId: SYS, ok: true, events: 1, headSeq: 1, headHash: HASH, brokenAt: null },
        archive: {
          status: 'broken',
          brokenAt: {
            kind: 'event',
            systemId: SYS,
            seq: 1,
            reason: 'hash',
            message: 'event 1 does not hash to its hash',
          },
        },
      }),
    );

    // Act
    renderAt(`/audit?systemId=${SYS}`, AUDITOR);
    const alert = await screen.findByRole('alert');

    // Assess
    expect(alert.textContent).toMatch(/archive does not: event 1 does not hash to its hash \(seq 1\)/);
    expect(screen.queryByText('verified')).toBeNull();
  });
});
