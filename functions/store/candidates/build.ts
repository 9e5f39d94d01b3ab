// Building a release candidate: the snapshot of exact versions, reading it, freezing it (submit), and the
// optimistic-lock update every later step of its lifecycle uses.
import { ciAuthorsForAudit, ciAuthorsOf } from '../../domain/authorship.js';
import type { BlockReason } from '../../domain/errors.js';
import { ConflictError, GateBlockedError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { assertTransition } from '../../domain/lifecycle.js';
import { pinnedList, snapshotHash } from '../../domain/snapshot.js';
import type {
  Actor,
  AiSystem,
  CandidateStatus,
  Environment,
  EvalDataset,
  JudgeConfigVersion,
  ModelConfigVersion,
  PinnedJudgeConfig,
  PromptVersion,
  ReleaseCandidate,
  Threshold,
} from '../../domain/types.js';
import { judgesOfDatasets } from '../datasets.js';
import type { Condition } from '../expressions.js';
import { keys, queries, toEntity } from '../keys.js';
import type { Page } from '../pagination.js';
import { getItem, type PageRequest, queryPage } from '../query.js';
import { runUnitOfWork, type StoreContext, type SystemTx } from '../unit-of-work.js';

export interface CandidateInput {
  systemId: string;
  name: string;
  environment: Environment;
  promptVersionId: string;
  modelConfigId: string;
  /**
   * Judge config versions to pin besides those the datasets' llm-rubric assertions name, which are always pinned
   * (ADR 0036, ADR 0039); absent or empty, only those.
   */
  judgeConfigIds?: string[];
  datasetIds: string[];
  thresholds: Threshold[];
  notes: string;
}

/**
 * Creates a draft candidate: a snapshot of exact versions with their hashes, the datasets and the thresholds. Its
 * judges are those named in the request and every judge the datasets' llm-rubric assertions name (read from their
 * immutable facts before the transaction): a judge that does not exist in the system is a 400, one that is not
 * approved a 409, each naming the judge (and the dataset that names it), with nothing written.
 */
export async function createCandidate(
  ctx: StoreContext,
  actor: Actor,
  input: CandidateInput,
): Promise<ReleaseCandidate> {
  const datasetIds = [...new Set(input.datasetIds)].sort();
  const namedBy = new Map<string, string>();
  for (const [datasetId, ids] of await judgesOfDatasets(ctx, datasetIds))
    for (const id of ids) if (!namedBy.has(id)) namedBy.set(id, datasetId);
  const judgeIds = [...new Set([...(input.judgeConfigIds ?? []), ...namedBy.keys()])].sort();
  const origin = (id: string) => {
    const datasetId = namedBy.get(id);
    return datasetId ? `${id} (named by an llm-rubric assertion of dataset ${datasetId})` : id;
  };
  const preload = [
    keys.prompt(input.promptVersionId),
    keys.modelConfig(input.modelConfigId),
    ...judgeIds.map(keys.judgeConfig),
    ...datasetIds.map(keys.dataset),
  ];
  const { result } = await runUnitOfWork(ctx, input.systemId, actor, preload, (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    if (system.status === 'retired') throw new ConflictError('the system is retired', { code: 'SYSTEM_RETIRED' });
    const prompt = belonging<PromptVersion>(tx, keys.prompt(input.promptVersionId), input.systemId, 'promptVersionId');
    const config = belonging<ModelConfigVersion>(
      tx,
      keys.modelConfig(input.modelConfigId),
      input.systemId,
      'modelConfigId',
    );
    for (const id of datasetIds) belonging<EvalDataset>(tx, keys.dataset(id), input.systemId, 'datasetIds');
    const judges = judgeIds.map((j) => {
      const item = tx.get(keys.judgeConfig(j));
      if (!item || item.systemId !== input.systemId)
        throw new ValidationError(`judgeConfigIds: ${origin(j)} is not a judge config of this system`, {
          field: 'judgeConfigIds',
          judgeConfigId: j,
        });
      return toEntity<JudgeConfigVersion>(item);
    });
    // A judge grades the gate: only an approved version may (unlike a prompt, which may still be in review here).
    const unapproved = judges.filter((j) => j.status !== 'approved');
    if (unapproved.length > 0) {
      throw new ConflictError(
        `judgeConfigIds names ${unapproved.map((j) => `${origin(j.id)}, ${j.status}`).join('; ')}: only an approved judge config can grade a release`,
        { code: 'SNAPSHOT_INELIGIBLE', field: 'judgeConfigIds', judgeConfigIds: unapproved.map((j) => j.id) },
      );
    }
    const judgeConfigs: PinnedJudgeConfig[] = pinnedList(judges).map((p) => ({
      ...p,
      modelConfigId: judges.find((j) => j.id === p.id)?.modelConfigId ?? '',
    }));
    for (const [field, artefact] of [
      ['promptVersionId', prompt],
      ['modelConfigId', config],
    ] as const) {
      if (artefact.status === 'rejected') {
        throw new ConflictError(`${field} ${artefact.id} was rejected and cannot be released`, {
          code: 'SNAPSHOT_INELIGIBLE',
          field,
        });
      }
    }
    const id = newId('rc');
    const candidate: ReleaseCandidate = {
      id,
      systemId: input.systemId,
      name: input.name,
      environment: input.environment,
      promptVersionId: prompt.id,
      promptContentHash: prompt.contentHash,
      modelConfigId: config.id,
      modelConfigContentHash: config.contentHash,
      // Absent, not empty, on a candidate without judges: its item and answer are as before judges existed.
      ...(judgeConfigs.length > 0 ? { judgeConfigs } : {}),
      datasetIds,
      thresholds: input.thresholds,
      snapshotHash: snapshotHash({
        systemId: input.systemId,
        environment: input.environment,
        promptVersionId: prompt.id,
        promptContentHash: prompt.contentHash,
        modelConfigId: config.id,
        modelConfigContentHash: config.contentHash,
        judgeConfigs,
        datasetIds,
        thresholds: input.thresholds,
      }),
      status: 'draft',
      latestEvalRunId: null,
      latestEvalStatus: null,
      requiredRoles: [],
      approvalIds: [],
      // The version in force when it was built; its approval round records the version that opened it.
      policyVersion: system.policyVersion ?? null,
      notes: input.notes,
      createdAt: tx.now,
      createdBy: actor.userId,
      submittedAt: null,
      submittedBy: null,
      ciAuthors: ciAuthorsOf(actor, 'created'),
      activatedAt: null,
      deactivatedAt: null,
      version: 1,
    };
    tx.put({
      ...keys.candidate(id),
      ...keys.candidateIndexes(input.systemId, id),
      itemType: 'candidate',
      ...candidate,
    });
    tx.audit({
      action: 'candidate.created',
      entityType: 'candidate',
      entityId: id,
      after: {
        status: 'draft',
        snapshotHash: candidate.snapshotHash,
        environment: input.environment,
        ...ciAuthorsForAudit(actor, 'created'),
      },
    });
    return candidate;
  });
  return result;
}

function belonging<T extends { systemId: string; id: string }>(
  tx: SystemTx,
  key: { pk: string; sk: string },
  systemId: string,
  field: string,
): T {
  const item = tx.get(key);
  if (!item || item.systemId !== systemId) {
    throw new ValidationError(`${field} does not name an artefact of this system`, { field });
  }
  return toEntity<T>(item);
}

/** One candidate, or a 404. */
export async function getCandidate(ctx: StoreContext, id: string): Promise<ReleaseCandidate> {
  const item = await getItem(ctx, keys.candidate(id));
  if (!item) throw new NotFoundError(`release candidate ${id} not found`, { id });
  return toEntity<ReleaseCandidate>(item);
}

/** Candidates of a system (newest first), or of every system; optionally of one status. */
export function listCandidates(
  ctx: StoreContext,
  filter: { systemId?: string; status?: CandidateStatus },
  page: PageRequest,
): Promise<Page<ReleaseCandidate>> {
  const filters: Condition[] = filter.status ? [{ path: 'status', op: '=', value: filter.status }] : [];
  if (filter.systemId) {
    return queryPage(ctx, {
      ...queries.candidatesOfSystem(filter.systemId),
      newestFirst: true,
      filters,
      ...page,
    });
  }
  return queryPage(ctx, { ...queries.allOfType('RC'), newestFirst: true, filters, ...page });
}

/** Freezes a draft candidate; its prompt and model config must be submitted (frozen) themselves. */
export async function submitCandidate(ctx: StoreContext, actor: Actor, id: string): Promise<ReleaseCandidate> {
  const current = await getCandidate(ctx, id);
  const preload = [keys.candidate(id), keys.prompt(current.promptVersionId), keys.modelConfig(current.modelConfigId)];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, (tx) => {
    const candidate = loadCandidate(tx, id);
    assertTransition('candidate', candidate.status, 'submitted');
    const reasons: BlockReason[] = [];
    for (const [label, key] of [
      ['prompt version', keys.prompt(candidate.promptVersionId)],
      ['model config', keys.modelConfig(candidate.modelConfigId)],
    ] as const) {
      const status = tx.get(key)?.status;
      if (status !== 'in_review' && status !== 'approved') {
        reasons.push({ code: 'SNAPSHOT_INELIGIBLE', message: `the ${label} is ${status}; submit it for review first` });
      }
    }
    if (reasons.length) throw new GateBlockedError(reasons);
    const submitted = {
      status: 'submitted' as const,
      submittedAt: tx.now,
      submittedBy: actor.userId,
      ciAuthors: [...(candidate.ciAuthors ?? []), ...ciAuthorsOf(actor, 'submitted')],
    };
    setCandidate(tx, candidate, submitted);
    tx.audit({
      action: 'candidate.submitted',
      entityType: 'candidate',
      entityId: id,
      before: { status: candidate.status },
      after: { status: 'submitted', snapshotHash: candidate.snapshotHash, ...ciAuthorsForAudit(actor, 'submitted') },
    });
    return { ...candidate, ...submitted, version: candidate.version + 1 };
  });
  return result;
}

export function loadCandidate(tx: SystemTx, id: string): ReleaseCandidate {
  const item = tx.get(keys.candidate(id));
  if (!item) throw new NotFoundError(`release candidate ${id} not found`, { id });
  return toEntity<ReleaseCandidate>(item);
}

/** Updates a candidate under optimistic locking on its version, its status and its snapshot hash. */
export function setCandidate(tx: SystemTx, candidate: ReleaseCandidate, set: Partial<ReleaseCandidate>) {
  tx.update(keys.candidate(candidate.id), {
    set: { ...set },
    add: { version: 1 },
    conditions: [
      { path: 'version', op: '=', value: candidate.version },
      { path: 'status', op: '=', value: candidate.status },
      { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
    ],
  });
}
