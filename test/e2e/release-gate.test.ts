// The seeded awaiting candidate through its release gate over HTTP: the seed's pending approvals get a live gate
// when the local stack starts; one reviewer approves, the stack restarts on the same DynamoDB, the gate is resumed
// from the stored round, the other reviewers approve, the gate closes with the candidate approved, and its owner
// promotes it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRecord, ReleaseCandidate } from '../../functions/domain/types.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import { apiClient, eventually } from '../support/http.js';
import { startSeededStack } from '../support/seeded-stack.js';
import { dynamoEndpoint } from '../support/store.js';

describe('the release gate of the seeded awaiting candidate, over HTTP and across a restart', () => {
  let stack: LocalStack | undefined;
  let dataDir: string;
  const tableName = `e2e-gate-${Date.now()}`;
  const start = (extra: Partial<LocalStackOptions> = {}) =>
    startLocalStack({ port: 0, dataDir, dynamoEndpoint: dynamoEndpoint(), tableName, ...extra });
  const as = (user: string) => apiClient((stack as LocalStack).url, stack?.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-gate-'));
    // The demo restored from this run's one seed (an empty table seeding on start is proved by the global setup).
    stack = (await startSeededStack({ dataDir, tableName })).stack;
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('approves through the gate after a restart, loses no decision, and the owner promotes', async () => {
    const first = stack as LocalStack;
    expect(first.seeded).toBe(false);
    const awaiting = await as('omar.owner').get<{ items: ReleaseCandidate[] }>(
      '/api/release-candidates?status=awaiting_approval',
    );
    expect(awaiting.body.items).toHaveLength(1);
    const candidate = awaiting.body.items[0] as ReleaseCandidate;
    // The seed's pending round got a live gate when the stack started.
    expect(first.resumedGates).toBeGreaterThanOrEqual(1);
    const gateKey = `${candidate.id}/${candidate.approvalIds[0]}`;
    expect(first.gateRunner.live()).toContain(gateKey);

    const approvals = await Promise.all(
      candidate.approvalIds.map(async (id) => (await as('ada.admin').get<ApprovalRecord>(`/api/approvals/${id}`)).body),
    );
    const byRole = Object.fromEntries(approvals.map((a) => [a.role, a]));
    expect(Object.keys(byRole).sort()).toEqual(['product', 'risk', 'technical']);
    // The gate's token never leaves the store.
    for (const a of approvals) expect(a).not.toHaveProperty('taskToken');
    await eventually(async () => (first.gateRunner.tokens.waiting() >= 3 ? true : undefined));

    const technical = await as('tessa.technical').post(`/api/approvals/${byRole.technical?.id}/approve`, {
      comment: 'architecture reviewed',
    });
    expect(technical.status).toBe(200);
    await eventually(async () => (first.gateRunner.tokens.waiting() === 2 ? true : undefined));

    // Restart on the same DynamoDB: the gate dies with the process and comes back from the stored round.
    await first.stop();
    stack = undefined;
    stack = await start();
    const second = stack;
    expect(second.seeded).toBe(false);
    expect(second.resumedGates).toBeGreaterThanOrEqual(1);
    expect(second.gateRunner.live()).toContain(gateKey);
    expect((await as('ada.admin').get<ApprovalRecord>(`/api/approvals/${byRole.technical?.id}`)).body.status).toBe(
      'approved',
    );
    await eventually(async () => (second.gateRunner.tokens.waiting() === 2 ? true : undefined));

    expect(
      (await as('priya.product').post(`/api/approvals/${byRole.product?.id}/approve`, { comment: 'ok' })).status,
    ).toBe(200);
    const last = await as('rahul.risk').post<{ candidate: ReleaseCandidate }>(
      `/api/approvals/${byRole.risk?.id}/approve`,
      { comment: 'risk accepted' },
    );
    expect(last.status).toBe(200);
    expect(last.body.candidate.status).toBe('approved');
    // The gate closes: every wait answered, nothing left running for this round.
    await eventually(async () => (second.gateRunner.live().includes(gateKey) ? undefined : true));
    expect(second.gateRunner.tokens.waiting()).toBe(0);

    const gate = await as('omar.owner').get<{ promotable: boolean; activeCandidateId: string | null }>(
      `/api/release-candidates/${candidate.id}/gate`,
    );
    expect(gate.body.promotable).toBe(true);
    const promoted = await as('omar.owner').post<ReleaseCandidate>(`/api/release-candidates/${candidate.id}/promote`, {
      expectedActiveCandidateId: gate.body.activeCandidateId,
    });
    expect(promoted.status).toBe(200);
    const after = await as('omar.owner').get<ReleaseCandidate>(`/api/release-candidates/${candidate.id}`);
    expect(after.body.status).toBe('active');
  }, 180_000);
});
