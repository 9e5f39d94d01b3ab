// The API under load (issue 14): 20 concurrent clients against the local stack (local/stack.ts, DynamoDB Local in
// memory), on the release-candidate gate (GET) and on registering a system (POST), each bounded in requests and
// time; beside them, a bare DynamoDB GetItem round trip with the same 20 clients on the same DynamoDB Local, so the
// figures read as ratios (what the handler stack, the token check and the store add to one round trip). Then a
// sharded list read (the audit timeline of every system, fanned out over its 8 shards) beside a read of
// the same page from one partition: what the fan-out costs (docs/adr/0020-sharded-index-partitions.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { GovernanceStore } from '../functions/store/index.js';
import { keys, queries } from '../functions/store/keys.js';
import { queryPage } from '../functions/store/query.js';
import { startLocalStack } from '../local/stack.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';

const CLIENTS = 20;
const REQUESTS_PER_ROUTE = 600;
/** No route may take longer than this in all: a slow machine measures fewer requests, never hangs the bench. */
const ROUTE_BUDGET_MS = 60_000;
const LIST_READS = 100;

interface Latencies {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}

const owner = { userId: 'omar.owner', name: 'Omar Owner', roles: ['model_owner' as const] };
const technical = { userId: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical' as const] };

/** A submitted candidate of a new system: its gate answers every reason that still blocks it. */
async function submittedCandidate(store: GovernanceStore): Promise<{ systemId: string; candidateId: string }> {
  const { system } = await store.systems.createSystem(owner, systemInput({ riskTier: 'medium' }));
  const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
  const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
  for (const [kind, id] of [
    ['prompt', prompt.id],
    ['model_config', config.id],
  ] as const) {
    await store.artefacts.transitionArtefact(owner, kind, id, 'in_review', null);
    await store.artefacts.transitionArtefact(technical, kind, id, 'approved', 'ok');
  }
  const dataset = await store.datasets.createDataset(owner, {
    systemId: system.id,
    name: 'baseline',
    kind: 'baseline',
    description: 'three cases',
    cases: cases(3),
  });
  const candidate = await store.candidates.createCandidate(owner, {
    systemId: system.id,
    name: 'rc',
    environment: 'production',
    promptVersionId: prompt.id,
    modelConfigId: config.id,
    datasetIds: [dataset.id],
    thresholds: LENIENT_THRESHOLDS,
    notes: '',
  });
  await store.candidates.submitCandidate(owner, candidate.id);
  return { systemId: system.id, candidateId: candidate.id };
}

/** Runs `call` from `CLIENTS` concurrent clients until `total` calls or the budget is spent; answers the latencies. */
async function underLoad(total: number, call: (n: number) => Promise<boolean>): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + ROUTE_BUDGET_MS;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < total && performance.now() < deadline) {
        const n = next++;
        const t0 = performance.now();
        const ok = await call(n).catch(() => false);
        samples.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  return summarise(samples, errors, performance.now() - started);
}

function summarise(samples: number[], errors: number, elapsedMs: number): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
  return {
    requests: samples.length,
    errors,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    perSecond: Math.round((samples.length / elapsedMs) * 1000),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Sequential reads of one list, one page each (the p50 and p99 of a page). */
async function pageReads(read: () => Promise<unknown>): Promise<Latencies> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < LIST_READS; i++) {
    const t0 = performance.now();
    await read();
    samples.push(performance.now() - t0);
  }
  return summarise(samples, 0, performance.now() - started);
}

export async function benchApiLoad() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-api-load-'));
  const stack = await startLocalStack({ inMemory: true, dataDir, port: 0, seed: false, resumeGates: false });
  try {
    const token = stack.tokens['omar.owner']?.token;
    if (!token) throw new Error('the local stack minted no token for omar.owner');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const { candidateId, systemId } = await submittedCandidate(stack.store);
    const systemKey = keys.system(systemId);

    // Warm-up: the first requests pay for module loading and connection set-up.
    for (let i = 0; i < 20; i++) {
      await fetch(`${stack.url}/api/release-candidates/${candidateId}/gate`, { headers }).then((r) => r.arrayBuffer());
    }

    const getItem = await underLoad(REQUESTS_PER_ROUTE, async () => {
      const out = await stack.doc.send(
        new GetCommand({ TableName: stack.tableName, Key: systemKey, ConsistentRead: true }),
      );
      return out.Item !== undefined;
    });
    const gate = await underLoad(REQUESTS_PER_ROUTE, async () => {
      const res = await fetch(`${stack.url}/api/release-candidates/${candidateId}/gate`, { headers });
      await res.arrayBuffer();
      return res.status === 200;
    });
    const register = await underLoad(REQUESTS_PER_ROUTE, async (n) => {
      const body = systemInput({ name: `Load system ${n}`, riskTier: 'low', ownerTeam: 'support-ai' });
      const res = await fetch(`${stack.url}/api/systems`, { method: 'POST', headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      return res.status === 201;
    });

    // By now the table holds hundreds of systems, each with its registration event: the timeline spans all 8 shards.
    const sharded = await pageReads(() => stack.store.audit.listAuditEvents({}, { limit: 25 }));
    // The same page from one partition holding part of the same timeline (one shard read alone), as before the shards.
    const [oneShard] = queries.auditTimeline().shards;
    const onePartition = await pageReads(() =>
      queryPage(stack.store.ctx, { index: 'gsi1', partition: oneShard ?? '', newestFirst: true, limit: 25 }),
    );
    const ratio = (route: Latencies) => ({
      p50: round(route.p50Ms / Math.max(getItem.p50Ms, 0.01)),
      p99: round(route.p99Ms / Math.max(getItem.p99Ms, 0.01)),
    });
    return {
      clients: CLIENTS,
      budgetPerRouteMs: ROUTE_BUDGET_MS,
      dynamoGetItem: getItem,
      gateGet: { ...gate, timesGetItem: ratio(gate) },
      registerSystemPost: { ...register, timesGetItem: ratio(register) },
      auditTimelinePage: {
        note: 'one page of 25 newest events, sequential: sharded = 8 Queries merged, onePartition = one Query of one shard',
        sharded,
        onePartition,
        shardedOverOnePartition: {
          p50: round(sharded.p50Ms / Math.max(onePartition.p50Ms, 0.01)),
          p99: round(sharded.p99Ms / Math.max(onePartition.p99Ms, 0.01)),
        },
      },
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
