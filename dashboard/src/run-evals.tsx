// Starting an eval run from the candidate page: the cost estimate first (POST .../run-evals/estimate writes nothing),
// an optional cost ceiling, the start (POST .../run-evals answers 202 with the queued run), then the run's progress
// until its verdict, with a link to the eval-run page. The server decides who may start a run; this mirrors it.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import type { EvalRun, ReleaseCandidate } from '../../functions/domain/types';
import { api } from './api';
import { contextKey } from './evidence';
import { Badge, Field, fmt, ProblemView } from './ui';

type Executor = 'simulated' | 'http' | 'provider';

const EXECUTORS: { value: Executor; label: string }[] = [
  { value: 'simulated', label: 'simulated (deterministic, no calls billed)' },
  { value: 'provider', label: "provider (the model config's provider connection)" },
  { value: 'http', label: "http (the model config's endpoint)" },
];

/** The answer of POST /api/release-candidates/{id}/run-evals/estimate. */
interface RunEstimate {
  candidateId: string;
  estimate: {
    executor: string;
    cases: number;
    callsPerCase: number;
    inputTokens: number;
    outputTokens: number;
    cost: number | null;
    currency: 'USD';
    upperBound: boolean;
    basis: string;
  };
  maxCost: number | null;
  startable: boolean;
  reason: string | null;
}

type RunWithProgress = EvalRun & { progress?: { casesDone: number; totalCases: number; percent: number } };

/** Candidate statuses a run may start from (functions/domain/lifecycle.ts: to `evaluating`). */
const STARTABLE = new Set<ReleaseCandidate['status']>(['submitted', 'eval_passed', 'eval_failed']);
const FINISHED = new Set<EvalRun['status']>(['passed', 'failed', 'error']);

/** Why a run cannot start now, in words; null when it can. */
export function runBlockedReason(candidate: ReleaseCandidate, operate: boolean): string | null {
  if (!operate) return "Eval runs are started by the system's owners and pipelines (and admins).";
  if (STARTABLE.has(candidate.status)) return null;
  if (candidate.status === 'draft') return 'Submit the candidate first: a run evaluates a frozen snapshot.';
  if (candidate.status === 'evaluating') return 'A run of this candidate is in progress.';
  return `This candidate is ${candidate.status.replace(/_/g, ' ')}: it is not evaluated again, as runs come before approval.`;
}

/** A cost in USD as a reviewer reads it: cents for large sums, more digits only when the figure is small. */
function usd(value: number | null): string {
  if (value === null) return 'not priced';
  return `$${value >= 1 ? value.toFixed(2) : value.toPrecision(2)}`;
}

export function RunEvals({
  candidate,
  operate,
  onStarted,
}: {
  candidate: ReleaseCandidate;
  operate: boolean;
  onStarted: () => Promise<unknown>;
}) {
  const id = useId();
  const blocked = runBlockedReason(candidate, operate);
  const [executor, setExecutor] = useState<Executor>('simulated');
  const [maxCostText, setMaxCostText] = useState('');
  const [estimate, setEstimate] = useState<{ for: string; answer: RunEstimate } | null>(null);
  const [stage, setStage] = useState<'idle' | 'estimating' | 'starting'>('idle');
  const [problem, setProblem] = useState<unknown>(null);
  const [run, setRun] = useState<EvalRun | null>(null);
  const maxCost = maxCostText.trim() === '' ? undefined : Number(maxCostText);
  const maxCostInvalid = maxCost !== undefined && !(Number.isFinite(maxCost) && maxCost > 0);
  const body = { executor, ...(maxCost !== undefined ? { maxCost } : {}) };
  const bodyKey = JSON.stringify(body);
  // The estimate shown is for these inputs: a change asks for a new one before a start.
  const current = estimate?.for === bodyKey ? estimate.answer : null;

  if (run) return <RunFollow initial={run} />;
  return (
    <section className="run-evals" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Run evaluations</h3>
      {blocked ? (
        <p className="hint">
          {blocked}
          {candidate.status === 'evaluating' && candidate.latestEvalRunId ? (
            <>
              {' '}
              <Link to={`/eval-runs/${candidate.latestEvalRunId}`}>Follow the run</Link>.
            </>
          ) : null}
        </p>
      ) : (
        <>
          <div className="row">
            <Field label="Executor">
              <select value={executor} onChange={(e) => setExecutor(e.target.value as Executor)}>
                {EXECUTORS.map((x) => (
                  <option key={x.value} value={x.value}>
                    {x.label}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Maximum cost in USD (optional)" hint="a start whose estimate exceeds it is refused">
              <input
                inputMode="decimal"
                value={maxCostText}
                onChange={(e) => setMaxCostText(e.target.value)}
                aria-invalid={maxCostInvalid}
              />
            </Field>
          </div>
          {maxCostInvalid ? <p className="bad small">The maximum cost must be a positive number.</p> : null}
          <div className="row">
            <button
              type="button"
              disabled={stage !== 'idle' || maxCostInvalid}
              onClick={async () => {
                setStage('estimating');
                setProblem(null);
                try {
                  const answer = await api.post<RunEstimate>(
                    `/api/release-candidates/${candidate.id}/run-evals/estimate`,
                    body,
                  );
                  setEstimate({ for: bodyKey, answer });
                } catch (error) {
                  setProblem(error);
                } finally {
                  setStage('idle');
                }
              }}
            >
              Estimate cost
            </button>
            <button
              type="button"
              className="primary"
              disabled={stage !== 'idle' || current === null || !current.startable}
              title={current === null ? 'Estimate the cost first' : undefined}
              onClick={async () => {
                setStage('starting');
                setProblem(null);
                try {
                  const started = await api.post<EvalRun>(`/api/release-candidates/${candidate.id}/run-evals`, body);
                  setRun(started);
                  await onStarted();
                } catch (error) {
                  setProblem(error);
                } finally {
                  setStage('idle');
                }
              }}
            >
              Start run
            </button>
          </div>
          {current === null ? <p className="hint">The cost estimate comes first; then the run can start.</p> : null}
          {current ? <EstimateView answer={current} /> : null}
        </>
      )}
      {problem ? <ProblemView error={problem} /> : null}
    </section>
  );
}

function EstimateView({ answer }: { answer: RunEstimate }) {
  const e = answer.estimate;
  return (
    <div className="estimate" role="status" aria-label="Cost estimate">
      <p>
        <strong>{usd(e.cost)}</strong> {e.cost !== null ? (e.upperBound ? 'at most' : 'estimated, not a bound') : ''} ·{' '}
        {e.cases} cases × {e.callsPerCase} call{e.callsPerCase === 1 ? '' : 's'} · about {e.inputTokens} input and at
        most {e.outputTokens} output tokens
        {answer.maxCost !== null ? ` · ceiling ${usd(answer.maxCost)}` : ''}
      </p>
      <p className="muted small">{e.basis}</p>
      {answer.startable ? null : (
        <p className="bad" role="alert">
          Would be refused: {answer.reason}
        </p>
      )}
    </div>
  );
}

/** The run after its start: progress while it runs, then its verdict, polled as `govern eval wait` does. */
function RunFollow({ initial }: { initial: EvalRun }) {
  const client = useQueryClient();
  const run = useQuery({
    queryKey: ['eval-run', initial.id, 'follow'],
    queryFn: () => api.get<RunWithProgress>(`/api/eval-runs/${initial.id}`),
    initialData: initial,
    refetchInterval: (q) => (q.state.data && FINISHED.has(q.state.data.status) ? false : 1000),
  });
  const r = run.data ?? initial;
  const done = FINISHED.has(r.status);
  useEffect(() => {
    // The candidate's status and its evidence change with the verdict: read the page's data again once.
    if (done) void client.invalidateQueries({ queryKey: contextKey(r.candidateId) });
  }, [done, client, r.candidateId]);
  const percent = r.totalCases > 0 ? Math.round((r.casesDone / r.totalCases) * 100) : 0;
  return (
    <section className="run-evals" aria-label="Eval run started">
      <h3>Eval run</h3>
      <p role="status">
        <Link to={`/eval-runs/${r.id}`}>{r.id}</Link> <Badge value={r.status} /> {r.casesDone} of {r.totalCases} cases
        {done && r.metrics ? ` · accuracy ${fmt(r.metrics.accuracy)}` : ''}
      </p>
      <progress max={100} value={percent} aria-label="Cases done">
        {percent}%
      </progress>
      {done ? (
        <p>
          {r.status === 'passed' ? 'Every threshold passed.' : null}
          {r.status === 'failed' ? `Failed: ${r.failureReasons.join('; ') || 'a threshold failed'}.` : null}
          {r.status === 'error' ? `Ended in error: ${r.error ?? 'the executor failed'}.` : null}{' '}
          <Link to={`/eval-runs/${r.id}`}>Open the eval run</Link>
        </p>
      ) : null}
      {run.isError ? <ProblemView error={run.error} /> : null}
    </section>
  );
}
