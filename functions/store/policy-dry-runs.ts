// Policy dry runs in the table: the job's item (pk PDR#<id>, sk META: the draft, the policy it is compared with,
// progress and counters) and its result items beside it (sk ITEM#...), all with a TTL. The job reads the
// organisation one page of systems at a time (the sharded systems index, never a Scan); each step writes its
// results, then advances the job's position with a condition on the position it started from, so a step delivered
// twice, or two invocations racing, write the same items and advance once. The verdicts are the domain's
// (functions/domain/policy-dry-run.ts).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../domain/errors.js';
import type { GateFacts } from '../domain/gate.js';
import type { ApprovalPolicy } from '../domain/policy.js';
import {
  type DryRunItem,
  type DryRunSubject,
  dryRunActiveRelease,
  dryRunCandidate,
  dryRunExpiry,
  OPEN_CANDIDATE_STATUSES,
  type PolicyDryRun,
} from '../domain/policy-dry-run.js';
import type { AiSystem, Environment, ReleaseCandidate } from '../domain/types.js';
import { batchPut } from './batch-write.js';
import { gateFacts, gateKeys } from './candidates/gate-facts.js';
import { buildCondition, buildUpdate } from './expressions.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import { batchGet, type Item, type StoreContext } from './unit-of-work.js';

/** The job's position before its first step (a DynamoDB condition cannot compare with an absent cursor). */
const START = 'start';

/** Systems one step judges: a page of the systems index, small enough that a step ends well within a minute. */
const SYSTEMS_PER_STEP = 10;

interface DryRunMeta extends Item {
  id: string;
  status: PolicyDryRun['status'];
  startedAt: string;
  finishedAt: string | null;
  requestedBy: { userId: string; name: string };
  /** The draft judged, and the policy in force it is compared with, both as at the request. */
  policy: ApprovalPolicy;
  currentPolicy: ApprovalPolicy;
  /** The systems index cursor the next step starts from; START before the first. */
  position: string;
  systemsDone: number;
  candidatesChecked: number;
  releasesChecked: number;
  blocked: number;
  error: string | null;
  ttl: number;
}

function view(meta: DryRunMeta): PolicyDryRun {
  const done = meta.status === 'succeeded';
  return {
    id: meta.id,
    status: meta.status,
    startedAt: meta.startedAt,
    finishedAt: meta.finishedAt,
    progress: { systemsDone: meta.systemsDone, systemsTotal: done ? meta.systemsDone : null },
    summary: done
      ? { candidatesChecked: meta.candidatesChecked, releasesChecked: meta.releasesChecked, blocked: meta.blocked }
      : null,
    error: meta.error,
    requestedBy: meta.requestedBy,
  };
}

/** Records a new dry run of `policy` against `currentPolicy`, status running; the caller starts its job. */
export async function createPolicyDryRun(
  ctx: StoreContext,
  input: {
    id: string;
    policy: ApprovalPolicy;
    currentPolicy: ApprovalPolicy;
    requestedBy: { userId: string; name: string };
  },
): Promise<PolicyDryRun> {
  const startedAt = ctx.now().toISOString();
  const meta: DryRunMeta = {
    ...keys.policyDryRun(input.id),
    itemType: 'policy-dry-run',
    id: input.id,
    status: 'running',
    startedAt,
    finishedAt: null,
    requestedBy: input.requestedBy,
    policy: input.policy,
    currentPolicy: input.currentPolicy,
    position: START,
    systemsDone: 0,
    candidatesChecked: 0,
    releasesChecked: 0,
    blocked: 0,
    error: null,
    ttl: dryRunExpiry(startedAt),
  };
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: meta,
      ...buildCondition([{ path: 'pk', op: 'not_exists' }]),
    }),
  );
  return view(meta);
}

async function readMeta(ctx: StoreContext, id: string): Promise<DryRunMeta> {
  const item = (await getItem(ctx, keys.policyDryRun(id))) as DryRunMeta | undefined;
  // DynamoDB deletes expired items some time after their TTL: past it, the dry run is gone already.
  if (!item || item.ttl < Math.floor(ctx.now().getTime() / 1000)) {
    throw new NotFoundError(`policy dry run ${id} not found`, { id });
  }
  return item;
}

/** The dry run and one page of its result items (in system order), or a 404 once it has expired. */
export async function getPolicyDryRun(
  ctx: StoreContext,
  id: string,
  page: PageRequest,
): Promise<PolicyDryRun & Page<DryRunItem>> {
  const meta = await readMeta(ctx, id);
  const items = await queryPage<DryRunItem>(ctx, { ...keys.policyDryRunItems(id), ...page });
  return { ...view(meta), ...items };
}

/** Ends a running dry run as failed with `message` (a sentence for the requester: no secrets, no internals). */
export async function failPolicyDryRun(ctx: StoreContext, id: string, message: string): Promise<void> {
  await ctx.doc
    .send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: keys.policyDryRun(id),
        ...buildUpdate({
          set: { status: 'failed', finishedAt: ctx.now().toISOString(), error: message },
          conditions: [{ path: 'status', op: '=', value: 'running' }],
        }),
      }),
    )
    .catch((error: unknown) => {
      // Already ended (or expired): the first ending stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
}

/** Where a step left the job: its next position, or finished. */
export type DryRunStepOutcome =
  | { state: 'continue'; position: string }
  | { state: 'finished' }
  | { state: 'superseded' };

/**
 * One step of the job: the next page of systems from `from` (null: the first page; a step from another position than
 * the job's item holds was already taken and is `superseded`), each system's open candidates and active releases judged
 * under the draft and the policy in force, their results written, and the position advanced.
 */
export async function runPolicyDryRunStep(
  ctx: StoreContext,
  id: string,
  from: string | null,
  options: { systemsPerStep?: number } = {},
): Promise<DryRunStepOutcome> {
  const position = from ?? START;
  const meta = await readMeta(ctx, id);
  if (meta.status !== 'running' || meta.position !== position) return { state: 'superseded' };
  const now = ctx.now().toISOString();
  const page = await queryPage<AiSystem>(ctx, {
    ...queries.systems(),
    limit: options.systemsPerStep ?? SYSTEMS_PER_STEP,
    cursor: position === START ? null : position,
  });
  const policies = { draft: meta.policy, current: meta.currentPolicy };
  const counts = { candidatesChecked: 0, releasesChecked: 0, blocked: 0 };
  const results: Item[] = [];
  for (const listed of page.items) {
    for (const judged of await judgeSystem(ctx, listed.id, policies, now)) {
      if (judged.subject === 'candidate') counts.candidatesChecked++;
      else counts.releasesChecked++;
      if (judged.item.reasons.length === 0) continue;
      counts.blocked++;
      const { item } = judged;
      results.push({
        ...keys.policyDryRunItem(id, item.systemId, item.environment, item.subject, item.candidateId),
        itemType: 'policy-dry-run-item',
        ...item,
        ttl: meta.ttl,
      });
    }
  }
  await batchPut(ctx, results);
  const finished = page.nextCursor === null;
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: keys.policyDryRun(id),
        ...buildUpdate({
          set: finished
            ? { position: 'done', status: 'succeeded', finishedAt: ctx.now().toISOString() }
            : { position: page.nextCursor },
          add: { systemsDone: page.items.length, ...counts },
          conditions: [
            { path: 'status', op: '=', value: 'running' },
            { path: 'position', op: '=', value: position },
          ],
        }),
      }),
    );
  } catch (error) {
    // Another delivery of this step advanced the job first: its results are the ones just written again.
    if (error instanceof ConditionalCheckFailedException) return { state: 'superseded' };
    throw error;
  }
  return finished ? { state: 'finished' } : { state: 'continue', position: page.nextCursor as string };
}

interface Judged {
  subject: DryRunSubject;
  item: DryRunItem;
}

/** Every open candidate and active release of one system, judged (one BatchGet of the facts they name). */
async function judgeSystem(
  ctx: StoreContext,
  systemId: string,
  policies: { draft: ApprovalPolicy; current: ApprovalPolicy },
  now: string,
): Promise<Judged[]> {
  const candidates = await queryAll<ReleaseCandidate>(ctx, {
    ...queries.candidatesOfSystem(systemId),
    filters: [{ path: 'status', op: 'in', values: [...OPEN_CANDIDATE_STATUSES] }],
  });
  const meta = await getItem(ctx, keys.system(systemId));
  if (!meta) return [];
  const system = toEntity<AiSystem>(meta);
  // A retired system ships nothing again: nothing of it is judged.
  if (system.status === 'retired') return [];
  const releases = (Object.entries(system.activeReleases) as [Environment, string | null][]).filter(
    (entry): entry is [Environment, string] => entry[1] !== null,
  );
  const releaseItems = releases.length
    ? await batchGet(
        ctx,
        releases.map(([, candidateId]) => keys.candidate(candidateId)),
      )
    : new Map<string, Item>();
  const released = releases.flatMap(([environment, candidateId]) => {
    const item = releaseItems.get(`${keys.candidate(candidateId).pk}|META`);
    return item ? [{ environment, candidate: toEntity<ReleaseCandidate>(item) }] : [];
  });
  const loaded = await batchGet(ctx, [
    ...candidates.flatMap(gateKeys),
    ...released.flatMap(({ candidate }) => gateKeys(candidate)),
  ]);
  const factsOf = (candidateId: string): GateFacts =>
    gateFacts((k) => loaded.get(`${k.pk}|${k.sk}`), system, candidateId);
  const itemOf = (
    subject: DryRunSubject,
    candidate: ReleaseCandidate,
    environment: Environment,
    verdict: Pick<DryRunItem, 'reasons' | 'newlyBlocked'>,
  ): Judged => ({
    subject,
    item: {
      systemId: system.id,
      systemName: system.name,
      riskTier: system.riskTier,
      subject,
      candidateId: candidate.id,
      environment,
      ...verdict,
    },
  });
  return [
    ...candidates.map((c) => itemOf('candidate', c, c.environment, dryRunCandidate(factsOf(c.id), policies, now))),
    ...released.map(({ environment, candidate }) =>
      itemOf(
        'active-release',
        candidate,
        environment,
        dryRunActiveRelease(factsOf(candidate.id), environment, policies, now),
      ),
    ),
  ];
}
