// End to end: a governed transition in the local stack reaches the S3 audit archive through DynamoDB Local's real
// stream and the stream pump, is sealed by a signed digest, verifies, and shows in GET /api/audit-events/verify.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../functions/audit/verify/verifier.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { systemInput } from '../support/fixtures.js';
import { apiClient, eventually } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string };

describe('the audit archive in the local stack', () => {
  let stack: LocalStack;
  let dataDir: string;
  const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-audit-'));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName: `e2e-audit-${Date.now()}`,
      seed: false,
      auditDigestIntervalMs: 3_600_000,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('archives a transition via the stream pump, seals it in a signed digest and reports it beside the table', async () => {
    const owner = as('omar.owner');
    const created = await owner.post<Json>('/api/systems', systemInput({ riskTier: 'low', ownerTeam: 'support-ai' }));
    expect(created.status).toBe(201);
    const systemId = created.body.id;

    const { archive } = stack.auditArchive;
    const keys = await eventually(async () => {
      const found: string[] = [];
      for await (const key of archive.list(`audit/systems/${systemId}/batches/`)) found.push(key);
      return found.length ? found : undefined;
    }).catch((error: Error) => {
      // Say where the pump was, so a failure on a loaded machine names its cause.
      throw new Error(
        `${error.message}: ${JSON.stringify({ pump: stack.auditArchive.pump.describe(), archiver: stack.auditArchive.stats.slice(-3) })}`,
      );
    });
    expect(keys[0]).toMatch(/000000000001-000000000001\.jsonl$/);
    const digest = await stack.auditArchive.digestNow();
    expect(digest.status).toBe('written');

    const publicKey = await readFile(stack.auditArchive.publicKeyFile, 'utf8');
    const report = await verifyArchive({ archive, publicKeys: [publicKey], systems: [systemId] });
    expect(report.brokenAt).toBeNull();
    expect(report.perSystem[0]).toMatchObject({ systemId, archivedHead: 1, sealedHead: 1 });

    const verify = await as('ada.admin').get<{ table: { ok: boolean }; archive: Record<string, unknown> }>(
      `/api/audit-events/verify?systemId=${systemId}`,
    );
    expect(verify.status).toBe(200);
    expect(verify.body.table.ok).toBe(true);
    expect(verify.body.archive).toMatchObject({ status: 'ok', archivedHead: 1, sealedHead: 1, keySource: 'pinned' });
  });

  it('verifies from the checkpoint it advanced, and serves a full verification started on request', async () => {
    const created = await as('omar.owner').post<Json>(
      '/api/systems',
      systemInput({ riskTier: 'low', ownerTeam: 'support-ai' }),
    );
    const systemId = created.body.id;
    await eventually(async () => {
      for await (const key of stack.auditArchive.archive.list(`audit/systems/${systemId}/batches/`)) return key;
      return undefined;
    });
    await stack.auditArchive.digestNow();
    type Verify = { archive: { status: string; verification: { mode: string }; fullVerification: unknown } };
    const path = `/api/audit-events/verify?systemId=${systemId}`;
    await as('ada.admin').get<Verify>(path);

    const again = await as('ada.admin').get<Verify>(path);
    const owner = await as('omar.owner').get(`${path}&full=request`);
    const asked = await as('ada.admin').get<Verify & { archive: { fullVerificationRequested: boolean } }>(
      `${path}&full=request`,
    );
    const served = await eventually(async () => {
      const answer = await as('ada.admin').get<Verify>(path);
      return answer.body.archive.fullVerification ? answer.body.archive : undefined;
    });

    expect(again.body.archive).toMatchObject({ status: 'ok', verification: { mode: 'incremental' } });
    expect(owner.status).toBe(403);
    expect(asked.body.archive.fullVerificationRequested).toBe(true);
    expect(served.fullVerification).toMatchObject({ status: 'ok', finishedAt: expect.any(String) });
  });
});
