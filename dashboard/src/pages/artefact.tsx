import { useQuery } from '@tanstack/react-query';
import { Link, useLocation, useParams } from 'react-router';
import { ARTEFACT_KINDS } from '../../../functions/domain/artefact-kinds';
import type {
  JudgeConfigVersion,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from '../../../functions/domain/types';
import { api, getAll } from '../api';
import { diffLines } from '../diff';
import { Badge, DataState, Hash, Time } from '../ui';

type Artefact =
  | (PromptVersion & { kind: 'prompt' })
  | (ModelConfigVersion & { kind: 'model_config' })
  | (JudgeConfigVersion & { kind: 'judge_config' });
type Kind = Artefact['kind'];

/** The kinds this page shows, by the first segment of its path (`/prompts/…`, `/model-configs/…`, `/judge-configs/…`). */
const PROMPTS = { kind: 'prompt', base: '/api/prompts', label: 'prompt version' } as const;
const PAGES: Record<string, { kind: Kind; base: string; label: string }> = {
  prompts: PROMPTS,
  'model-configs': { kind: 'model_config', base: '/api/model-configs', label: 'model config' },
  'judge-configs': { kind: 'judge_config', base: '/api/judge-configs', label: 'judge config' },
};

/** Whether a candidate pins version `a`. */
function pins(c: ReleaseCandidate, a: Artefact): boolean {
  if (a.kind === 'prompt') return c.promptVersionId === a.id;
  if (a.kind === 'model_config')
    return c.modelConfigId === a.id || (c.judgeConfigs ?? []).some((j) => j.modelConfigId === a.id);
  return (c.judgeConfigs ?? []).some((j) => j.id === a.id);
}

/** The reviewable body of a version, as text to diff. */
function bodyOf(a: Artefact): string {
  if (a.kind === 'prompt')
    return [
      a.template,
      '',
      `variables: ${a.variables.join(', ')}`,
      `input contract: ${JSON.stringify(a.inputContract, null, 2)}`,
      `output contract: ${JSON.stringify(a.outputContract, null, 2)}`,
    ].join('\n');
  if (a.kind === 'judge_config')
    return [
      a.rubricPrompt,
      '',
      `model config: ${a.modelConfigId}`,
      `pass threshold: ${a.passThreshold ?? 'the judge’s pass, else a score of at least 0.5'}`,
      `output schema: ${JSON.stringify(a.outputSchema, null, 2)}`,
    ].join('\n');
  // Exactly what the content hash covers, in the registry's order.
  const content = Object.fromEntries(ARTEFACT_KINDS.model_config.contentFields.map((field) => [field, a[field]]));
  return JSON.stringify(content, null, 2);
}

export default function ArtefactPage() {
  const { id = '' } = useParams();
  const segment = useLocation().pathname.split('/')[1] ?? '';
  const { kind, base, label } = PAGES[segment] ?? PROMPTS;
  const artefact = useQuery({
    queryKey: [base, id],
    queryFn: async () => ({ ...(await api.get<Omit<Artefact, 'kind'>>(`${base}/${id}`)), kind }) as Artefact,
  });
  return (
    <section>
      <DataState query={artefact} label={`the ${label}`} minHeight={480}>
        {(a) => <ArtefactView artefact={a} base={base} label={label} />}
      </DataState>
    </section>
  );
}

function ArtefactView({ artefact: a, base, label }: { artefact: Artefact; base: string; label: string }) {
  const versions = useQuery({
    queryKey: [base, 'versions', a.systemId, a.name],
    queryFn: () => getAll<Omit<Artefact, 'kind'>>(base, { systemId: a.systemId, name: a.name }),
  });
  const judgeModel = useQuery({
    queryKey: ['/api/model-configs', a.kind === 'judge_config' ? a.modelConfigId : ''],
    queryFn: () => api.get<ModelConfigVersion>(`/api/model-configs/${(a as JudgeConfigVersion).modelConfigId}`),
    enabled: a.kind === 'judge_config',
  });
  const candidates = useQuery({
    queryKey: ['candidates', a.systemId],
    queryFn: () => getAll<ReleaseCandidate>('/api/release-candidates', { systemId: a.systemId }),
  });
  const previous = versions.data?.items.find((v) => v.version === a.version - 1);
  const linked = (candidates.data?.items ?? []).filter((c) => pins(c, a));
  return (
    <>
      <div className="page-head">
        <h1>
          {a.name} v{a.version} <Badge value={a.status} />
        </h1>
        <span className="muted">
          {label} · <Link to={`/systems/${a.systemId}`}>system</Link>
        </span>
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Version</h2>
          <dl className="kv">
            <dt>Id</dt>
            <dd>
              <code>{a.id}</code>
            </dd>
            <dt>Content hash</dt>
            <dd>
              <code className="hash wrap">{a.contentHash}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time at={a.createdAt} /> by {a.createdBy}
            </dd>
            <dt>Submitted</dt>
            <dd>
              <Time at={a.submittedAt} />
            </dd>
            <dt>Reviewed by</dt>
            <dd>
              {a.reviewedBy ?? '—'} {a.reviewComment ? `“${a.reviewComment}”` : ''}
            </dd>
            <dt>Change summary</dt>
            <dd>{a.changeSummary || '—'}</dd>
            {a.kind === 'model_config' ? (
              <>
                <dt>Provider / model</dt>
                <dd>
                  {a.provider} / {a.model}
                </dd>
                <dt>Parameters</dt>
                <dd>
                  temperature {a.parameters.temperature}, max tokens {a.parameters.maxTokens}, top-p {a.parameters.topP}
                  ; timeout {a.timeoutMs} ms
                </dd>
                <dt>Routing</dt>
                <dd>
                  {a.routingPolicy.strategy}:{' '}
                  {a.routingPolicy.routes.map((r) => `${r.target} (${r.weight})`).join(', ')}
                </dd>
                <dt>Fallback</dt>
                <dd>
                  {a.fallbackPolicy.enabled
                    ? `to ${a.fallbackPolicy.fallbackModel ?? '—'}, ${a.fallbackPolicy.maxRetries} retries`
                    : 'disabled'}
                </dd>
                <dt>Cost per 1k tokens</dt>
                <dd>
                  in ${a.costRates.inputPer1k}, out ${a.costRates.outputPer1k}
                </dd>
                <dt>Lineage</dt>
                <dd>
                  <code>{a.lineage.artifactUri}</code>, data {a.lineage.trainingDataVersion}, commit{' '}
                  <code>{a.lineage.codeCommit}</code>
                </dd>
              </>
            ) : null}
            {a.kind === 'prompt' ? (
              <>
                <dt>Variables</dt>
                <dd>{a.variables.join(', ') || '—'}</dd>
              </>
            ) : null}
            {a.kind === 'judge_config' ? (
              <>
                <dt>Model config</dt>
                <dd>
                  <Link to={`/model-configs/${a.modelConfigId}`}>
                    {judgeModel.data
                      ? `${judgeModel.data.provider} · ${judgeModel.data.model} (${judgeModel.data.name} v${judgeModel.data.version})`
                      : a.modelConfigId}
                  </Link>
                </dd>
                <dt>Pass threshold</dt>
                <dd>
                  {a.passThreshold === null
                    ? 'the judge’s pass verdict, else a score of at least 0.5'
                    : `a score of at least ${a.passThreshold}`}
                </dd>
                <dt>Rubric prompt</dt>
                <dd>
                  <pre className="wrap">{a.rubricPrompt}</pre>
                </dd>
                <dt>Output schema</dt>
                <dd>
                  <pre className="wrap">{JSON.stringify(a.outputSchema, null, 2)}</pre>
                </dd>
              </>
            ) : null}
          </dl>
        </div>
        <div className="card">
          <h2>Linked candidates</h2>
          <DataState
            query={candidates}
            label="candidates"
            isEmpty={() => linked.length === 0}
            empty="No candidate uses this version."
          >
            {() => (
              <ul className="plain">
                {linked.map((c) => (
                  <li key={c.id}>
                    <Link to={`/candidates/${c.id}`}>{c.name}</Link> <Badge value={c.status} />{' '}
                    <Hash value={c.snapshotHash} />
                  </li>
                ))}
              </ul>
            )}
          </DataState>
          <h2>Versions</h2>
          <DataState query={versions} label="versions">
            {(d) => (
              <ul className="plain">
                {d.items.map((v) => (
                  <li key={v.id}>
                    <Link to={`${base.replace('/api', '')}/${v.id}`}>v{v.version}</Link> <Badge value={v.status} />{' '}
                    <Time at={v.createdAt} />
                  </li>
                ))}
              </ul>
            )}
          </DataState>
        </div>
      </div>
      <div className="card">
        <h2>{previous ? `Diff against v${previous.version}` : 'Content (no previous version)'}</h2>
        {/* Long lines (a rubric, a template) wrap: a region that scrolled sideways would need keyboard access. */}
        <pre className="diff wrap-lines">
          {(previous
            ? diffLines(bodyOf({ ...previous, kind: a.kind } as Artefact), bodyOf(a))
            : bodyOf(a)
                .split('\n')
                .map((text) => ({ kind: 'same' as const, text }))
          ).map((line, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their position.
            <div key={index} className={`diff-${line.kind}`}>
              {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
              {line.text}
            </div>
          ))}
        </pre>
      </div>
    </>
  );
}
