// End to end: a governed transition in the local stack reaches the S3 audit archive through DynamoDB Local's real
// stream and the stream pump, is sealed by a signed digest, verifies, and shows in GET /api/audit-events/verify.
// Events of the organisation chain (policy transitions, ADR 0024) take the same path, are read and verified through
// the audit routes by an auditor, and are verified offline by `npm run audit:verify` on a downloaded copy, which names
// the organisation chain and the seq of an event changed in the copy. One stack serves both.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBatchKey, systemPrefix } from '../../functions/audit/layout.js';
import { verifyArchive } from '../../functions/audit/verify/verifier.js';
import { ORGANISATION_CHAIN_ID } from '../../functions/domain/audit-chain.js';
import type { Actor, AuditEvent } from '../../functions/domain/types.js';
import { ensureOrganisationChain } from '../../functions/store/organisation-chain.js';
import { runUnitOfWork } from '../../functions/store/unit-of-work.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { systemInput } from '../support/fixtures.js';
import { apiClient, eventually } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string };

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

describe('the audit archive in the local stack', () => {
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

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GRETA: Actor = { userId: 'greta.governance', name: 'Greta Governance', roles: ['reviewer:governance'] };
const POLICY_VERSIONS = 3;
/** Where the organisation chain stood before this file's events: the genesis and the seed write to it too. */
let before = 0;
/** The head after this file's events, and the seq of the event the offline check tampers with. */
const head = () => before + POLICY_VERSIONS;
const tamperedSeq = () => before + 2;

/** `npm run audit:verify -- <args>` on the main thread; its exit code and output. */
function auditVerify(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/audit-verify.ts', ...args, '--workers', '0'],
      { cwd: REPO_ROOT, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the organisation chain in the local stack', () => {
  beforeAll(async () => {
    // Policy activations, written as the policy store writes them.
    await ensureOrganisationChain(stack.store.ctx);
    before = (await stack.store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID)).headSeq;
    for (let version = 1; version <= POLICY_VERSIONS; version++) {
      await runUnitOfWork(stack.store.ctx, ORGANISATION_CHAIN_ID, GRETA, [], (tx) => {
        tx.audit({
          action: 'policy.activated',
          entityType: 'policy',
          entityId: `policy-test-v${version}`,
          after: { activeVersion: version, status: 'active' },
          reason: `activate version ${version}`,
        });
      });
    }
    // Archived through the stream pump, then sealed.
    await eventually(async () => {
      let archivedTo = 0;
      for await (const key of stack.auditArchive.archive.list(systemPrefix(ORGANISATION_CHAIN_ID))) {
        const ref = parseBatchKey(key);
        if (ref && ref.firstSeq <= archivedTo + 1) archivedTo = Math.max(archivedTo, ref.lastSeq);
      }
      return archivedTo >= head() ? true : undefined;
    });
    await stack.auditArchive.digestNow();
  });

  it('lets an auditor read and verify the organisation chain, shows it in the timeline and refuses an owner', async () => {
    // Act
    const chain = await as('aud.auditor').get<{ items: AuditEvent[] }>(
      `/api/audit-events?systemId=${ORGANISATION_CHAIN_ID}&order=asc`,
    );
    const timeline = await as('aud.auditor').get<{ items: AuditEvent[] }>('/api/audit-events');
    const verify = await as('aud.auditor').get<{ table: Record<string, unknown>; archive: Record<string, unknown> }>(
      `/api/audit-events/verify?systemId=${ORGANISATION_CHAIN_ID}`,
    );
    const owner = await as('omar.owner').get(`/api/audit-events?systemId=${ORGANISATION_CHAIN_ID}`);
    const ownerVerify = await as('omar.owner').get(`/api/audit-events/verify?systemId=${ORGANISATION_CHAIN_ID}`);
    const malformed = await as('aud.auditor').get('/api/audit-events?systemId=organisation');

    // Assess
    expect(chain.status).toBe(200);
    expect(chain.body.items.map((e) => [e.seq, e.entityId]).slice(before)).toEqual([
      [before + 1, 'policy-test-v1'],
      [before + 2, 'policy-test-v2'],
      [before + 3, 'policy-test-v3'],
    ]);
    expect(timeline.body.items.filter((e) => e.systemId === ORGANISATION_CHAIN_ID).length).toBeGreaterThanOrEqual(
      POLICY_VERSIONS,
    );
    expect(verify.status).toBe(200);
    expect(verify.body.table).toMatchObject({
      systemId: ORGANISATION_CHAIN_ID,
      ok: true,
      events: head(),
      headSeq: head(),
    });
    expect(verify.body.archive).toMatchObject({
      status: 'ok',
      archivedHead: head(),
      sealedHead: head(),
      keySource: 'pinned',
    });
    expect([owner.status, ownerVerify.status]).toEqual([403, 403]);
    expect(malformed.status).toBe(400);
  });

  it('verifies offline and names the organisation chain and the seq of an event changed in the downloaded copy', {
    timeout: 300_000,
  }, async () => {
    // Prepare: the archive downloaded to a folder, as `aws s3 sync s3://<bucket>/audit ./archive/audit` does.
    const copy = join(dataDir, 'download');
    let orgBatch: string | undefined;
    for await (const key of stack.auditArchive.archive.list('audit/')) {
      const file = join(copy, ...key.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, (await stack.auditArchive.archive.get(key)) as Uint8Array);
      const ref = parseBatchKey(key);
      if (ref?.systemId === ORGANISATION_CHAIN_ID && ref.firstSeq <= tamperedSeq() && ref.lastSeq >= tamperedSeq())
        orgBatch ??= file;
    }
    const args = ['--dir', copy, '--public-key', stack.auditArchive.publicKeyFile];

    // Act
    const intact = await auditVerify(args);
    const bytes = await readFile(orgBatch as string, 'utf8');
    await writeFile(orgBatch as string, bytes.replace('"entityId":"policy-test-v2"', '"entityId":"policy-test-v9"'));
    const tampered = await auditVerify(args);

    // Assess
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toContain('and the organisation chain');
    expect(intact.stdout).toContain(
      `organisation chain: ${head()} events verified, archived head seq ${head()}, sealed head seq ${head()}`,
    );
    expect(intact.stdout).toContain('OK: every hash, link, batch, root, digest and signature verifies.');
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`BROKEN: organisation chain seq ${tamperedSeq()}: `);
  });
});
