// Gathers what the model card of a release is generated from (functions/domain/model-card.ts): one consistent
// BatchGetItem of the candidate, its system, prompt, model config, datasets, eval run and approvals, and the
// system's release history, and the stored policy versions (the card names those in force during its life).
import { NotFoundError } from '../domain/errors.js';
import { buildModelCard, type ModelCard, type ModelCardInputs } from '../domain/model-card.js';
import type {
  AiSystem,
  ApprovalRecord,
  EvalDataset,
  EvalRun,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from '../domain/types.js';
import { getCandidate, listCandidates, promotionHistory } from './candidates.js';
import { keys, toEntity } from './keys.js';
import { allPolicyVersions } from './policies.js';
import { policyOfMeta } from './policy-in-force.js';
import { batchGet, type StoreContext } from './unit-of-work.js';

/** The inputs of the model card of release candidate `candidateId`, or a 404. */
export async function modelCardInputs(ctx: StoreContext, candidateId: string): Promise<ModelCardInputs> {
  const first = await getCandidate(ctx, candidateId);
  const [loaded, releaseHistory, policyVersions] = await Promise.all([
    batchGet(ctx, [
      keys.candidate(first.id),
      keys.system(first.systemId),
      keys.prompt(first.promptVersionId),
      keys.modelConfig(first.modelConfigId),
      ...first.datasetIds.map(keys.dataset),
      ...(first.latestEvalRunId ? [keys.evalRun(first.latestEvalRunId)] : []),
      ...first.approvalIds.map(keys.approval),
    ]),
    promotionHistory(ctx, first.systemId),
    allPolicyVersions(ctx),
  ]);
  const entity = <T>(key: { pk: string; sk: string }): T | null => {
    const item = loaded.get(`${key.pk}|${key.sk}`);
    return item ? toEntity<T>(item) : null;
  };
  const required = <T>(key: { pk: string; sk: string }, label: string): T => {
    const found = entity<T>(key);
    if (!found) throw new NotFoundError(`${label} of release candidate ${candidateId} not found`);
    return found;
  };
  // The candidate as read with the rest; its snapshot fields never change, only its status and round.
  const candidate = required<ReleaseCandidate>(keys.candidate(first.id), 'the candidate');
  const run = candidate.latestEvalRunId ? entity<EvalRun>(keys.evalRun(candidate.latestEvalRunId)) : null;
  const meta = loaded.get(`${keys.system(candidate.systemId).pk}|${keys.system(candidate.systemId).sk}`);
  return {
    system: required<AiSystem>(keys.system(candidate.systemId), 'the system'),
    candidate,
    prompt: required<PromptVersion>(keys.prompt(candidate.promptVersionId), 'the prompt version'),
    modelConfig: required<ModelConfigVersion>(keys.modelConfig(candidate.modelConfigId), 'the model config'),
    datasets: candidate.datasetIds
      .map((id) => entity<EvalDataset>(keys.dataset(id)))
      .filter((d): d is EvalDataset => d !== null),
    evalRun: run,
    approvals: candidate.approvalIds
      .map((id) => entity<ApprovalRecord>(keys.approval(id)))
      .filter((a): a is ApprovalRecord => a !== null),
    releaseHistory,
    generatedAt: ctx.now().toISOString(),
    // The system's policy in force, from the META's copy (the entity strips it), and the stored versions.
    ...(meta ? { policy: policyOfMeta(meta) } : {}),
    policyVersions,
  };
}

/** The model card of release candidate `candidateId`, generated now from the registry. */
export async function releaseModelCard(ctx: StoreContext, candidateId: string): Promise<ModelCard> {
  return buildModelCard(await modelCardInputs(ctx, candidateId));
}

/**
 * The release whose card represents a system: its active production release, else its newest candidate; null when
 * it has no candidate at all.
 */
export async function systemCardCandidateId(ctx: StoreContext, system: AiSystem): Promise<string | null> {
  if (system.activeReleases.production) return system.activeReleases.production;
  const newest = await listCandidates(ctx, { systemId: system.id }, { limit: 1 });
  return newest.items[0]?.id ?? null;
}
