// The metrics overview at 10,000 systems (issue 18, item 5; ADR 0043): daily rollups seeded for 10,000 systems
// (every system a day item with a p95 on each of BENCH_ROLLUP_DAYS days, and its tier index item; the 8 shards of the
// organisation's, 20 teams', 4 tiers' and their pairs' days) on a DynamoDB Local of its own, then
// GET /api/metrics/overview through the metrics module's HTTP handler (parsing, auth middleware, the store's reads,
// the JSON answer) as an auditor: its size (target under 50 KB) and its time (target under 200 ms on this machine),
// unfiltered, by team and tier, by tier, for one system, and over 92 days. Figures, not a timed test: the machines
// are shared.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Deps } from '../functions/api/deps.js';
import { createHttpHandler } from '../functions/api/http.js';
import { routes } from '../functions/api/metrics.js';
import type { Principal } from '../functions/domain/types.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createStore } from '../functions/store/index.js';
import { keys } from '../functions/store/keys.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';

const SYSTEMS = Number(process.env.BENCH_ROLLUP_SYSTEMS ?? 10_000);
const DAYS = Number(process.env.BENCH_ROLLUP_DAYS ?? 7);
const TEAMS = 20;
const TIERS = ['low', 'medium', 'high', 'critical'];
const SHARDS = 8;
const READS = 30;
const log = (line: string) => process.stderr.write(`  metrics: ${line}\n`);

const dayBefore = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const systemIdOf = (n: number) => `sys_01BENCH${String(n).padStart(19, '0')}`;

/** The seeded items: every system's days, and every scope's shards of each day. */
function* rollupItems(): Generator<Record<string, unknown>> {
  for (let d = 0; d < DAYS; d++) {
    const day = dayBefore(d);
    for (let n = 0; n < SYSTEMS; n++) {
      const systemId = systemIdOf(n);
      const ownerTeam = `team-${n % TEAMS}`;
      const p95 = 200 + ((n * 7919 + d * 104_729) % 3000);
      const riskTier = TIERS[n % TIERS.length] as string;
      const named = { systemId, day, name: `Bench system ${n}`, ownerTeam, riskTier };
      yield {
        ...keys.rollupTierLatencyItem(systemId, day),
        ...keys.rollupTierLatencyIndex(day, p95, systemId, ownerTeam, riskTier),
        itemType: 'rollup',
        ...named,
        latencyP95MaxMs: p95,
      };
      yield {
        ...keys.rollupSystemDay(systemId, day),
        ...keys.rollupLatencyIndex(day, p95, systemId, ownerTeam),
        itemType: 'rollup',
        ...named,
        evalRunsPassed: 1,
        latencyP95MaxMs: p95,
        costSumUsd: 0.001 + (n % 10) / 10_000,
        costRuns: 1,
      };
    }
    const scopes = [
      'ORG',
      ...Array.from({ length: TEAMS }, (_, t) => `TEAM#team-${t}`),
      ...TIERS.map((t) => `TIER#${t}`),
      ...Array.from({ length: TEAMS }, (_, t) => TIERS.map((r) => `TT#team-${t}#${r}`)).flat(),
    ];
    for (const scope of scopes)
      for (let shard = 0; shard < SHARDS; shard++)
        yield {
          ...keys.rollupScopeDay(scope, shard, day),
          itemType: 'rollup',
          day,
          evalRunsPassed: 100,
          evalRunsFailed: 7,
          promotions: 3,
          refusedPromotions: 2,
          refused_EVAL_FAILED: 2,
          refused_APPROVALS_INCOMPLETE: 1,
          incidentsOpened: 1,
          severity_high: 1,
        };
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

const auditor: Principal = {
  userId: 'aud.auditor',
  name: 'Aud Auditor',
  roles: ['auditor'],
  teams: [],
} as unknown as Principal;

export async function benchMetricsOverview() {
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench')));
    const store = createStore({ doc, tableName: 'bench' });
    const started = performance.now();
    let batch: Record<string, unknown>[] = [];
    let seeded = 0;
    const pending: Promise<void>[] = [];
    for (const item of rollupItems()) {
      batch.push(item);
      if (batch.length === 500) {
        pending.push(store.rollups.putRollupItems(batch));
        seeded += batch.length;
        batch = [];
        if (pending.length >= 4) await Promise.all(pending.splice(0));
      }
    }
    pending.push(store.rollups.putRollupItems(batch));
    seeded += batch.length;
    await Promise.all(pending);
    // The one system a filter names exists (its META), as the route checks the caller may read it.
    const named = systemIdOf(42);
    await store.rollups.putRollupItems([
      {
        ...keys.system(named),
        id: named,
        name: 'Bench system 42',
        ownerTeam: 'team-2',
        riskTier: 'high',
        status: 'active',
      },
    ]);
    const seedSeconds = round((performance.now() - started) / 1000);
    log(`seeded ${seeded} rollup items in ${seedSeconds} s`);

    const deps = {
      store,
      evalRunner: { start: () => Promise.reject(new Error('no eval run here')), idle: async () => undefined },
      verifyToken: async () => auditor,
    } as unknown as Deps;
    const handler = createHttpHandler(routes, () => deps, {});
    const call = async (query: Record<string, string>) => {
      const routeKey = 'GET /api/metrics/overview';
      const event = {
        version: '2.0',
        routeKey,
        rawPath: '/api/metrics/overview',
        rawQueryString: new URLSearchParams(query).toString(),
        queryStringParameters: query,
        headers: { authorization: 'Bearer bench' },
        isBase64Encoded: false,
        requestContext: {
          http: { method: 'GET', path: '/api/metrics/overview', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1' },
          requestId: 'bench',
          routeKey,
          stage: '$default',
        },
      } as unknown as APIGatewayProxyEventV2;
      return (await handler(event, { awsRequestId: 'bench' } as Context)) as APIGatewayProxyStructuredResultV2;
    };
    const measure = async (query: Record<string, string>) => {
      for (let i = 0; i < 3; i++) await call(query);
      const samples: number[] = [];
      let bytes = 0;
      let status = 0;
      for (let i = 0; i < READS; i++) {
        const t0 = performance.now();
        const res = await call(query);
        samples.push(performance.now() - t0);
        bytes = Buffer.byteLength(String(res.body ?? ''), 'utf8');
        status = res.statusCode ?? 0;
      }
      samples.sort((a, b) => a - b);
      return {
        status,
        bytes,
        kb: round(bytes / 1024),
        p50Ms: round(percentile(samples, 50)),
        p95Ms: round(percentile(samples, 95)),
        underTargets: status === 200 && bytes < 50 * 1024 && percentile(samples, 50) < 200,
      };
    };
    // The machine's pace: one Query of one shard's days (a baseline the figures above can be read against).
    const baseline: number[] = [];
    for (let i = 0; i < READS; i++) {
      const t0 = performance.now();
      await store.rollups.rollupOverview({
        from: dayBefore(0),
        to: dayBefore(0),
        systemId: named,
        limit: 1,
        offset: 0,
      });
      baseline.push(performance.now() - t0);
    }
    baseline.sort((a, b) => a - b);
    const unfiltered = await measure({});
    const teamAndTier = await measure({ team: 'team-3', tier: 'high' });
    const tierOnly = await measure({ tier: 'critical' });
    const oneSystem = await measure({ systemId: systemIdOf(42) });
    const fullRange = await measure({ from: dayBefore(91), to: dayBefore(0), limit: '50' });
    return {
      systems: SYSTEMS,
      daysSeeded: DAYS,
      itemsSeeded: seeded,
      seedSeconds,
      reads: READS,
      targets: { maxKb: 50, maxMs: 200 },
      note: 'GET /api/metrics/overview as an auditor through the metrics HTTP handler on DynamoDB Local (default range: the last 30 days; slowest systems: 10 a page)',
      oneSystemOneDayStoreReadP50Ms: round(percentile(baseline, 50)),
      unfiltered,
      teamAndTier,
      tierOnly,
      oneSystem,
      fullRange92DaysLimit50: fullRange,
    };
  } finally {
    await dynamo.stop();
  }
}
