// The EU AI Act compliance report of one system as data: sections of labelled fields, paragraphs and tables of
// strings, built from the registry's records. Pure: the store gathers the inputs, functions/reports renders the PDF.
// Every figure is taken from a stored record (no estimate, no default that looks like evidence); where the registry
// holds nothing, the section says so.
import { formatNumber } from './eval/verdict.js';
import { canonicalJson, contentHash } from './hashing.js';
import { REPORTING_PERIOD_ARTICLE, REPORTING_PERIOD_DAYS, reportedLate, reportingStatus } from './incident-clock.js';
import { type ApprovalPolicy, blockingSeverities, requiredApprovals } from './policy.js';
import { type PolicyInForceRecord, type PolicyVersion, systemPolicyHistory } from './policy-version.js';
import { reviewStatus } from './review.js';
import type {
  AiSystem,
  ApprovalRecord,
  ApprovalStatus,
  Environment,
  EvalDataset,
  EvalRun,
  Incident,
  JudgeConfigVersion,
  MetricName,
  ModelConfigVersion,
  PromotionEvent,
  PromptVersion,
  ReleaseCandidate,
  ReviewerRole,
  RollbackRecord,
} from './types.js';

/** A reviewer's decision as the audit chain recorded it (`approval.<decision>` events): every round, not only the last. */
export interface ApprovalDecision {
  approvalId: string;
  candidateId: string;
  role: ReviewerRole;
  decision: ApprovalStatus;
  reviewerId: string;
  reviewerName: string;
  comment: string | null;
  at: string;
  seq: number;
}

/** What one pass over the system's audit events found (the events themselves are not kept: chains grow long). */
export interface AuditDigest {
  events: number;
  firstAt: string | null;
  lastAt: string | null;
  byAction: Record<string, number>;
  approvalDecisions: ApprovalDecision[];
}

/** The table chain check of GET /api/audit-events/verify (functions/store/audit.ts verifyStoredChain). */
interface ChainCheck {
  ok: boolean;
  events: number;
  headSeq: number;
  headHash: string | null;
  brokenAt: { seq: number; reason: string; message: string } | null;
}

/** The S3 archive's state as the audit API reports it (`status` ok, broken, not_configured, unavailable ...). */
export type ArchiveCheck = Record<string, unknown> & { status: string };

export interface ComplianceReportInput {
  system: AiSystem;
  /** Every release candidate of the system. */
  candidates: ReleaseCandidate[];
  promotions: PromotionEvent[];
  rollbacks: RollbackRecord[];
  /** Every eval run of every candidate: gate, monitoring and rollback-validation runs. */
  evalRuns: EvalRun[];
  /** Approval records of the candidates' current rounds (pending ones show only here). */
  approvals: ApprovalRecord[];
  datasets: EvalDataset[];
  prompts: PromptVersion[];
  modelConfigs: ModelConfigVersion[];
  /** The judge config versions the candidates pin (ADR 0036); shown only when a candidate pins one. */
  judgeConfigs: JudgeConfigVersion[];
  incidents: Incident[];
  audit: AuditDigest;
  chain: ChainCheck;
  archive: ArchiveCheck | null;
  /** The system's policy in force (its META's copy, ADR 0023): the rules the report states are this version's. */
  policy: ApprovalPolicy;
  /** Every stored policy version: the report names those in force during the system's life. */
  policyVersions: readonly PolicyVersion[];
  generatedAt: string;
  generatedBy: string;
}

export interface Column {
  header: string;
  /** Relative width. */
  width: number;
}

export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'fields'; rows: [label: string, value: string][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; title: string; columns: Column[]; rows: string[][]; empty: string }
  | { kind: 'subheading'; text: string };

export interface ReportSection {
  id: string;
  title: string;
  /** Where the EU AI Act asks for this evidence. */
  reference: string;
  blocks: Block[];
}

export interface ComplianceReport {
  title: string;
  systemId: string;
  systemName: string;
  generatedAt: string;
  generatedBy: string;
  sections: ReportSection[];
  /** SHA-256 of the RFC 8785 canonical JSON of everything above: the same registry state gives the same hash. */
  contentHash: string;
}

/** How many releases get their eval evidence in full (thresholds, comparisons, slices); the rest are summarised. */
const DETAILED_RELEASES = 12;

const NONE = '-';
const DAY_MS = 86_400_000;

const num = (x: number | null | undefined) => (x === null || x === undefined ? NONE : formatNumber(x));
const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : NONE);
/** The first 16 hex digits of a hash, after its `sha256:` prefix when it has one. */
const short = (hash: string | null | undefined) =>
  hash ? `${hash.startsWith('sha256:') ? hash.slice(0, 23) : hash.slice(0, 16)}...` : NONE;

/** What the archive status's members mean (functions/audit/archive-status.ts). */
const ARCHIVE_LABELS: Record<string, string> = {
  digests: 'Signed digests',
  lastDigest: 'Last signed digest',
  archivedHead: 'Archived up to seq',
  sealedHead: 'Sealed by a digest up to seq',
  pendingEvents: 'Archived events not yet sealed',
  rawDuplicateEvents: 'Duplicate archived copies',
  keySource: 'Digest public key from',
  brokenAt: 'Broken at',
  detail: 'Detail',
};
const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** Builds the report's sections from the registry's records of one system. */
export function buildComplianceReport(input: ComplianceReportInput): ComplianceReport {
  const { system } = input;
  const byId = new Map(input.candidates.map((c) => [c.id, c]));
  const label = (id: string | null | undefined) => {
    if (!id) return NONE;
    const c = byId.get(id);
    return c ? `${c.name} (${id})` : id;
  };
  const sections: ReportSection[] = [
    identification(input),
    providerAndOwners(input),
    riskClassification(input),
    versionHistory(input, label),
    dataSources(input),
    evaluation(input, label),
    humanOversight(input),
    governancePolicy(input),
    approvals(input, label),
    incidents(input, label),
    postMarketMonitoring(input, label),
    recordKeeping(input),
  ];
  const body = {
    title: 'EU AI Act compliance report',
    systemId: system.id,
    systemName: system.name,
    generatedAt: input.generatedAt,
    generatedBy: input.generatedBy,
    sections,
  };
  return { ...body, contentHash: contentHash(body) };
}

function identification({ system }: ComplianceReportInput): ReportSection {
  return {
    id: 'identification',
    title: 'AI system and intended purpose',
    reference: 'Annex IV(1)(a); Art. 11(1); Art. 13(3)(b)(i)',
    blocks: [
      {
        kind: 'fields',
        rows: [
          ['System', system.name],
          ['System id', system.id],
          ['Description', system.description],
          ['Domain', system.domain],
          ['Lifecycle status', system.status],
          ['Registered', `${when(system.createdAt)} by ${system.createdBy}`],
          ['Last changed', when(system.updatedAt)],
          ...(system.retirementReason ? ([['Retirement reason', system.retirementReason]] as [string, string][]) : []),
          ...(system.replacementSystemId
            ? ([['Replacement system', system.replacementSystemId]] as [string, string][])
            : []),
        ],
      },
      { kind: 'subheading', text: 'Intended purpose' },
      { kind: 'paragraph', text: system.intendedPurpose || 'No intended purpose is recorded.' },
    ],
  };
}

function providerAndOwners({ system }: ComplianceReportInput): ReportSection {
  return {
    id: 'provider',
    title: 'Provider and owners',
    reference: 'Annex IV(1)(a); Art. 16; Art. 17(1)(m)',
    blocks: [
      {
        kind: 'fields',
        rows: [
          ['Owner team (accountable unit)', system.ownerTeam],
          ['System owner', system.owner],
          ['Registered by', system.createdBy],
        ],
      },
      {
        kind: 'paragraph',
        text:
          'The registry records the owning team and the accountable owner. The legal name and address of the ' +
          'provider and of an authorised representative are not held by the registry and must be added by the provider.',
      },
    ],
  };
}

function riskClassification({ system, policy }: ComplianceReportInput): ReportSection {
  const roles = (env: Environment) => requiredApprovals(system.riskTier, env, policy).join(', ') || NONE;
  return {
    id: 'risk',
    title: 'Risk classification',
    reference: 'Art. 6; Annex III; Art. 9; Annex IV(5)',
    blocks: [
      {
        kind: 'fields',
        rows: [
          ['EU AI Act risk category', system.euAiActCategory],
          ['Internal risk tier', system.riskTier],
          ['Approvals required for production', roles('production')],
          ['Approvals required for staging', roles('staging')],
          ['Governance review interval', `${policy.reviewIntervalDays[system.riskTier]} days`],
          ['Production promotion needs a complete model card', yesNo(policy.modelCardRequired[system.riskTier])],
        ],
      },
    ],
  };
}

/** A span of time during which one release was the active one of an environment. */
export interface ActiveSpan {
  environment: Environment;
  candidateId: string;
  /** How it became active: a promotion or a rollback. */
  kind: PromotionEvent['kind'];
  from: string;
  /** null while it is still active. */
  until: string | null;
}

/** The spans during which each release was the active one of an environment, from the promotion history. */
export function activeSpans(promotions: readonly PromotionEvent[]): ActiveSpan[] {
  const sorted = [...promotions].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  const spans: ActiveSpan[] = [];
  for (const p of sorted) {
    const open = spans.findLast((s) => s.environment === p.environment && s.until === null);
    if (open) open.until = p.at;
    spans.push({ environment: p.environment, candidateId: p.candidateId, kind: p.kind, from: p.at, until: null });
  }
  return spans;
}

function versionHistory(input: ComplianceReportInput, label: (id: string | null) => string): ReportSection {
  const { system } = input;
  const prompts = new Map(input.prompts.map((p) => [p.id, p]));
  const configs = new Map(input.modelConfigs.map((m) => [m.id, m]));
  const candidates = [...input.candidates].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const spans = activeSpans(input.promotions);
  return {
    id: 'versions',
    title: 'Version history',
    reference: 'Annex IV(1)(a), (1)(c), (6); Art. 12(2)(a)',
    blocks: [
      {
        kind: 'fields',
        rows: [
          ['Active in production', label(system.activeReleases.production)],
          ['Active in staging', label(system.activeReleases.staging)],
        ],
      },
      {
        kind: 'table',
        title: 'What was active, where and when',
        columns: [
          { header: 'Environment', width: 1.2 },
          { header: 'Release', width: 3 },
          { header: 'By', width: 1 },
          { header: 'From', width: 2 },
          { header: 'Until', width: 2 },
        ],
        rows: spans.map((s) => [
          s.environment,
          label(s.candidateId),
          s.kind,
          when(s.from),
          s.until ? when(s.until) : 'now',
        ]),
        empty: 'No release has been promoted.',
      },
      {
        kind: 'table',
        title: 'Promotion and rollback events',
        columns: [
          { header: 'At', width: 2 },
          { header: 'Env.', width: 1.5 },
          { header: 'Kind', width: 1 },
          { header: 'Release', width: 2.6 },
          { header: 'Replaced', width: 2.6 },
          { header: 'Actor', width: 1.4 },
          { header: 'Reason', width: 2.6 },
        ],
        rows: [...input.promotions]
          .sort((a, b) => a.at.localeCompare(b.at))
          .map((p) => [
            when(p.at),
            p.environment,
            p.kind,
            label(p.candidateId),
            label(p.previousCandidateId),
            p.actor,
            p.reason ?? NONE,
          ]),
        empty: 'No promotion or rollback has been recorded.',
      },
      {
        kind: 'table',
        title: 'Rollback records',
        columns: [
          { header: 'At', width: 2 },
          { header: 'Env.', width: 1.5 },
          { header: 'From', width: 2.4 },
          { header: 'To', width: 2.4 },
          { header: 'Reason', width: 2.6 },
          { header: 'Incident', width: 1.8 },
          { header: 'Validation', width: 1.6 },
        ],
        rows: [...input.rollbacks]
          .sort((a, b) => a.at.localeCompare(b.at))
          .map((r) => [
            when(r.at),
            r.environment,
            label(r.fromCandidateId),
            label(r.toCandidateId),
            r.reason,
            r.incidentId ?? NONE,
            r.validation ? `${r.validation.status} (${r.validation.decision})` : 'not recorded',
          ]),
        empty: 'No rollback has been recorded.',
      },
      {
        kind: 'table',
        title: 'Release candidates (immutable snapshots)',
        columns: [
          { header: 'Release', width: 2.6 },
          { header: 'Env.', width: 1.5 },
          { header: 'Status', width: 1.3 },
          { header: 'Prompt', width: 1.8 },
          { header: 'Model', width: 2 },
          { header: 'Snapshot hash', width: 2.2 },
          { header: 'Created', width: 2 },
        ],
        rows: candidates.map((c) => {
          const p = prompts.get(c.promptVersionId);
          const m = configs.get(c.modelConfigId);
          return [
            label(c.id),
            c.environment,
            c.status,
            p ? `${p.name} v${p.version}` : c.promptVersionId,
            m ? `${m.provider}/${m.model} (${m.name} v${m.version})` : c.modelConfigId,
            short(c.snapshotHash),
            `${when(c.createdAt)} by ${c.createdBy}`,
          ];
        }),
        empty: 'No release candidate has been built.',
      },
      ...judgeTable(input, label),
    ],
  };
}

/** The judges that graded the releases' llm-rubric assertions (ADR 0036); nothing when no candidate pins one. */
function judgeTable(input: ComplianceReportInput, label: (id: string | null) => string): Block[] {
  const judges = new Map(input.judgeConfigs.map((j) => [j.id, j]));
  const rows = [...input.candidates]
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .flatMap((c) =>
      (c.judgeConfigs ?? []).map((pinned) => {
        const j = judges.get(pinned.id);
        return [
          label(c.id),
          j ? `${j.name} v${j.version}` : pinned.id,
          j ? j.modelConfigId : '',
          j ? j.status : 'missing',
          short(pinned.contentHash),
        ];
      }),
    );
  if (rows.length === 0) return [];
  return [
    {
      kind: 'table',
      title: 'Judge configs pinned by the releases (llm-rubric assertions)',
      columns: [
        { header: 'Release', width: 2.6 },
        { header: 'Judge config', width: 2 },
        { header: 'Model config', width: 2.6 },
        { header: 'Status', width: 1.3 },
        { header: 'Content hash', width: 2.2 },
      ],
      rows,
      empty: '',
    },
  ];
}

function dataSources(input: ComplianceReportInput): ReportSection {
  const used = new Set(input.candidates.map((c) => c.modelConfigId));
  const configs = input.modelConfigs
    .filter((m) => used.has(m.id))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return {
    id: 'data',
    title: 'Data sources',
    reference: 'Annex IV(2)(d); Art. 10',
    blocks: [
      input.system.dataSources.length
        ? { kind: 'list', items: input.system.dataSources }
        : { kind: 'paragraph', text: 'No data sources are recorded for this system.' },
      {
        kind: 'table',
        title: 'Model lineage of the releases (training data, artefact, code)',
        columns: [
          { header: 'Model config', width: 2 },
          { header: 'Provider / model', width: 2 },
          { header: 'Training data', width: 2 },
          { header: 'Artefact', width: 2.6 },
          { header: 'Code commit', width: 1.6 },
        ],
        rows: configs.map((m) => [
          `${m.name} v${m.version}`,
          `${m.provider}/${m.model}`,
          m.lineage.trainingDataVersion,
          m.lineage.artifactUri,
          m.lineage.codeCommit,
        ]),
        empty: 'No model configuration is referenced by a release.',
      },
    ],
  };
}

/** The metrics of the gate-run summary table, with headers that fit a narrow column. */
const KEY_METRICS: { metric: MetricName; header: string }[] = [
  { metric: 'accuracy', header: 'Accuracy' },
  { metric: 'macroF1', header: 'Macro-F1' },
  { metric: 'schemaValidRate', header: 'Schema valid' },
  { metric: 'latencyP95Ms', header: 'p95 latency ms' },
  { metric: 'costMeanUsd', header: 'Mean cost USD' },
];

const purposeOf = (run: EvalRun) => run.purpose ?? 'gate';

function evaluation(input: ComplianceReportInput, label: (id: string | null) => string): ReportSection {
  const gateRuns = input.evalRuns
    .filter((r) => purposeOf(r) === 'gate')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const datasets = [...input.datasets].sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text:
        'Each release candidate is judged by eval runs over versioned datasets: classification accuracy and macro-F1, ' +
        'the rate of outputs valid against the prompt output contract, mean and p95 latency, mean cost per case, ' +
        'timeout and fallback rates, and the largest accuracy gap between case slices (bias). Every metric is held ' +
        'against a static threshold (min or max) and, with a regression tolerance, against the active and the ' +
        'last-known-good releases. A release can only be promoted when its latest run on the approved snapshot passed.',
    },
    {
      kind: 'table',
      title: 'Evaluation datasets',
      columns: [
        { header: 'Dataset', width: 2.2 },
        { header: 'Kind', width: 1.6 },
        { header: 'Cases', width: 0.8 },
        { header: 'Content hash (SHA-256)', width: 4.4 },
        { header: 'Created', width: 2 },
      ],
      rows: datasets.map((d) => [
        `${d.name} v${d.version}`,
        d.kind,
        String(d.caseCount),
        d.contentHash,
        when(d.createdAt),
      ]),
      empty: 'No evaluation dataset is registered.',
    },
    {
      kind: 'table',
      title: 'Gate eval runs',
      columns: [
        { header: 'Release', width: 2.4 },
        { header: 'Run', width: 2.2 },
        { header: 'Status', width: 1 },
        { header: 'Cases', width: 1 },
        ...KEY_METRICS.map((m) => ({ header: m.header, width: 1.3 })),
        { header: 'Finished', width: 2 },
      ],
      rows: gateRuns.map((r) => [
        label(r.candidateId),
        r.id,
        r.status,
        String(r.totalCases),
        ...KEY_METRICS.map((m) => num(r.metrics?.[m.metric])),
        when(r.finishedAt),
      ]),
      empty: 'No gate eval run has been recorded.',
    },
  ];
  // Full evidence for the releases that were (or are) active, then the newest candidates, up to DETAILED_RELEASES.
  const promoted = new Set(input.promotions.map((p) => p.candidateId));
  const ordered = [...input.candidates].sort(
    (a, b) => Number(promoted.has(b.id)) - Number(promoted.has(a.id)) || b.createdAt.localeCompare(a.createdAt),
  );
  const detailed = ordered.filter((c) => c.latestEvalRunId).slice(0, DETAILED_RELEASES);
  const runs = new Map(input.evalRuns.map((r) => [r.id, r]));
  for (const candidate of detailed) {
    const run = runs.get(candidate.latestEvalRunId as string);
    if (!run) continue;
    blocks.push({
      kind: 'subheading',
      text: `${label(candidate.id)}: latest gate run ${run.id} (${run.status}, ${run.executor}, ${run.totalCases} cases, ${when(run.finishedAt)})`,
    });
    blocks.push({
      kind: 'table',
      title: 'Metrics against thresholds',
      columns: [
        { header: 'Metric', width: 2 },
        { header: 'Direction', width: 1 },
        { header: 'Threshold', width: 1.2 },
        { header: 'Actual', width: 1.2 },
        { header: 'Result', width: 1 },
      ],
      rows: run.thresholdVerdicts.map((v) => [
        v.metric,
        v.direction,
        num(v.threshold),
        num(v.actual),
        v.passed ? 'pass' : 'FAIL',
      ]),
      empty: 'The run recorded no threshold verdicts.',
    });
    const deltas = run.comparisons.flatMap((c) =>
      c.deltas.map((d) => [
        c.baseline === 'active' ? 'active release' : 'last known good',
        label(c.candidateId),
        d.metric,
        num(d.baseline),
        num(d.actual),
        num(d.tolerance),
        d.passed ? 'pass' : 'FAIL',
      ]),
    );
    blocks.push({
      kind: 'table',
      title: 'Comparisons with baselines',
      columns: [
        { header: 'Baseline', width: 1.4 },
        { header: 'Baseline release', width: 2.6 },
        { header: 'Metric', width: 1.6 },
        { header: 'Baseline value', width: 1.2 },
        { header: 'Actual', width: 1.1 },
        { header: 'Tolerance', width: 1.1 },
        { header: 'Result', width: 0.9 },
      ],
      rows: deltas,
      empty: 'No baseline comparison (no earlier release to compare with, or no regression tolerances).',
    });
    if (run.slices.length) {
      blocks.push({
        kind: 'table',
        title: 'Accuracy per slice (bias)',
        columns: [
          { header: 'Slice', width: 2 },
          { header: 'Cases', width: 1 },
          { header: 'Accuracy', width: 1 },
        ],
        rows: run.slices.map((s) => [s.slice, String(s.cases), num(s.accuracy)]),
        empty: NONE,
      });
    }
    if (run.failureReasons.length) {
      blocks.push({ kind: 'paragraph', text: 'Why the run failed:' }, { kind: 'list', items: run.failureReasons });
    }
  }
  const rest = ordered.length - detailed.length;
  if (rest > 0) {
    blocks.push({
      kind: 'paragraph',
      text: `${rest} further release candidate(s) appear in the gate run table only; their full evidence is served by GET /api/eval-runs/{id}.`,
    });
  }
  return {
    id: 'evaluation',
    title: 'Evaluation methods and results',
    reference: 'Annex IV(2)(g), (3), (4); Art. 15(1)-(3); Art. 9(6)-(8)',
    blocks,
  };
}

function humanOversight({ system, policy }: ComplianceReportInput): ReportSection {
  const blocking = blockingSeverities(system.riskTier, 'production', policy);
  return {
    id: 'oversight',
    title: 'Human oversight measures',
    reference: 'Art. 14; Annex IV(2)(e), (3)',
    blocks: [
      { kind: 'paragraph', text: system.humanOversight || 'No human-oversight plan is recorded.' },
      { kind: 'subheading', text: 'Controls the control plane enforces' },
      {
        kind: 'list',
        items: [
          `Promotion to production needs the approvals of ${requiredApprovals(system.riskTier, 'production', policy).join(', ')} reviewers, by distinct people, none of them the candidate's author; approvals are bound to the snapshot hash.`,
          `Promotion is blocked while the latest eval run failed or is missing${blocking.length ? `, or while an incident of severity ${blocking.join(' or ')} is open` : ''}.`,
          'A release can be rolled back to the last-known-good approved release at any time; the rollback target is validated first.',
          'Every transition is written with a hash-chained audit event in the same transaction.',
        ],
      },
    ],
  };
}

const byWhom = (p: PolicyInForceRecord) => (p.activatedBy ? `${p.activatedBy.name} (${p.activatedBy.userId})` : NONE);

/** The governance policy version the system is judged under, and every version in force during its life. */
function governancePolicy({ system, policy, policyVersions }: ComplianceReportInput): ReportSection {
  const { inForce, history } = systemPolicyHistory(policyVersions, policy.version, system.createdAt);
  return {
    id: 'policy',
    title: 'Governance policy',
    reference: 'Art. 17(1)(a); Art. 9(1)',
    blocks: [
      {
        kind: 'paragraph',
        text:
          'The rules above (required approvals, blocking incidents, review interval, model card, rollback validation) ' +
          'are those of the governance policy version in force for this system. Each version is approved by ' +
          'governance reviewers who did not write it and recorded on the organisation audit chain.',
      },
      {
        kind: 'fields',
        rows: [
          ['Version in force', `v${inForce.version}`],
          ['Activated', when(inForce.activatedAt)],
          ['Activated by', byWhom(inForce)],
          ['Document hash (SHA-256)', inForce.documentHash ?? NONE],
        ],
      },
      {
        kind: 'table',
        title: "Versions in force during the system's life",
        columns: [
          { header: 'Version', width: 1 },
          { header: 'Activated', width: 2 },
          { header: 'Activated by', width: 2.4 },
          { header: 'Superseded', width: 2 },
          { header: 'Document hash', width: 2 },
        ],
        rows: history.map((p) => [
          `v${p.version}`,
          when(p.activatedAt),
          byWhom(p),
          p.supersededAt ? when(p.supersededAt) : 'in force',
          short(p.documentHash),
        ]),
        empty: 'No policy version is recorded.',
      },
    ],
  };
}

function approvals(input: ComplianceReportInput, label: (id: string | null) => string): ReportSection {
  const decided = new Set(input.audit.approvalDecisions.map((d) => d.approvalId));
  const rows: { at: string; row: string[] }[] = input.audit.approvalDecisions.map((d) => ({
    at: d.at,
    row: [label(d.candidateId), d.role, d.reviewerName, d.decision, when(d.at), d.comment ?? NONE],
  }));
  for (const a of input.approvals) {
    if (decided.has(a.id)) continue;
    rows.push({
      at: a.decidedAt ?? a.requestedAt,
      row: [
        label(a.candidateId),
        a.role,
        a.reviewerName ?? NONE,
        a.status,
        a.decidedAt ? when(a.decidedAt) : `requested ${when(a.requestedAt)}`,
        a.comment ?? NONE,
      ],
    });
  }
  rows.sort((a, b) => a.at.localeCompare(b.at));
  return {
    id: 'approvals',
    title: 'Approvals and who gave them',
    reference: 'Art. 17(1)(a)-(b); Annex IV(2)(g) (test reports signed by the responsible persons)',
    blocks: [
      {
        kind: 'paragraph',
        text:
          'Decisions are read from the audit chain (every approval round), pending and expired records from the ' +
          "candidates' current rounds.",
      },
      {
        kind: 'table',
        title: 'Approval decisions',
        columns: [
          { header: 'Release', width: 2.6 },
          { header: 'Role', width: 1.2 },
          { header: 'Reviewer', width: 1.6 },
          { header: 'Decision', width: 1.4 },
          { header: 'Time', width: 2 },
          { header: 'Comment', width: 3 },
        ],
        rows: rows.map((r) => r.row),
        empty: 'No approval has been requested.',
      },
    ],
  };
}

function incidents(input: ComplianceReportInput, label: (id: string | null) => string): ReportSection {
  const list = [...input.incidents].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const now = Date.parse(input.generatedAt);
  const blocks: Block[] = [
    {
      kind: 'table',
      title: 'Incidents',
      columns: [
        { header: 'Incident', width: 3 },
        { header: 'Severity', width: 1 },
        { header: 'Status', width: 1.1 },
        { header: 'Release', width: 2.4 },
        { header: 'Opened', width: 2 },
        { header: 'Resolved', width: 2 },
      ],
      rows: list.map((i) => [
        `${i.title} (${i.id})`,
        i.severity,
        i.status,
        label(i.candidateId),
        when(i.createdAt),
        when(i.resolvedAt),
      ]),
      empty: 'No incident has been recorded.',
    },
  ];
  for (const i of list) {
    const rows: [string, string][] = [
      ['Description', i.description || NONE],
      ['Corrective action / resolution', i.resolution ?? (i.status === 'resolved' ? NONE : 'open')],
    ];
    if (i.monitoring) {
      rows.push([
        'Opened by monitoring',
        `${i.monitoring.cause} in ${i.monitoring.environment} (run ${i.monitoring.evalRunId}); rollback requested: ${yesNo(i.monitoring.rollbackRequested)}`,
      ]);
    }
    const rollbacks = input.rollbacks.filter((r) => r.incidentId === i.id);
    for (const r of rollbacks)
      rows.push([
        'Rollback',
        `${when(r.at)}: ${label(r.fromCandidateId)} to ${label(r.toCandidateId)}${r.monitoringRunId ? ` (automatic: the policy's action on monitoring run ${r.monitoringRunId})` : ''}`,
      ]);
    const serious = i.seriousIncident;
    if (serious) {
      const status = reportingStatus(serious, new Date(input.generatedAt));
      const late = Math.floor((now - Date.parse(serious.reportingDeadline)) / DAY_MS);
      const statusText = {
        due: 'due',
        overdue: `OVERDUE by ${late} day(s)`,
        reported: `reported (initial report sent${reportedLate(serious) ? ', after the deadline' : ''})`,
        closed: `closed (final report sent${reportedLate(serious) ? '; initial report after the deadline' : ''})`,
      }[status];
      rows.push(
        [
          'Serious incident (Art. 73)',
          `category ${serious.category}: ${REPORTING_PERIOD_DAYS[serious.category]} days, ${REPORTING_PERIOD_ARTICLE[serious.category]}`,
        ],
        ['Aware at', when(serious.awareAt)],
        ['Reporting deadline', when(serious.reportingDeadline)],
        ['Reporting status', statusText],
        ['Member State', serious.memberState ?? 'not recorded'],
        ['Initial report', when(serious.initialReportAt)],
        ['Final report', when(serious.finalReportAt)],
        ['Corrective action (Art. 73(6))', serious.correctiveAction ?? NONE],
      );
    }
    blocks.push({ kind: 'subheading', text: `${i.title} (${i.severity}, ${i.status})` }, { kind: 'fields', rows });
  }
  return {
    id: 'incidents',
    title: 'Incidents and corrective actions',
    reference: 'Art. 73; Art. 20; Art. 72(1)',
    blocks,
  };
}

function postMarketMonitoring(input: ComplianceReportInput, label: (id: string | null) => string): ReportSection {
  const runs = input.evalRuns
    .filter((r) => purposeOf(r) !== 'gate')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const review = reviewStatus(input.system, input.candidates, new Date(input.generatedAt), input.policy);
  const opened = input.incidents.filter((i) => i.monitoring);
  return {
    id: 'monitoring',
    title: 'Post-market monitoring',
    reference: 'Art. 72; Art. 9(2)(c); Annex IV(9)',
    blocks: [
      {
        kind: 'fields',
        rows: review
          ? [
              ['Last governance review', when(review.lastReviewedAt)],
              ['Review interval', `${review.intervalDays} days (${input.system.riskTier} tier)`],
              ['Next review due', when(review.dueAt)],
              ['Overdue', review.overdue ? `yes, by ${review.daysOverdue} day(s)` : 'no'],
            ]
          : [['Periodic review', 'none: the system is retired']],
      },
      {
        kind: 'table',
        title: 'Monitoring and rollback-validation runs',
        columns: [
          { header: 'Purpose', width: 1.6 },
          { header: 'Release', width: 2.6 },
          { header: 'Run', width: 2.4 },
          { header: 'Status', width: 1 },
          { header: 'Accuracy', width: 1.2 },
          { header: 'Finished', width: 2 },
          { header: 'Findings', width: 3 },
        ],
        rows: runs.map((r) => [
          purposeOf(r),
          label(r.candidateId),
          r.id,
          r.status,
          num(r.metrics?.accuracy),
          when(r.finishedAt),
          r.failureReasons.join('; ') || r.error || 'none',
        ]),
        empty: 'No monitoring run has been recorded.',
      },
      {
        kind: 'paragraph',
        text: opened.length
          ? `Monitoring opened ${opened.length} incident(s): ${opened.map((i) => `${i.title} (${i.status})`).join('; ')}.`
          : 'Monitoring has opened no incident.',
      },
    ],
  };
}

function recordKeeping({ audit, chain, archive }: ComplianceReportInput): ReportSection {
  const actions = Object.entries(audit.byAction).sort((a, b) => a[0].localeCompare(b[0]));
  const archiveRows: [string, string][] = archive
    ? [
        ['Archive status', archive.status],
        ...Object.entries(archive)
          .filter(([k]) => k !== 'status')
          .map(([k, v]): [string, string] => [
            ARCHIVE_LABELS[k] ?? k,
            v === null || v === undefined ? NONE : typeof v === 'object' ? canonicalJson(v) : String(v),
          ]),
      ]
    : [['Archive status', 'not reported']];
  return {
    id: 'records',
    title: 'Record-keeping: the audit chain',
    reference: 'Art. 12(1)-(2); Art. 18; Art. 19(1)',
    blocks: [
      {
        kind: 'fields',
        rows: [
          ['Table chain verification', chain.ok ? 'verified' : 'BROKEN'],
          ['Audit events', String(chain.events)],
          ['Head seq', String(chain.headSeq)],
          ['Head hash', chain.headHash ?? NONE],
          ['First event', when(audit.firstAt)],
          ['Last event', when(audit.lastAt)],
          ...(chain.brokenAt
            ? ([['Broken at', `seq ${chain.brokenAt.seq}: ${chain.brokenAt.reason} (${chain.brokenAt.message})`]] as [
                string,
                string,
              ][])
            : []),
        ],
      },
      { kind: 'subheading', text: 'Immutable archive (S3 Object Lock, signed digests)' },
      { kind: 'fields', rows: archiveRows },
      {
        kind: 'table',
        title: 'Audit events by action',
        columns: [
          { header: 'Action', width: 3 },
          { header: 'Events', width: 1 },
        ],
        rows: actions.map(([a, n]) => [a, String(n)]),
        empty: 'No audit event.',
      },
    ],
  };
}
