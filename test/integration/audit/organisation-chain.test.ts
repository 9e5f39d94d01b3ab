// The organisation chain (policy transitions, ADR 0024) in the archive: written by runUnitOfWork on DynamoDB Local,
// archived through the archiver into the S3 stand-in's locked bucket, sealed by digests, back-filled by the
// reconciler (whose systems index does not list it), and verified in full with its own signed checkpoint, beside a
// system's chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveStatusReader } from '../../../functions/audit/archive-status.js';
import { createArchiver } from '../../../functions/audit/archiver.js';
import { type AuditDigest, latestDigest, writeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { batchKey } from '../../../functions/audit/layout.js';
import { reconcile } from '../../../functions/audit/reconciler.js';
import { S3Archive } from '../../../functions/audit/s3-archive.js';
import { createTableSource } from '../../../functions/audit/table-source.js';
import { runFullVerification } from '../../../functions/audit/verify/full-job.js';
import { TableCheckpointStore } from '../../../functions/audit/verify/table-checkpoints.js';
import { verifyArchive } from '../../../functions/audit/verify/verifier.js';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/audit-chain.js';
import type { Actor, AuditEvent } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { ensureOrganisationChain } from '../../../functions/store/organisation-chain.js';
import { runUnitOfWork } from '../../../functions/store/unit-of-work.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';
import { systemInput } from '../../support/fixtures.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';
import { streamEvent, streamRecord } from '../../unit/audit/fixture.js';

const GENESIS: Actor = { userId: 'system:genesis', name: 'Policy genesis', roles: ['admin'] };
const GRETA: Actor = { userId: 'greta.governance', name: 'Greta Governance', roles: ['reviewer:governance'] };

/** Policy transitions on the organisation chain, written as the policy store writes them. */
async function writePolicyEvents(store: GovernanceStore, versions: number): Promise<void> {
  await ensureOrganisationChain(store.ctx);
  for (let version = 1; version <= versions; version++) {
    await runUnitOfWork(store.ctx, ORGANISATION_CHAIN_ID, version === 1 ? GENESIS : GRETA, [], (tx) => {
      tx.audit({
        action: 'policy.activated',
        entityType: 'policy',
        entityId: `policy-v${version}`,
        before: version === 1 ? null : { activeVersion: version - 1 },
        after: { activeVersion: version, status: 'active' },
        reason: version === 1 ? 'genesis' : `activate version ${version}`,
      });
    });
  }
}

/** A chain's events as the table holds them, oldest first. */
async function chainEvents(store: GovernanceStore, chainId: string): Promise<AuditEvent[]> {
  const page = await store.audit.listAuditEvents({ systemId: chainId, order: 'asc' }, { limit: 100 });
  return page.items;
}

describe('the organisation chain in the audit archive', () => {
  let standIn: S3StandInHandle;
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let systemId: string;
  let bucketSerial = 0;

  beforeAll(async () => {
    standIn = await startS3StandIn();
    ({ store, tableName, drop } = await createTestStore());
    const owner = principal('omar.owner', ['model_owner'], { teams: ['support-ai'] });
    ({
      system: { id: systemId },
    } = await store.systems.createSystem(actorOf(owner), systemInput()));
    await writePolicyEvents(store, 3);
  });
  afterAll(async () => {
    await standIn?.stop();
    await drop?.();
  });

  /** A fresh bucket under Object Lock, as the archive's is in AWS. */
  async function lockedArchive(): Promise<S3Archive> {
    bucketSerial += 1;
    const bucket = await standIn.bucket(`audit-org-${bucketSerial}`, { objectLock: true });
    return new S3Archive(createS3Client(standIn.endpoint), bucket);
  }

  it('archives organisation events under audit/systems/org/, seals them in a digest beside a system and verifies them', async () => {
    // Prepare
    const archive = await lockedArchive();
    const events = [...(await chainEvents(store, systemId)), ...(await chainEvents(store, ORGANISATION_CHAIN_ID))];
    const signer = createKeySigner(generateSigningKeyPem());

    // Act
    const archived = await createArchiver({ archive })(streamEvent(events.map((e, i) => streamRecord(e, i + 1))));
    const digest = await writeDigest({ archive, signer });
    const sealed = (await latestDigest(archive))?.digest as AuditDigest;
    const report = await verifyArchive({ archive, publicKeys: [await signer.publicKeyPem()] });

    // Assess
    expect(archived.batchItemFailures).toEqual([]);
    expect(await archive.get(batchKey(ORGANISATION_CHAIN_ID, 1, 3))).toBeDefined();
    expect(digest).toMatchObject({ status: 'written', systems: 2, stalled: [] });
    const orgEntry = sealed.systems.find((s) => s.systemId === ORGANISATION_CHAIN_ID);
    expect(orgEntry).toMatchObject({ fromSeq: 1, toSeq: 3, eventCount: 3, batches: [{ key: batchKey('org', 1, 3) }] });
    expect(sealed.heads[ORGANISATION_CHAIN_ID]?.seq).toBe(3);
    expect(report.brokenAt).toBeNull();
    expect(report.perSystem.map((s) => s.systemId).sort()).toEqual([ORGANISATION_CHAIN_ID, systemId].sort());
    expect(report.perSystem.find((s) => s.systemId === ORGANISATION_CHAIN_ID)).toMatchObject({
      archivedHead: 3,
      sealedHead: 3,
      events: 3,
    });
  });

  it('back-fills the organisation events the stream missed, though no systems index lists the chain', async () => {
    // Prepare: the stream delivered the system's events and only the first organisation event.
    const archive = await lockedArchive();
    const orgEvents = await chainEvents(store, ORGANISATION_CHAIN_ID);
    const delivered = [...(await chainEvents(store, systemId)), ...orgEvents.slice(0, 1)];
    await createArchiver({ archive })(streamEvent(delivered.map((e, i) => streamRecord(e, i + 1))));
    const table = createTableSource(store.ctx.doc, tableName);

    // Act
    const chains: string[] = [];
    for await (const id of table.systemIds()) chains.push(id);
    const pass = await reconcile({ archive, table });
    const after = await reconcile({ archive, table, dryRun: true });

    // Assess
    expect(chains).toEqual(expect.arrayContaining([ORGANISATION_CHAIN_ID, systemId]));
    expect(chains.filter((id) => id === ORGANISATION_CHAIN_ID)).toHaveLength(1);
    expect(pass.perSystem.find((s) => s.systemId === ORGANISATION_CHAIN_ID)).toMatchObject({
      tableHead: 3,
      missing: 2,
      backFilled: 2,
    });
    expect(pass.missing).toBe(2);
    expect(after).toMatchObject({ systems: 2, missing: 0, conflicts: 0, badBatches: 0 });
    expect(await archive.get(batchKey(ORGANISATION_CHAIN_ID, 2, 3))).toBeDefined();
  });

  it('verifies the organisation chain in the full job, signs its checkpoint and answers it incrementally', async () => {
    // Prepare
    const archive = await lockedArchive();
    const events = [...(await chainEvents(store, systemId)), ...(await chainEvents(store, ORGANISATION_CHAIN_ID))];
    await createArchiver({ archive })(streamEvent(events.map((e, i) => streamRecord(e, i + 1))));
    const signer = createKeySigner(generateSigningKeyPem());
    await writeDigest({ archive, signer });
    const checkpoints = new TableCheckpointStore(store.ctx.doc, tableName);
    const publicKeys = [await signer.publicKeyPem()];

    // Act
    const full = await runFullVerification({ archive, checkpoints, signer, publicKeys });
    const checkpoint = await checkpoints.getCheckpoint(ORGANISATION_CHAIN_ID);
    const status = await createArchiveStatusReader(archive, publicKeys, { checkpoints })(ORGANISATION_CHAIN_ID);
    const table = await store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID);

    // Assess
    expect(full).toMatchObject({ status: 'ok', systems: 2, brokenAt: null });
    expect(JSON.parse(checkpoint as string)).toMatchObject({
      systemId: ORGANISATION_CHAIN_ID,
      digestSeq: 1,
      head: { seq: 3 },
    });
    expect(status).toMatchObject({
      status: 'ok',
      archivedHead: 3,
      sealedHead: 3,
      verification: { mode: 'incremental', fallback: null },
    });
    expect(table).toMatchObject({ systemId: ORGANISATION_CHAIN_ID, ok: true, events: 3, headSeq: 3 });
  });
});
