// What a reviewer decides with, shared by the candidate page and the approval queue: the candidate's metrics beside
// the active and last-known-good releases, release names, the gate's reasons in words, and text diffs.
import { Link } from 'react-router';
import type { CandidateContextAnswer } from '../../functions/contracts/candidate-context';
import { api } from './api';
import { type DiffLine, diffLines } from './diff';
import { metricLabel } from './metric-format';
import { Badge } from './ui';

export type CandidateContext = CandidateContextAnswer;
export type ContextSide = CandidateContext['sides'][number];
type MetricRow = CandidateContext['metrics'][number];
type BaselineDelta = MetricRow['baselines'][number];

/** The query of a candidate's context (GET .../context): the candidate page and the approval queue share its cache. */
export const contextKey = (id: string) => ['candidate-context', id] as const;
export const fetchContext = (id: string) => api.get<CandidateContext>(`/api/release-candidates/${id}/context`);

export const SIDE_LABELS: Record<ContextSide['role'], string> = {
  candidate: 'This candidate',
  active: 'Active release',
  last_known_good: 'Last-known-good release',
};

/** Metric names for people: the API's camelCase names stay in the title. */
export const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy',
  macroF1: 'Macro F1',
  schemaValidRate: 'Schema-valid rate',
  latencyMeanMs: 'Mean latency (ms)',
  latencyP95Ms: 'p95 latency (ms)',
  costMeanUsd: 'Mean cost (USD)',
  timeoutRate: 'Timeout rate',
  fallbackSuccessRate: 'Fallback success rate',
  sliceAccuracyGap: 'Slice accuracy gap',
};

/** What each gate reason means, in words; a code a later API adds shows with its message only. */
export const REASON_TITLES: Record<string, string> = {
  EVAL_MISSING: 'No eval run has judged this snapshot',
  EVAL_FAILED: 'The latest eval run failed',
  EVAL_STALE: 'The latest eval run judged another snapshot',
  EVAL_EXPIRED: 'The latest eval run is older than the policy allows',
  APPROVALS_INCOMPLETE: 'Required approvals are missing',
  APPROVAL_REJECTED: 'A reviewer rejected or asked for changes',
  SEPARATION_OF_DUTIES: 'An approver also authored what is approved',
  BLOCKING_INCIDENT_OPEN: 'A blocking incident is open on the system',
  INVALID_STATE: 'The candidate is not in a promotable state',
  SNAPSHOT_INELIGIBLE: 'The snapshot no longer matches what was evaluated',
  SYSTEM_RETIRED: 'The system is retired',
  WRONG_ENVIRONMENT: 'The candidate was built for another environment',
  MODEL_CARD_INCOMPLETE: 'The model card is incomplete',
  DATASET_KIND_MISSING: 'A dataset kind the policy requires is missing',
  THRESHOLD_BELOW_FLOOR: 'A threshold is looser than the policy floor',
};

/** A number for people: integers as they are, large values with two decimals, small ones with four significant digits. */
export function metricValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1 ? value.toFixed(2) : String(Number(value.toPrecision(4)));
}

function deltaText(delta: number | null): string {
  if (delta === null) return '';
  if (Math.abs(delta) < 1e-9) return '±0';
  return `${delta > 0 ? '+' : '−'}${metricValue(Math.abs(delta))}`;
}

const VERDICT_TONES: Record<BaselineDelta['verdict'], string> = {
  within_tolerance: 'ok',
  better: 'ok',
  same: 'muted',
  no_data: 'muted',
  worse: 'warn',
  regressed: 'bad',
};

const VERDICT_WORDS: Record<BaselineDelta['verdict'], string> = {
  within_tolerance: 'within tolerance',
  regressed: 'regressed',
  better: 'better',
  worse: 'worse',
  same: 'same',
  no_data: 'no data',
};

function DeltaVerdict({ delta }: { delta: BaselineDelta }) {
  const title =
    delta.tolerance !== null
      ? `regression tolerance ${metricValue(delta.tolerance)}: the gate's comparison`
      : 'no regression tolerance: better or worse by the metric’s direction, for information';
  return (
    <span className={`badge tone-${VERDICT_TONES[delta.verdict]}`} title={title}>
      {VERDICT_WORDS[delta.verdict]}
    </span>
  );
}

/** A release by name, linked, with its id second. */
export function ReleaseName({ side }: { side: Pick<ContextSide, 'candidate'> }) {
  return (
    <>
      <Link to={`/candidates/${side.candidate.id}`}>{side.candidate.name}</Link>{' '}
      <code className="muted small">{side.candidate.id}</code>
    </>
  );
}

export function promptLabel(side: ContextSide): string {
  return side.prompt ? `${side.prompt.name} v${side.prompt.version}` : side.candidate.promptVersionId;
}

export function modelLabel(side: ContextSide): string {
  const c = side.modelConfig;
  return c ? `${c.provider} · ${c.model} (${c.name} v${c.version})` : side.candidate.modelConfigId;
}

/** Threshold words: "≥ 0.8 (tolerance 0.02)". */
function thresholdText(t: MetricRow['threshold']): string {
  if (!t) return '—';
  return `${t.direction === 'min' ? '≥' : '≤'} ${metricValue(t.value)}${
    t.regressionTolerance !== null ? ` (tolerance ${metricValue(t.regressionTolerance)})` : ''
  }`;
}

/**
 * Every metric of the candidate beside each baseline's approval-time run: value, delta and verdict; `only` keeps
 * the metrics the candidate sets thresholds on (the approval queue's short form).
 */
export function MetricComparisonTable({
  context,
  only,
  caption,
}: {
  context: CandidateContext;
  only?: 'thresholds';
  caption: string;
}) {
  const baselines = context.sides.filter((s) => s.role !== 'candidate');
  const rows = only === 'thresholds' ? context.metrics.filter((m) => m.threshold !== null) : context.metrics;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide table scrolls sideways; the keyboard must reach it.
    <section className="table-wrap" tabIndex={0} aria-label={caption}>
      <table className="dense comparison">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Threshold</th>
            <th scope="col">This candidate</th>
            {baselines.map((b) => (
              <th scope="col" key={b.role}>
                {SIDE_LABELS[b.role]}
                <div className="muted small">{b.candidate.name}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.metric}>
              <th scope="row" title={m.metric}>
                {METRIC_LABELS[m.metric] ?? metricLabel(m.metric)}
              </th>
              <td className="num">{thresholdText(m.threshold)}</td>
              <td className="num">
                {metricValue(m.candidate)}{' '}
                {m.thresholdPassed === null ? null : <Badge value={m.thresholdPassed ? 'passed' : 'failed'} />}
              </td>
              {m.baselines.map((d) => (
                <td className="num" key={d.role}>
                  {metricValue(d.value)} <span className="delta">{deltaText(d.delta)}</span> <DeltaVerdict delta={d} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {baselines.length === 0 ? (
        <p className="muted small">No active or last-known-good release to compare with in this environment.</p>
      ) : null}
    </section>
  );
}

/** Lines kept around each change; longer unchanged runs fold into one line saying how many. */
const CONTEXT_LINES = 3;

type Shown = DiffLine | { kind: 'fold'; count: number };

function folded(lines: DiffLine[]): Shown[] {
  const near = (index: number) =>
    lines.slice(Math.max(0, index - CONTEXT_LINES), index + CONTEXT_LINES + 1).some((l) => l.kind !== 'same');
  const shown: Shown[] = [];
  lines.forEach((line, index) => {
    if (line.kind !== 'same' || near(index)) shown.push(line);
    else {
      const last = shown[shown.length - 1];
      if (last?.kind === 'fold') last.count++;
      else shown.push({ kind: 'fold', count: 1 });
    }
  });
  return shown;
}

/** A line diff of two texts, unchanged runs folded; says so when they are the same. */
export function TextDiff({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = diffLines(before, after);
  const added = lines.filter((l) => l.kind === 'added').length;
  const removed = lines.filter((l) => l.kind === 'removed').length;
  if (added === 0 && removed === 0) return <p className="muted">{label}: no change.</p>;
  return (
    <figure className="text-diff">
      <figcaption className="muted small">
        {label}: {added} line{added === 1 ? '' : 's'} added, {removed} removed
      </figcaption>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a long line scrolls sideways; the keyboard must reach it. */}
      <pre className="diff" tabIndex={0}>
        {folded(lines).map((line, index) =>
          line.kind === 'fold' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their position.
            <div key={index} className="muted">
              {`  … ${line.count} unchanged line${line.count === 1 ? '' : 's'}`}
            </div>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their position.
            <div key={index} className={`diff-${line.kind}`}>
              {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
              {line.text}
            </div>
          ),
        )}
      </pre>
    </figure>
  );
}

/** The model config members that change behaviour or cost, as text to diff (ids, hashes and review state left out). */
export function modelConfigText(config: ContextSide['modelConfig']): string {
  if (!config) return '';
  const { provider, model, parameters, timeoutMs, routingPolicy, fallbackPolicy, costRates, lineage } = config;
  return JSON.stringify(
    { provider, model, parameters, timeoutMs, routingPolicy, fallbackPolicy, costRates, lineage },
    null,
    2,
  );
}
