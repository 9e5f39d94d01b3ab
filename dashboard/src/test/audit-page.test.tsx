// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEvent } from '../../../functions/domain/types';
import { SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, page, post, renderAt } from './harness';

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

  it('exports the whole filtered range through the job and shows its download links once it succeeded', async () => {
    // Prepare: the export runs once (running), then has succeeded
    const EXPORT = 'aex_01JZZZZZZZZZZZZZZZZZZZZZZZ';
    let reads = 0;
    const job = (status: string) => ({
      id: EXPORT,
      status,
      events: status === 'running' ? 0 : 1234,
      bytes: status === 'running' ? null : { jsonl: 2048, csv: 1024 },
      error: null,
      downloads:
        status === 'running'
          ? []
          : [
              { format: 'jsonl', url: 'http://s3.test/e.jsonl?X-Amz-Signature=a', expiresAt: '2026-12-07T10:05:00Z' },
              { format: 'csv', url: 'http://s3.test/e.csv?X-Amz-Signature=b', expiresAt: '2026-12-07T10:05:00Z' },
            ],
    });
    const api = fakeApi(
      get('/api/systems', page([system()])),
      get('/api/audit-events', page([auditEvent({})])),
      post('/api/audit-exports', job('running'), 202),
      (url) =>
        url.pathname === `/api/audit-exports/${EXPORT}`
          ? { body: job(reads++ === 0 ? 'running' : 'succeeded') }
          : undefined,
    );

    // Act
    renderAt('/audit?action=system.registered&from=2026-12-01', AUDITOR);
    await userEvent.click(await screen.findByRole('button', { name: 'Export the filtered range' }));
    const csv = await screen.findByRole('link', { name: 'Download CSV' }, { timeout: 5000 });

    // Assess
    const started = api.calls.find((c) => c.method === 'POST') as { path: string; body: unknown };
    expect(started.path).toBe('/api/audit-exports');
    expect(started.body).toEqual({ action: 'system.registered', from: '2026-12-01T00:00:00.000Z' });
    expect(csv.getAttribute('href')).toBe('http://s3.test/e.csv?X-Amz-Signature=b');
    expect(screen.getByRole('link', { name: 'Download JSON Lines' }).getAttribute('href')).toBe(
      'http://s3.test/e.jsonl?X-Amz-Signature=a',
    );
    expect(screen.getByText(/Exported 1,234 events/)).toBeTruthy();
  });

  it('offers no export to a reviewer, who may read but not export the record', async () => {
    // Prepare
    fakeApi(get('/api/systems', page([system()])), get('/api/audit-events', page([auditEvent({})])));
    const reviewer = fakeToken({ sub: 'tara.tech', name: 'Tara Tech', roles: ['reviewer:technical'] });

    // Act
    renderAt('/audit', reviewer);
    await screen.findByRole('row', { name: /system\.registered/ });

    // Assess
    expect(screen.queryByRole('button', { name: 'Export the filtered range' })).toBeNull();
  });

  it("links each event's entity to its page: candidates, systems, eval runs, an approval's candidate, incidents, policy", async () => {
    // Prepare
    fakeApi(
      get('/api/systems', page([system()])),
      get(
        '/api/audit-events',
        page([
          auditEvent({ seq: 1, entityType: 'system', entityId: SYS }),
          auditEvent({
            seq: 2,
            action: 'candidate.created',
            entityType: 'candidate',
            entityId: 'rc_01JAAAAAAAAAAAAAAAAAAAAAAA',
          }),
          auditEvent({
            seq: 3,
            action: 'eval_run.passed',
            entityType: 'eval_run',
            entityId: 'run_01JAAAAAAAAAAAAAAAAAAAAAAA',
          }),
          auditEvent({
            seq: 4,
            action: 'approval.approved',
            entityType: 'approval',
            entityId: 'apr_01JAAAAAAAAAAAAAAAAAAAAAAA',
            after: { candidateId: 'rc_01JBBBBBBBBBBBBBBBBBBBBBBB' },
          }),
          auditEvent({
            seq: 5,
            action: 'incident.opened',
            entityType: 'incident',
            entityId: 'inc_01JAAAAAAAAAAAAAAAAAAAAAAA',
          }),
          auditEvent({
            seq: 6,
            action: 'prompt.created',
            entityType: 'prompt',
            entityId: 'pv_01JAAAAAAAAAAAAAAAAAAAAAAA',
          }),
        ]),
      ),
    );

    // Act
    renderAt(`/audit?systemId=${SYS}`, AUDITOR);
    const hrefOf = async (action: RegExp) =>
      within(await screen.findByRole('row', { name: action }))
        .getAllByRole('link')
        .map((a) => a.getAttribute('href'))
        .at(-1);

    // Assess
    expect(await hrefOf(/system\.registered/)).toBe(`/systems/${SYS}`);
    expect(await hrefOf(/candidate\.created/)).toBe('/candidates/rc_01JAAAAAAAAAAAAAAAAAAAAAAA');
    expect(await hrefOf(/eval_run\.passed/)).toBe('/eval-runs/run_01JAAAAAAAAAAAAAAAAAAAAAAA');
    expect(await hrefOf(/approval\.approved/)).toBe('/candidates/rc_01JBBBBBBBBBBBBBBBBBBBBBBB');
    expect(await hrefOf(/incident\.opened/)).toBe('/incidents?status=all');
    expect(await hrefOf(/prompt\.created/)).toBe('/prompts/pv_01JAAAAAAAAAAAAAAAAAAAAAAA');
  });
});
