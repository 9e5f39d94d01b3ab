// The facts the promotion gate judges, read from the table: the system's META, the candidate and every item it
// names. The verdict itself is the domain's (`functions/domain/gate.ts`); nothing here decides a reason.

import type { BlockReason } from '../../domain/errors.js';
import { NotFoundError } from '../../domain/errors.js';
import { type GateFacts, gateInput, gateVerdict } from '../../domain/gate.js';
import type { ApprovalPolicy } from '../../domain/policy.js';
import {
  type PendingRelaxation,
  pendingRelaxations,
  type RelaxationRequest,
  type WaivedReason,
} from '../../domain/relaxation.js';
import type {
  AiSystem,
  ApprovalRecord,
  Environment,
  EvalDataset,
  EvalRun,
  JudgeConfigVersion,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from '../../domain/types.js';
import { keys, queries, toEntity } from '../keys.js';
import { judgingPolicy } from '../policy-in-force.js';
import { queryAll } from '../query.js';
import { batchGet, type Item, type Key, type StoreContext } from '../unit-of-work.js';
import { getCandidate } from './build.js';

export interface GateView {
  candidate: ReleaseCandidate;
  system: AiSystem;
  environment: Environment;
  requiredRoles: string[];
  promotable: boolean;
  reasons: BlockReason[];
  /** Reasons an approved, unexpired waiver of this snapshot removed: who waived them, until when. */
  waived: WaivedReason[];
  /** Open relaxation requests of the system (and waivers of this candidate): they relax nothing until approved. */
  pendingRelaxations: PendingRelaxation[];
}

/** The ids of the candidate's approved waivers (the items beside it; read strongly, from the table itself). */
export async function candidateWaiverIds(ctx: StoreContext, candidateId: string): Promise<string[]> {
  const p = keys.waiverPrefix(candidateId);
  const items = await queryAll<{ requestId: string }>(ctx, { partition: p.pk, prefix: p.skPrefix });
  return items.map((i) => i.requestId);
}

/** The facts with the waivers read from their request items (the items, not the copies beside the candidate, decide). */
export function withWaivers(
  facts: GateFacts,
  waiverIds: readonly string[],
  loaded: (key: Key) => Item | undefined,
): GateFacts {
  const waivers = waiverIds
    .map((id) => loaded(keys.relaxation(id)))
    .filter((item): item is Item => item !== undefined)
    .map((item) => toEntity<RelaxationRequest>(item));
  return waivers.length ? { ...facts, waivers } : facts;
}

/** The model config versions the candidate's judges call, once each, besides the candidate's own (ADR 0036). */
function judgeModelConfigIds(candidate: ReleaseCandidate): string[] {
  const ids = (candidate.judgeConfigs ?? []).map((j) => j.modelConfigId);
  return [...new Set(ids)].filter((id) => id !== candidate.modelConfigId);
}

/** The keys of every item the gate reads for `candidate`, besides the system's META. */
export function gateKeys(candidate: ReleaseCandidate): Key[] {
  return [
    keys.candidate(candidate.id),
    keys.prompt(candidate.promptVersionId),
    keys.modelConfig(candidate.modelConfigId),
    ...(candidate.judgeConfigs ?? []).map((j) => keys.judgeConfig(j.id)),
    ...judgeModelConfigIds(candidate).map(keys.modelConfig),
    ...(candidate.latestEvalRunId ? [keys.evalRun(candidate.latestEvalRunId)] : []),
    ...candidate.approvalIds.map(keys.approval),
    ...candidate.datasetIds.map(keys.dataset),
  ];
}

/** The gate's facts from loaded items (a batch read or a unit of work's preload); items absent are null or left out. */
export function gateFacts(loaded: (key: Key) => Item | undefined, system: AiSystem, candidateId: string): GateFacts {
  const candidateItem = loaded(keys.candidate(candidateId));
  if (!candidateItem) throw new NotFoundError(`release candidate ${candidateId} not found`, { id: candidateId });
  const candidate = toEntity<ReleaseCandidate>(candidateItem);
  const entity = <T>(key: Key) => {
    const item = loaded(key);
    return item ? toEntity<T>(item) : null;
  };
  return {
    system,
    candidate,
    run: candidate.latestEvalRunId ? entity<EvalRun>(keys.evalRun(candidate.latestEvalRunId)) : null,
    approvals: candidate.approvalIds
      .map((a) => entity<ApprovalRecord>(keys.approval(a)))
      .filter((a): a is ApprovalRecord => a !== null),
    prompt: entity<PromptVersion>(keys.prompt(candidate.promptVersionId)),
    config: entity<ModelConfigVersion>(keys.modelConfig(candidate.modelConfigId)),
    ...judgeFacts(candidate, entity),
    datasets: candidate.datasetIds
      .map((d) => entity<EvalDataset>(keys.dataset(d)))
      .filter((d): d is EvalDataset => d !== null),
  };
}

/** The judges a candidate pins and the model configs they call, as loaded; nothing for a candidate without judges. */
function judgeFacts(
  candidate: ReleaseCandidate,
  entity: <T>(key: Key) => T | null,
): Pick<GateFacts, 'judges' | 'judgeModelConfigs'> {
  if (!candidate.judgeConfigs?.length) return {};
  const present = <T>(items: (T | null)[]) => items.filter((i): i is T => i !== null);
  const configIds = [...new Set(candidate.judgeConfigs.map((j) => j.modelConfigId))];
  return {
    judges: present(candidate.judgeConfigs.map((j) => entity<JudgeConfigVersion>(keys.judgeConfig(j.id)))),
    judgeModelConfigs: present(configIds.map((id) => entity<ModelConfigVersion>(keys.modelConfig(id)))),
  };
}

/** Reads the gate's facts of candidate `id` now (strongly consistent). */
export async function readGateFacts(ctx: StoreContext, id: string): Promise<GateFacts> {
  return (await readGateFactsWithPolicy(ctx, id)).facts;
}

/** The gate's facts of candidate `id` and the policy its promotion is judged under (ADR 0023). */
async function readGateFactsWithPolicy(
  ctx: StoreContext,
  id: string,
): Promise<{ facts: GateFacts; policy: ApprovalPolicy }> {
  const candidate = await getCandidate(ctx, id);
  const waiverIds = await candidateWaiverIds(ctx, id);
  const loaded = await batchGet(ctx, [
    keys.system(candidate.systemId),
    ...gateKeys(candidate),
    ...waiverIds.map(keys.relaxation),
  ]);
  const systemItem = loaded.get(`${keys.system(candidate.systemId).pk}|META`);
  if (!systemItem) throw new NotFoundError(`system ${candidate.systemId} not found`);
  const get = (k: Key) => loaded.get(`${k.pk}|${k.sk}`);
  const facts = withWaivers(gateFacts(get, toEntity<AiSystem>(systemItem), id), waiverIds, get);
  return { facts, policy: await judgingPolicy(ctx, systemItem, candidate.policyVersion) };
}

/** The system's open relaxation requests (stored open; the expired ones are left out by the domain). */
async function openRelaxations(ctx: StoreContext, systemId: string): Promise<RelaxationRequest[]> {
  return queryAll<RelaxationRequest>(ctx, {
    ...queries.relaxationsOfSystem(systemId),
    filters: [{ path: 'status', op: '=', value: 'open' }],
  });
}

/** Every reason that blocks the candidate's promotion now, as the promote transaction would judge it. */
export async function candidateGate(
  ctx: StoreContext,
  id: string,
  environment?: Environment,
  override?: ApprovalPolicy,
): Promise<GateView> {
  const read = await readGateFactsWithPolicy(ctx, id);
  const facts = read.facts;
  const policy = override ?? read.policy;
  const env = environment ?? facts.candidate.environment;
  const now = ctx.now().toISOString();
  const input = gateInput(facts, env, undefined, policy, now);
  const { reasons, waived } = gateVerdict(input);
  const pending = pendingRelaxations(await openRelaxations(ctx, facts.system.id), id, now);
  return {
    candidate: facts.candidate,
    system: facts.system,
    environment: env,
    requiredRoles: input.requiredRoles,
    promotable: reasons.length === 0,
    reasons,
    waived,
    pendingRelaxations: pending,
  };
}
