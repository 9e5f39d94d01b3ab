// Small shared pieces: data states, problem documents, badges, hashes, times, a confirm step.
import type { UseQueryResult } from '@tanstack/react-query';
import { type ReactNode, useId, useState } from 'react';
import { ApiError, download } from './api';

export function ProblemView({ error }: { error: unknown }) {
  if (error instanceof ApiError) {
    const p = error.problem;
    return (
      <div className="problem" role="alert">
        <strong>
          {p.title}
          {p.status ? ` (${p.status})` : ''}
        </strong>
        {p.code ? <code className="code">{p.code}</code> : null}
        {p.detail ? <p>{p.detail}</p> : null}
        {p.reasons && p.reasons.length > 0 ? (
          <ul className="reasons">
            {p.reasons.map((r) => (
              <li key={r.code}>
                <code className="code">{r.code}</code> {r.message}
              </li>
            ))}
          </ul>
        ) : null}
        {Array.isArray(p.problems) && p.problems.length > 0 ? (
          <ul aria-label="Problems">
            {p.problems.map((problem) => (
              <li key={String(problem)}>{String(problem)}</li>
            ))}
          </ul>
        ) : null}
        {p.errors && p.errors.length > 0 ? (
          <ul>
            {p.errors.map((e) => (
              <li key={`${e.path}:${e.message}`}>
                <code>{e.path || '(body)'}</code>: {e.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    );
  }
  return (
    <div className="problem" role="alert">
      <strong>Something went wrong</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

/** Renders loading, error and empty states of a query, else its data; `minHeight` reserves the space. */
export function DataState<T>({
  query,
  empty,
  isEmpty,
  minHeight = 120,
  label,
  children,
}: {
  query: Pick<UseQueryResult<T>, 'isPending' | 'isError' | 'error' | 'data'>;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  minHeight?: number;
  label: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending)
    return (
      <div className="loading" style={{ minHeight }} aria-busy="true">
        Loading {label} …
      </div>
    );
  if (query.isError) return <ProblemView error={query.error} />;
  const data = query.data as T;
  if (isEmpty?.(data))
    return (
      <div className="empty" style={{ minHeight: Math.min(minHeight, 80) }}>
        {empty ?? `No ${label}.`}
      </div>
    );
  return <>{children(data)}</>;
}

const TONES: Record<string, string> = {
  active: 'ok',
  approved: 'ok',
  passed: 'ok',
  eval_passed: 'ok',
  resolved: 'ok',
  verified: 'ok',
  low: 'muted',
  minimal: 'muted',
  draft: 'muted',
  superseded: 'muted',
  deprecated: 'muted',
  retired: 'muted',
  queued: 'muted',
  medium: 'warn',
  limited: 'warn',
  pending: 'warn',
  in_review: 'warn',
  awaiting_approval: 'warn',
  submitted: 'warn',
  evaluating: 'warn',
  running: 'warn',
  mitigating: 'warn',
  changes_requested: 'warn',
  high: 'bad',
  critical: 'bad',
  unacceptable: 'bad',
  failed: 'bad',
  eval_failed: 'bad',
  rejected: 'bad',
  rolled_back: 'bad',
  error: 'bad',
  open: 'bad',
  broken: 'bad',
  due: 'warn',
  overdue: 'bad',
  reported: 'ok',
  closed: 'ok',
};

export function Badge({ value, title }: { value: string; title?: string }) {
  return (
    <span className={`badge tone-${TONES[value] ?? 'muted'}`} title={title}>
      {value.replace(/_/g, ' ')}
    </span>
  );
}

export function Hash({ value, length = 12 }: { value: string | null | undefined; length?: number }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <code className="hash" title={value}>
      {value.slice(0, length)}…
    </code>
  );
}

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={at} title={at}>
      {d.toISOString().slice(0, 16).replace('T', ' ')}
    </time>
  );
}

export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '—';
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits);
}

/** A button that asks first; the answer of the action (or its problem document) shows below. */
export function ConfirmAction({
  label,
  question,
  onConfirm,
  children,
  disabled,
  disabledReason,
  tone = 'primary',
}: {
  label: string;
  question: ReactNode;
  onConfirm: () => Promise<unknown>;
  children?: (result: unknown) => ReactNode;
  disabled?: boolean;
  disabledReason?: string;
  tone?: 'primary' | 'danger';
}) {
  const [stage, setStage] = useState<'idle' | 'confirm' | 'busy' | 'done' | 'failed'>('idle');
  const [result, setResult] = useState<unknown>(null);
  const id = useId();
  return (
    <div className="confirm">
      {stage === 'confirm' || stage === 'busy' ? (
        <fieldset className="confirm-box" aria-labelledby={`${id}-q`}>
          <div id={`${id}-q`}>{question}</div>
          <div className="row">
            <button
              type="button"
              className={tone}
              disabled={stage === 'busy'}
              onClick={async () => {
                setStage('busy');
                try {
                  setResult(await onConfirm());
                  setStage('done');
                } catch (error) {
                  setResult(error);
                  setStage('failed');
                }
              }}
            >
              Confirm {label.toLowerCase()}
            </button>
            <button type="button" onClick={() => setStage('idle')} disabled={stage === 'busy'}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : (
        <button
          type="button"
          className={tone}
          disabled={disabled}
          title={disabled ? disabledReason : undefined}
          onClick={() => setStage('confirm')}
        >
          {label}
        </button>
      )}
      {disabled && disabledReason ? <p className="hint">{disabledReason}</p> : null}
      {stage === 'done' ? (
        <div className="answer" role="status">
          {children ? children(result) : 'Done.'}
        </div>
      ) : null}
      {stage === 'failed' ? <ProblemView error={result} /> : null}
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the child.
    <label className="field">
      <span>{label}</span>
      {children}
      {hint ? <small className="hint">{hint}</small> : null}
    </label>
  );
}

/**
 * A button that downloads a generated document (GET with the session's token, saved as a file); says what it saved,
 * or shows the problem document when the API refused.
 */
export function DownloadButton({ label, path, fileName }: { label: string; path: string; fileName: string }) {
  const [state, setState] = useState<{ stage: 'idle' | 'busy' | 'done' | 'failed'; result?: unknown }>({
    stage: 'idle',
  });
  return (
    <div className="download">
      <button
        type="button"
        disabled={state.stage === 'busy'}
        aria-busy={state.stage === 'busy'}
        onClick={async () => {
          setState({ stage: 'busy' });
          try {
            setState({ stage: 'done', result: await download(path, fileName) });
          } catch (error) {
            setState({ stage: 'failed', result: error });
          }
        }}
      >
        {label}
      </button>
      {state.stage === 'done' ? (
        <span role="status" className="muted small">
          Saved {String(state.result)}.
        </span>
      ) : null}
      {state.stage === 'failed' ? <ProblemView error={state.result} /> : null}
    </div>
  );
}
