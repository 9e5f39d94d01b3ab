// Production samples (ADR 0042): a batch is written in one unit of work of its system, with one audit event for the
// batch (counts and ids, never the text), so it lands only while the release it names is the active one, and its
// event is published like any other. Each sample item carries the table's TTL attribute; sample items are not audit
// items, so the archiver's stream filter never sends them to the write-once archive. A change of the settings that
// loosens the redaction or lengthens retention is a relaxation request (ADR 0051, functions/store/relaxations.ts);
// this module writes what is decided.
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { newEvalRun } from '../domain/eval-run.js';
import { newId } from '../domain/ids.js';
import { sampleSettingsChanges } from '../domain/loosening.js';
import {
  defaultSampleSettings,
  type ProductionSample,
  prepareSamples,
  type SampleInput,
  type SampleSettings,
} from '../domain/samples.js';
import type { Actor, Environment, EvalRun, ReleaseCandidate } from '../domain/types.js';
import { keys, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

/** A system's sample settings: its own, or the defaults when it has set none. */
export async function sampleSettings(ctx: StoreContext, systemId: string): Promise<SampleSettings> {
  const item = await getItem(ctx, keys.sampleSettings(systemId));
  return item ? settingsOf(item) : defaultSampleSettings();
}

/** The settings an item holds (the stored item also carries its keys, updatedAt and updatedBy). */
export function settingsOf(item: Record<string, unknown>): SampleSettings {
  const { redaction, retentionDays } = item as unknown as SampleSettings;
  return { redaction, retentionDays };
}

/**
 * Writes a system's sample settings into a unit of work of its system, conditioned on the item read there (none, or
 * the one last written), with the `system.sample_settings_changed` event: which fields it loosens and tightens
 * (ADR 0051), and, for an approved relaxation, the reason naming the request. The settings are the domain's checked
 * ones; who may write what is decided by the caller (`putSampleSettingsOrRequest`, `decideRelaxation`).
 */
export function writeSampleSettings(
  tx: SystemTx,
  systemId: string,
  stored: Record<string, unknown> | undefined,
  settings: SampleSettings,
  reason?: string,
): SampleSettings {
  const key = keys.sampleSettings(systemId);
  const before = stored ? settingsOf(stored) : null;
  const { loosens, tightens } = sampleSettingsChanges(before ?? defaultSampleSettings(), settings);
  tx.put(
    { ...key, itemType: 'sample_settings', ...settings, updatedAt: tx.now, updatedBy: tx.actor.userId },
    stored ? [{ path: 'updatedAt', op: '=', value: stored.updatedAt }] : [{ path: 'pk', op: 'not_exists' }],
  );
  tx.audit({
    action: 'system.sample_settings_changed',
    entityType: 'system',
    entityId: systemId,
    before: before ? { ...before } : null,
    after: { ...settings, loosens, tightens },
    ...(reason ? { reason } : {}),
  });
  return settings;
}

export interface PostedSamples {
  accepted: number;
  releaseId: string;
  environment: Environment;
  sampleIds: string[];
  /** Matches replaced per redaction rule in the whole batch. */
  redactions: Record<string, number>;
  retentionDays: number;
  expiresAt: string;
}

/**
 * Writes a batch of samples for the system's active release of `environment`, redacted by the system's rules, in
 * one transaction with the batch's audit event. No active release: 409 NO_ACTIVE_RELEASE; a `releaseId` other than
 * the active one: 409 ACTIVE_RELEASE_CHANGED. The active release is read from the META inside the unit of work, and
 * the META's audit head is the transaction's condition, so a promotion or rollback racing the batch makes it retry
 * against the new release (or refuse), never land on a release that is no longer active.
 */
export async function postSamples(
  ctx: StoreContext,
  actor: Actor,
  systemId: string,
  input: { environment: Environment; releaseId?: string; samples: readonly SampleInput[] },
): Promise<PostedSamples> {
  const settingsKey = keys.sampleSettings(systemId);
  const { result } = await runUnitOfWork(ctx, systemId, actor, [settingsKey], (tx) => {
    const active = (tx.meta.activeReleases as Record<Environment, string | null> | undefined)?.[input.environment];
    if (!active) {
      throw new ConflictError(`system ${systemId} has no active release in ${input.environment}`, {
        code: 'NO_ACTIVE_RELEASE',
        environment: input.environment,
      });
    }
    if (input.releaseId !== undefined && input.releaseId !== active) {
      throw new ConflictError(`release ${input.releaseId} is not the active release of ${input.environment}`, {
        code: 'ACTIVE_RELEASE_CHANGED',
        activeRelease: active,
      });
    }
    const stored = tx.get(settingsKey);
    const settings = stored ? settingsOf(stored) : defaultSampleSettings();
    const prepared = prepareSamples({
      samples: input.samples,
      settings,
      now: tx.now,
      newId: () => newId('smp'),
      systemId,
      releaseId: active,
      environment: input.environment,
    });
    for (const sample of prepared.samples) {
      tx.put({
        ...keys.sample(systemId, active, sample.at, sample.id),
        itemType: 'sample',
        ttl: prepared.ttl,
        ...sample,
      });
    }
    const times = prepared.samples.map((s) => s.at).sort();
    tx.audit({
      action: 'monitoring.samples_received',
      entityType: 'candidate',
      entityId: active,
      after: {
        environment: input.environment,
        count: prepared.samples.length,
        sampleIds: prepared.samples.map((s) => s.id),
        from: times[0] ?? tx.now,
        to: times[times.length - 1] ?? tx.now,
        redactions: prepared.redactions,
        retentionDays: settings.retentionDays,
        expiresAt: prepared.expiresAt,
      },
    });
    return {
      accepted: prepared.samples.length,
      releaseId: active,
      environment: input.environment,
      sampleIds: prepared.samples.map((s) => s.id),
      redactions: prepared.redactions,
      retentionDays: settings.retentionDays,
      expiresAt: prepared.expiresAt,
    };
  });
  return result;
}

/** A page of a system's samples (of one release), newest first; samples past their expiry are left out. */
export async function listSamples(
  ctx: StoreContext,
  systemId: string,
  filter: { releaseId?: string },
  page: PageRequest,
): Promise<Page<ProductionSample>> {
  const now = ctx.now().toISOString();
  const found = await queryPage<ProductionSample>(ctx, {
    partition: keys.samplesPartition(systemId),
    ...(filter.releaseId ? { prefix: `${filter.releaseId}#` } : {}),
    newestFirst: true,
    filters: [{ path: 'expiresAt', op: '>', value: now }],
    ...page,
  });
  return found;
}

/**
 * The samples of one release served in [from, to], newest first, at most `max`; expired ones (TTL deletes lag)
 * are left out.
 */
export async function samplesInWindow(
  ctx: StoreContext,
  systemId: string,
  releaseId: string,
  window: { from: string; to: string },
  max: number,
): Promise<ProductionSample[]> {
  const now = ctx.now().toISOString();
  const out: ProductionSample[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<ProductionSample> = await queryPage<ProductionSample>(ctx, {
      partition: keys.samplesPartition(systemId),
      between: [`${releaseId}#${window.from}`, `${releaseId}#${window.to}~`],
      newestFirst: true,
      filters: [{ path: 'expiresAt', op: '>', value: now }],
      limit: 100,
      cursor,
    });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out.slice(0, max);
}

/**
 * Records a monitoring run over a window of samples: an eval run of the release (purpose monitoring, executor
 * `submitted`, no datasets), running, audited `eval_run.started`. The monitoring pass scores it in-process and
 * its continuation records the verdict (recordMonitoringResult), as for any monitoring run.
 */
export async function startSampleRun(
  ctx: StoreContext,
  actor: Actor,
  input: { candidateId: string; window: { from: string; to: string }; samples: number; assertions: string[] },
): Promise<EvalRun> {
  const candidateItem = await getItem(ctx, keys.candidate(input.candidateId));
  if (!candidateItem) throw new NotFoundError(`release candidate ${input.candidateId} not found`);
  const first = toEntity<ReleaseCandidate>(candidateItem);
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, [keys.candidate(input.candidateId)], (tx) => {
    const candidate = toEntity<ReleaseCandidate>(tx.get(keys.candidate(input.candidateId)) ?? {});
    const sampleWindow = { ...input.window, samples: input.samples, assertions: [...input.assertions] };
    const run = newEvalRun(candidate, tx.actor, tx.now, {
      executor: 'submitted',
      status: 'running',
      totalCases: input.samples,
      startedAt: tx.now,
      purpose: 'monitoring',
      datasetIds: [],
      sampleWindow,
    });
    tx.put({ ...keys.evalRun(run.id), ...keys.evalRunIndexes(candidate.id, run.id), itemType: 'eval_run', ...run });
    tx.audit({
      action: 'eval_run.started',
      entityType: 'eval_run',
      entityId: run.id,
      after: {
        status: 'running',
        purpose: 'monitoring',
        executor: 'submitted',
        source: 'samples',
        candidateId: candidate.id,
        candidateStatus: candidate.status,
        sampleWindow,
        totalCases: input.samples,
        snapshotHash: candidate.snapshotHash,
      },
    });
    return run;
  });
  return result;
}
