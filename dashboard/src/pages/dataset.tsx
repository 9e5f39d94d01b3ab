// A dataset's cases, page by page (GET /api/eval-datasets/{id} answers the dataset with one page of cases and a
// cursor to the next): each case's input, what it expects, and the assertions it is judged by.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { AiSystem, Assertion, EvalCase, EvalDataset } from '../../../functions/domain/types';
import { api, type Page } from '../api';
import { Person } from '../people';
import { Badge, DataState, Hash, ProblemView, Time } from '../ui';

/** Cases per page: enough to scan, few enough that each case's JSON stays readable. */
const CASES_PER_PAGE = 20;

type DatasetWithCases = EvalDataset & { cases: Page<EvalCase> };

export default function DatasetPage() {
  const { id = '' } = useParams();
  // The cursors of the pages visited: index i holds the cursor that reads page i (page 0 needs none).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [index, setIndex] = useState(0);
  const cursor = cursors[index] ?? null;
  const dataset = useQuery({
    queryKey: ['dataset', id, cursor],
    queryFn: () =>
      api.get<DatasetWithCases>(`/api/eval-datasets/${id}`, { limit: CASES_PER_PAGE, cursor: cursor ?? undefined }),
    // The page being read keeps its place on screen until the next one arrives: no jump, no empty flash.
    placeholderData: keepPreviousData,
  });
  return (
    <section>
      <DataState query={dataset} label="the dataset" minHeight={480}>
        {(d) => (
          <>
            <DatasetHead dataset={d} />
            <div className="card">
              <h2>
                {d.cases.items.length === 0
                  ? `No more cases (${d.caseCount} in all)`
                  : `Cases ${index * CASES_PER_PAGE + 1}–${index * CASES_PER_PAGE + d.cases.items.length} of ${d.caseCount}`}
              </h2>
              <nav className="row pager" aria-label="Pages of cases">
                <button type="button" disabled={index === 0 || dataset.isFetching} onClick={() => setIndex(index - 1)}>
                  Previous page
                </button>
                <span className="muted" aria-live="polite">
                  {dataset.isPlaceholderData ? `Loading page ${index + 1} …` : `Page ${index + 1}`}
                </span>
                <button
                  type="button"
                  disabled={d.cases.nextCursor === null || dataset.isFetching}
                  onClick={() => {
                    const next = d.cases.nextCursor;
                    setCursors((known) => [...known.slice(0, index + 1), next]);
                    setIndex(index + 1);
                  }}
                >
                  Next page
                </button>
              </nav>
              {dataset.isError ? <ProblemView error={dataset.error} /> : null}
              <ol className="cases" start={index * CASES_PER_PAGE + 1} aria-label="Cases">
                {d.cases.items.map((c) => (
                  <CaseView key={c.caseId} evalCase={c} defaults={(d.defaultAssert ?? []).length > 0} />
                ))}
              </ol>
            </div>
          </>
        )}
      </DataState>
    </section>
  );
}

function DatasetHead({ dataset: d }: { dataset: EvalDataset }) {
  const system = useQuery({
    queryKey: ['system', d.systemId],
    queryFn: () => api.get<AiSystem>(`/api/systems/${d.systemId}`),
  });
  return (
    <>
      <div className="page-head">
        <h1>
          {d.name} v{d.version} <Badge value={d.kind} />
        </h1>
        <span className="muted">
          <Link to={`/systems/${d.systemId}`}>{system.data?.name ?? d.systemId}</Link> · {d.caseCount} cases ·{' '}
          <code>{d.id}</code>
        </span>
      </div>
      <div className="card">
        <dl className="kv">
          <dt>Description</dt>
          <dd>{d.description || <span className="muted">—</span>}</dd>
          <dt>Content hash</dt>
          <dd>
            <Hash value={d.contentHash} />
          </dd>
          <dt>Created</dt>
          <dd>
            <Time at={d.createdAt} /> by <Person id={d.createdBy} systemId={d.systemId} />
          </dd>
          <dt>Assertions on every case</dt>
          <dd>
            {d.defaultAssert && d.defaultAssert.length > 0 ? (
              <AssertionList assertions={d.defaultAssert} />
            ) : (
              <span className="muted">none</span>
            )}
          </dd>
        </dl>
      </div>
    </>
  );
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

function CaseView({ evalCase: c, defaults }: { evalCase: EvalCase; defaults: boolean }) {
  return (
    <li className="case">
      <h3>
        <code>{c.caseId}</code>{' '}
        {c.tags.map((t) => (
          <span key={t} className="chip">
            {t}
          </span>
        ))}
      </h3>
      <div className="case-grid">
        <div>
          <h4>Input</h4>
          <pre className="json">{json(c.input)}</pre>
        </div>
        <div>
          <h4>Expected</h4>
          {c.expectedLabel !== null ? (
            <p>
              label <strong>{c.expectedLabel}</strong>
            </p>
          ) : null}
          {c.expectedOutput !== null ? <pre className="json">{json(c.expectedOutput)}</pre> : null}
          {c.expectedLabel === null && c.expectedOutput === null ? <p className="muted">nothing stated</p> : null}
          <h4>Assertions</h4>
          {c.assert && c.assert.length > 0 ? (
            <AssertionList assertions={c.assert} />
          ) : (
            <p className="muted">{defaults ? "only the dataset's, above" : 'none'}</p>
          )}
        </div>
      </div>
    </li>
  );
}

function AssertionList({ assertions }: { assertions: readonly Assertion[] }) {
  return (
    <ul className="plain assertions">
      {assertions.map((a, i) => (
        // Assertions have no id; their position is what a run's results name them by.
        // biome-ignore lint/suspicious/noArrayIndexKey: the list is fixed for the dataset version.
        <li key={i}>
          <code>{a.type}</code>
          {a.name ? <span className="muted"> assert.{a.name}</span> : null}
          {a.value !== undefined ? (
            <span>
              {' '}
              {typeof a.value === 'string' ? `“${a.value}”` : <code className="small">{JSON.stringify(a.value)}</code>}
            </span>
          ) : null}
          {a.threshold !== undefined ? <span className="muted"> threshold {a.threshold}</span> : null}
          {a.judge ? <span className="muted"> judge {a.judge}</span> : null}
        </li>
      ))}
    </ul>
  );
}
