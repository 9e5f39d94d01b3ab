// The demo scenario: three weeks in the life of four governed AI systems, written through the store and the eval
// steps exactly as the API would write them, so every record has its audit event and every chain verifies.
//
// The simulated executor is seeded from each candidate's snapshot hash, and the hash covers ids that differ between
// seeds, so each seed draws new per-case results. The model configs (seed/catalog.ts) and the threshold profiles
// (evals/<system>/thresholds.json) are tuned so that every evaluation lands on its planned outcome with a wide
// margin: by the simulator's formulas, all nine candidates land as planned in all but about one seed in ten
// thousand (the tail is mostly the blocked triage candidate's accuracy). The seed checks every outcome and stops
// with a SeedOutcomeError rather than leave a scenario of another shape.
import type { BlockReasonCode } from '../functions/domain/errors.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  CandidateStatus,
  DatasetKind,
  EvalRun,
  EvalRunStatus,
  IncidentStatus,
  MetricName,
  ReleaseCandidate,
  ReviewerRole,
} from '../functions/domain/types.js';
import { APPROVAL_STATUSES } from '../functions/domain/types.js';
import type { EvidenceStore } from '../functions/store/evidence-store.js';
import type { GovernanceStore } from '../functions/store/index.js';
import { allPages } from '../functions/store/pagination.js';
import { createInProcessEvalRunner } from '../functions/workflows/eval-runner.js';
import { failEvalRunStep, prepareEvalRun } from '../functions/workflows/eval-steps.js';
import {
  MODEL_CONFIGS,
  type ModelConfigKey,
  PROMPTS,
  type PromptKey,
  SYSTEM_KEYS,
  SYSTEMS,
  type SystemKey,
} from './catalog.js';
import type { SeedClock } from './clock.js';
import { loadDatasets, loadThresholds } from './evals.js';
import { type DemoUserId, demoActor, demoPrincipal } from './users.js';

const CANDIDATE_KEYS = [
  'triage-1',
  'triage-2',
  'triage-3',
  'triage-4',
  'policy-1',
  'policy-2',
  'notes-1',
  'evidence-1',
  'evidence-2',
] as const;
type CandidateKey = (typeof CANDIDATE_KEYS)[number];

const INCIDENT_KEYS = ['triage-misrouting', 'policy-exclusion', 'evidence-currency'] as const;
type IncidentKey = (typeof INCIDENT_KEYS)[number];

/** What the seed left, measured from the store after seeding. */
interface DemoCounts {
  systems: number;
  promptVersions: number;
  modelConfigs: number;
  datasets: number;
  evalCases: number;
  datasetKinds: DatasetKind[];
  candidates: number;
  candidatesByStatus: Partial<Record<CandidateStatus, number>>;
  evalRuns: number;
  evalRunsByStatus: Partial<Record<EvalRunStatus, number>>;
  approvals: number;
  approvalsByStatus: Partial<Record<ApprovalStatus, number>>;
  incidents: number;
  incidentsByStatus: Partial<Record<IncidentStatus, number>>;
  /** Promotion events by kind: a rollback records a promotion event of kind `rollback` besides its rollback record. */
  promotionEvents: { promote: number; rollback: number };
  rollbackRecords: number;
  auditEvents: number;
  auditEventsBySystem: Record<SystemKey, number>;
}

export interface DemoSummary {
  /** System ids by key. */
  systems: Record<SystemKey, string>;
  /** Candidate ids by key (see the README's walkthrough for what each one shows). */
  candidates: Record<CandidateKey, string>;
  triage: {
    systemId: string;
    /** The active production release: release 1, restored by the rollback. */
    activeReleaseId: string;
    /** Release 3: its latest eval failed on schemaValidRate and latencyP95Ms; approvals incomplete. */
    blockedCandidateId: string;
    blockedEvalRunId: string;
    /** Release 4: evals passed, awaiting the technical, product and risk approvals (all pending). */
    awaitingApprovalCandidateId: string;
    pendingApprovalIds: Partial<Record<ReviewerRole, string>>;
  };
  /** The rollback of triage release 2 to release 1 after the misrouting incident. */
  rollback: {
    systemId: string;
    rollbackId: string;
    rolledBackCandidateId: string;
    restoredCandidateId: string;
    incidentId: string;
  };
  /** Incident ids by key. */
  incidents: Record<IncidentKey, string>;
  counts: DemoCounts;
  /** Where the seed clock started the history (ISO 8601; `seedIfEmpty`'s clock starts at 08:00 UTC three weeks
   * before the seed ran); null when the seed ran on real time. */
  historyStart: string | null;
}

export interface SeedOptions {
  /** Where the demo's simulated eval runs keep their per-case evidence. */
  evidence: EvidenceStore;
  log?: (line: string) => void;
  /** The clock the store was built with; the seed moves it through the scenario. Without one, times are real. */
  clock?: SeedClock;
}

/** A planned outcome did not happen; the scenario stops rather than leave a different story behind. */
class SeedOutcomeError extends Error {
  override readonly name = 'SeedOutcomeError';
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new SeedOutcomeError(`seed: ${message}`);
}

interface CandidatePlan {
  system: SystemKey;
  prompt: PromptKey;
  config: ModelConfigKey;
  name: string;
  notes: string;
}

const CANDIDATES: Record<CandidateKey, CandidatePlan> = {
  'triage-1': {
    system: 'support-triage',
    prompt: 'triage-v1',
    config: 'triage-c1',
    name: 'Triage release 1: prompt v1 on gpt-4o-mini',
    notes: 'First governed release of the triage assistant.',
  },
  'triage-2': {
    system: 'support-triage',
    prompt: 'triage-v2',
    config: 'triage-c2',
    name: 'Triage release 2: priority field, gpt-4o',
    notes: 'Adds a proposed priority; moves to gpt-4o.',
  },
  'triage-3': {
    system: 'support-triage',
    prompt: 'triage-v3',
    config: 'triage-c3',
    name: 'Triage release 3: dispute fix on claude-3-opus',
    notes: 'The billing-dispute fix on the largest model, at a creative temperature.',
  },
  'triage-4': {
    system: 'support-triage',
    prompt: 'triage-v3',
    config: 'triage-c2',
    name: 'Triage release 4: dispute fix on gpt-4o',
    notes: 'The billing-dispute fix (prompt v3) on the proven gpt-4o runtime.',
  },
  'policy-1': {
    system: 'policy-summary',
    prompt: 'policy-v1',
    config: 'policy-c1',
    name: 'Policy answers release 1',
    notes: 'First governed release of the policy answer drafts.',
  },
  'policy-2': {
    system: 'policy-summary',
    prompt: 'policy-v2',
    config: 'policy-c2',
    name: 'Policy answers release 2: explicit exclusions, gpt-4o canary',
    notes: 'States whether an exclusion applies; 90/10 weighted routing.',
  },
  'notes-1': {
    system: 'support-note-classifier',
    prompt: 'notes-v1',
    config: 'notes-c1',
    name: 'Note tagger release 1 on mistral-large',
    notes: 'First release of the note tagger.',
  },
  'evidence-1': {
    system: 'evidence-extractor',
    prompt: 'evidence-v1',
    config: 'evidence-c1',
    name: 'Evidence extraction release 1',
    notes: 'First governed release of the evidence extractor.',
  },
  'evidence-2': {
    system: 'evidence-extractor',
    prompt: 'evidence-v2',
    config: 'evidence-c2',
    name: 'Evidence extraction release 2: scanned invoices on claude-3-opus',
    notes: 'Currency fix for scanned invoices on the largest model, with the intake SLA as its timeout.',
  },
};

const TRIAGE_BLOCKED_METRICS: MetricName[] = ['latencyP95Ms', 'schemaValidRate'];

/** Seeds the demo scenario into an empty table through `store`; returns the ids a user needs and what it wrote. */
export async function seedDemo(store: GovernanceStore, options: SeedOptions): Promise<DemoSummary> {
  const log = options.log ?? (() => undefined);
  const clock = options.clock;
  const at = (day: number, hour: number, minute = 0) => clock?.at(day, hour, minute);
  const runner = createInProcessEvalRunner(store, { batchSize: 50, evidence: options.evidence });

  const systems = {} as Record<SystemKey, string>;
  const prompts = {} as Record<PromptKey, string>;
  const configs = {} as Record<ModelConfigKey, string>;
  const datasets = {} as Record<SystemKey, string[]>;
  const candidates = {} as Record<CandidateKey, string>;
  const incidents = {} as Record<IncidentKey, string>;

  // ---- steps ------------------------------------------------------------------------------------------------

  const artefactRef = (key: PromptKey | ModelConfigKey) =>
    key in PROMPTS
      ? { kind: 'prompt' as const, id: prompts[key as PromptKey] }
      : { kind: 'model_config' as const, id: configs[key as ModelConfigKey] };

  /** Registers prompt and model config versions and submits them for review (frozen from then on). */
  async function submitArtefacts(keys: (PromptKey | ModelConfigKey)[], author: DemoUserId) {
    for (const key of keys) {
      if (key in PROMPTS) {
        const { system, ...input } = PROMPTS[key as PromptKey];
        prompts[key as PromptKey] = (
          await store.artefacts.createPrompt(demoActor(author), { ...input, systemId: systems[system] })
        ).id;
      } else {
        const { system, ...input } = MODEL_CONFIGS[key as ModelConfigKey];
        configs[key as ModelConfigKey] = (
          await store.artefacts.createModelConfig(demoActor(author), { ...input, systemId: systems[system] })
        ).id;
      }
      const { kind, id } = artefactRef(key);
      await store.artefacts.transitionArtefact(demoActor(author), kind, id, 'in_review', null);
    }
  }

  async function approveArtefacts(keys: (PromptKey | ModelConfigKey)[], reviewer: DemoUserId, comment: string) {
    for (const key of keys) {
      const { kind, id } = artefactRef(key);
      await store.artefacts.transitionArtefact(demoActor(reviewer), kind, id, 'approved', comment);
    }
  }

  async function createCandidate(key: CandidateKey, author: DemoUserId): Promise<string> {
    const plan = CANDIDATES[key];
    const candidate = await store.candidates.createCandidate(demoActor(author), {
      systemId: systems[plan.system],
      name: plan.name,
      environment: 'production',
      promptVersionId: prompts[plan.prompt],
      modelConfigId: configs[plan.config],
      datasetIds: datasets[plan.system],
      thresholds: loadThresholds(plan.system).thresholds,
      notes: plan.notes,
    });
    await store.candidates.submitCandidate(demoActor(author), candidate.id);
    candidates[key] = candidate.id;
    return candidate.id;
  }

  async function evaluate(key: CandidateKey, actor: DemoUserId, expected: 'passed' | 'failed'): Promise<EvalRun> {
    const { run } = await store.evalRuns.createEvalRun(demoActor(actor), candidates[key], 'simulated');
    runner.start(run.id);
    await runner.idle();
    const done = await store.evalRuns.getEvalRun(run.id);
    check(
      done.status === expected,
      `the eval run of ${key} ${done.status}, planned ${expected} (${done.failureReasons.join('; ') || done.error || 'no reasons'})`,
    );
    log(`seed: ${key} eval ${done.status}${done.failureReasons.length ? ` (${done.failureReasons.join('; ')})` : ''}`);
    return done;
  }

  async function evaluateWithExecutorError(key: CandidateKey, actor: DemoUserId, error: string): Promise<void> {
    const { run } = await store.evalRuns.createEvalRun(demoActor(actor), candidates[key], 'simulated');
    await prepareEvalRun(store, { runId: run.id, batchSize: 50 });
    await failEvalRunStep(store, { runId: run.id, error });
    log(`seed: ${key} eval error (${error})`);
  }

  async function requestApproval(key: CandidateKey, actor: DemoUserId): Promise<Map<ReviewerRole, ApprovalRecord>> {
    const { approvals } = await store.candidates.requestApproval(demoActor(actor), candidates[key]);
    return new Map(approvals.map((a) => [a.role, a]));
  }

  async function decide(
    round: Map<ReviewerRole, ApprovalRecord>,
    role: ReviewerRole,
    reviewer: DemoUserId,
    decision: 'approved' | 'rejected' | 'changes_requested',
    comment: string,
  ): Promise<ReleaseCandidate> {
    const approval = round.get(role);
    check(approval !== undefined, `no ${role} approval was requested`);
    const { candidate } = await store.approvals.decideApproval(
      demoPrincipal(reviewer),
      (approval as ApprovalRecord).id,
      decision,
      comment,
    );
    return candidate;
  }

  async function promote(key: CandidateKey, actor: DemoUserId, reason: string) {
    const candidate = await store.candidates.getCandidate(candidates[key]);
    const system = await store.systems.getSystem(candidate.systemId);
    await store.candidates.promoteCandidate(demoActor(actor), candidate.id, {
      expectedActiveCandidateId: system.activeReleases[candidate.environment],
      reason,
    });
    log(`seed: promoted ${key}`);
  }

  /** Registers a system's eval datasets from evals/<system>/ as the pipeline would. */
  async function registerDatasets(key: SystemKey, collectedAfterRelease = false) {
    datasets[key] ??= [];
    for (const file of loadDatasets(key)) {
      if ((file.collectedAfterRelease ?? false) !== collectedAfterRelease) continue;
      const dataset = await store.datasets.createDataset(demoActor('ci.pipeline'), {
        systemId: systems[key],
        name: file.name,
        kind: file.kind,
        description: file.description,
        cases: file.cases,
      });
      // Datasets collected after the releases were built are for monitoring: no candidate of the scenario names them.
      if (!collectedAfterRelease) datasets[key].push(dataset.id);
    }
  }

  // ---- days 0-1: the registry, the datasets and the first reviewed versions --------------------------------------

  at(0, 9);
  for (const key of SYSTEM_KEYS) {
    systems[key] = (await store.systems.createSystem(demoActor('omar.owner'), SYSTEMS[key])).system.id;
  }
  log(`seed: registered ${SYSTEM_KEYS.length} systems`);
  at(0, 10);
  for (const key of SYSTEM_KEYS) await registerDatasets(key);
  log('seed: registered the eval datasets from evals/');
  at(0, 11);
  await submitArtefacts(['triage-v1', 'triage-c1'], 'omar.owner');
  at(0, 15);
  await approveArtefacts(
    ['triage-v1', 'triage-c1'],
    'tessa.technical',
    'Contract and parameters reviewed; fine for the first governed release.',
  );
  at(1, 9, 30);
  await submitArtefacts(['policy-v1', 'policy-c1', 'notes-v1', 'notes-c1', 'evidence-v1', 'evidence-c1'], 'omar.owner');
  at(1, 14);
  await approveArtefacts(
    ['policy-v1', 'policy-c1', 'notes-v1', 'notes-c1'],
    'tom.technical',
    'Contract, parameters and lineage complete.',
  );
  await approveArtefacts(
    ['evidence-v1', 'evidence-c1'],
    'tessa.technical',
    'Reviewed with claims operations: the contract matches the claim file fields.',
  );

  // ---- days 2-3: triage release 1 --------------------------------------------------------------------------------

  at(2, 9);
  await createCandidate('triage-1', 'ci.pipeline');
  await evaluateWithExecutorError(
    'triage-1',
    'ci.pipeline',
    'executor: upstream provider answered HTTP 503 (overloaded) for batch 0 after 3 attempts',
  );
  at(2, 11);
  await evaluate('triage-1', 'ci.pipeline', 'passed');
  at(2, 11, 30);
  const triage1Round = await requestApproval('triage-1', 'omar.owner');
  at(3, 10);
  await decide(triage1Round, 'technical', 'tessa.technical', 'approved', 'Eval evidence reviewed; no regressions.');
  at(3, 11);
  await decide(triage1Round, 'product', 'priya.product', 'approved', 'Queues match the support handbook.');
  at(3, 14);
  await decide(triage1Round, 'risk', 'rahul.risk', 'approved', 'Human re-routing and P1 confirmation in place.');
  at(3, 16);
  await promote('triage-1', 'omar.owner', 'First governed release of the triage assistant.');

  // ---- days 4-5: policy release 1 --------------------------------------------------------------------------------

  at(4, 9);
  await createCandidate('policy-1', 'omar.owner');
  await evaluateWithExecutorError(
    'policy-1',
    'omar.owner',
    'executor: eval worker lost its lease on batch 0 after 900 s; the batch was not scored',
  );
  at(4, 10, 30);
  await evaluate('policy-1', 'omar.owner', 'passed');
  const policy1Round = await requestApproval('policy-1', 'omar.owner');
  at(4, 15);
  await decide(policy1Round, 'technical', 'tom.technical', 'approved', 'Contract validity and latency fine.');
  at(4, 16);
  await decide(policy1Round, 'product', 'priya.product', 'approved', 'Drafts read well; agents review each one.');
  at(5, 10);
  await promote('policy-1', 'omar.owner', 'First governed release of the policy answer drafts.');

  // ---- days 5-7: evidence release 1, approved by all four roles of the critical tier ------------------------------

  at(5, 11);
  await createCandidate('evidence-1', 'ci.pipeline');
  await evaluate('evidence-1', 'ci.pipeline', 'passed');
  at(6, 2);
  await evaluate('evidence-1', 'ci.pipeline', 'passed');
  at(6, 9);
  const evidence1Round = await requestApproval('evidence-1', 'omar.owner');
  at(6, 10);
  await decide(evidence1Round, 'technical', 'tessa.technical', 'approved', 'Nightly re-run identical; no timeouts.');
  at(6, 13);
  await decide(evidence1Round, 'product', 'priya.product', 'approved', 'Fields match the claim file.');
  at(6, 15);
  await decide(evidence1Round, 'risk', 'rahul.risk', 'approved', 'Handler confirmation of amounts is mandatory.');
  at(7, 10);
  await decide(
    evidence1Round,
    'governance',
    'greta.governance',
    'approved',
    'High-risk use under the EU AI Act: oversight plan, data sources and logging documented.',
  );
  at(7, 14);
  await promote('evidence-1', 'ci.pipeline', 'Approved by all four roles for the critical tier.');

  // ---- days 7-10: triage release 2 replaces release 1; the note tagger is rejected ------------------------------

  at(7, 15);
  await submitArtefacts(['triage-v2', 'triage-c2'], 'omar.owner');
  at(7, 17);
  await approveArtefacts(['triage-v2', 'triage-c2'], 'tom.technical', 'Priority enum and gpt-4o parameters reviewed.');
  at(8, 9);
  await createCandidate('triage-2', 'ci.pipeline');
  await evaluate('triage-2', 'ci.pipeline', 'passed');
  at(8, 10);
  await createCandidate('notes-1', 'omar.owner');
  await evaluate('notes-1', 'omar.owner', 'passed');
  at(9, 2);
  await evaluate('triage-2', 'ci.pipeline', 'passed');
  await evaluate('notes-1', 'ci.pipeline', 'passed');
  at(9, 9);
  const triage2Round = await requestApproval('triage-2', 'omar.owner');
  at(9, 10);
  const notes1Round = await requestApproval('notes-1', 'omar.owner');
  at(9, 11);
  await decide(triage2Round, 'technical', 'tom.technical', 'approved', 'Latency within budget on gpt-4o.');
  at(9, 13);
  await decide(triage2Round, 'product', 'priya.product', 'approved', 'The proposed priority helps the shift leads.');
  at(9, 15);
  await decide(triage2Round, 'risk', 'rahul.risk', 'approved', 'Same oversight as release 1.');
  at(10, 9, 30);
  await promote('triage-2', 'omar.owner', 'Adds proposed priorities to the routing.');
  at(10, 11);
  await decide(
    notes1Round,
    'technical',
    'tessa.technical',
    'rejected',
    'mistral-large for a low-risk tagger: p95 around 2.6 s and many times the cost of a small model. Resubmit on a small model.',
  );
  log('seed: note tagger release 1 rejected in technical review');

  // ---- days 12-13: the triage incident, the rollback to release 1, the policy incident ----------------------------

  at(12, 8, 40);
  const triageIncident = await store.incidents.openIncident(demoActor('ada.admin'), {
    systemId: systems['support-triage'],
    candidateId: candidates['triage-2'],
    title: 'Billing disputes routed to the complaints queue',
    description:
      'Since release 2, disputes about invoices and fees written in an angry tone land in the complaints queue; 140 tickets missed the billing SLA overnight.',
    severity: 'high',
  });
  incidents['triage-misrouting'] = triageIncident.id;
  at(12, 9, 10);
  const { rollback } = await store.candidates.rollbackRelease(demoActor('omar.owner'), candidates['triage-2'], {
    reason: 'Billing disputes misrouted since release 2; restoring the last-known-good release.',
    incidentId: triageIncident.id,
  });
  log('seed: rolled triage release 2 back to release 1');
  at(12, 9, 30);
  await store.incidents.updateIncident(demoActor('omar.owner'), triageIncident.id, { status: 'mitigating' });
  at(12, 15);
  const policyIncident = await store.incidents.openIncident(demoActor('omar.owner'), {
    systemId: systems['policy-summary'],
    candidateId: candidates['policy-1'],
    title: 'Draft omitted the flood exclusion of a legacy home policy',
    description:
      'An agent caught a draft that described flood cover without the Flood Extension condition of pre-2019 home policies. Agents were reminded to check exclusions.',
    severity: 'medium',
  });
  incidents['policy-exclusion'] = policyIncident.id;

  at(13, 10);
  await submitArtefacts(['triage-v3', 'triage-c3', 'policy-v2', 'policy-c2'], 'omar.owner');
  at(13, 14);
  await approveArtefacts(['triage-v3'], 'tessa.technical', 'Dispute guidance and the injection rule read well.');
  await approveArtefacts(
    ['triage-c3'],
    'tom.technical',
    'Parameters and lineage recorded; approved for evaluation, the gate will judge latency and validity.',
  );
  await approveArtefacts(
    ['policy-v2', 'policy-c2'],
    'tom.technical',
    'Exclusion flag and weighted canary route reviewed.',
  );
  at(13, 16);
  // A high incident blocks the triage system's promotions: resolving it loosens the gate, so Omar's resolution is a
  // relaxation request, and the risk reviewer, who is not on the owning team, decides it.
  const resolution = await store.relaxations.changeIncidentOrRequest(demoActor('omar.owner'), triageIncident.id, {
    type: 'resolve',
    resolution:
      'Rolled back to release 1 on day 12; prompt v3 adds explicit dispute guidance and is going through the gate.',
  });
  check('request' in resolution, 'resolving the blocking triage incident became a relaxation request');
  if (!('request' in resolution)) throw new Error('the triage incident was resolved without a second person');
  at(13, 17, 30);
  await store.relaxations.decideRelaxation(
    { ...demoActor('rahul.risk'), teams: [] },
    resolution.request.id,
    'approve',
    'Release 1 is back and the misrouting stopped overnight; the fix goes through the gate with its own evals.',
  );
  log('seed: omar.owner asked to resolve the triage incident; rahul.risk approved it');

  // ---- days 14-16: triage release 3 is blocked by its evals; policy release 2 gets changes requested -------------

  at(14, 9);
  await createCandidate('triage-3', 'omar.owner');
  await evaluate('triage-3', 'omar.owner', 'failed');
  at(14, 10);
  await createCandidate('policy-2', 'ci.pipeline');
  await evaluate('policy-2', 'ci.pipeline', 'passed');
  at(14, 11);
  const policy2Round = await requestApproval('policy-2', 'omar.owner');
  at(14, 14);
  await evaluate('triage-3', 'omar.owner', 'failed');
  at(14, 16);
  await decide(policy2Round, 'technical', 'tom.technical', 'approved', 'Canary route and fallback fine.');
  at(15, 9);
  const blockedRun = await evaluate('triage-3', 'omar.owner', 'failed');
  const failedMetrics = blockedRun.thresholdVerdicts
    .filter((v) => !v.passed)
    .map((v) => v.metric)
    .sort();
  check(
    failedMetrics.join() === TRIAGE_BLOCKED_METRICS.join(),
    `triage-3 failed on ${failedMetrics.join(', ')}, planned ${TRIAGE_BLOCKED_METRICS.join(', ')}`,
  );
  at(15, 11);
  await decide(
    policy2Round,
    'product',
    'priya.product',
    'changes_requested',
    'State the Flood Extension condition for legacy home policies (see the open incident) and attach the run with the exclusion regression set.',
  );
  at(15, 15);
  await evaluate('policy-2', 'ci.pipeline', 'passed');
  at(16, 2);
  await evaluate('policy-2', 'ci.pipeline', 'passed');

  // ---- days 16-17: evidence release 2 fails on timeouts; an incident on the active evidence release ---------------

  at(16, 9);
  await submitArtefacts(['evidence-v2', 'evidence-c2'], 'omar.owner');
  at(16, 10);
  await createCandidate('evidence-2', 'ci.pipeline');
  await evaluate('evidence-2', 'ci.pipeline', 'failed');
  at(16, 13);
  await evaluateWithExecutorError(
    'evidence-2',
    'ci.pipeline',
    'executor: provider throttled the run (HTTP 429) for batch 0; retry budget exhausted',
  );
  at(16, 15);
  await evaluate('evidence-2', 'ci.pipeline', 'failed');
  at(17, 9);
  const evidenceIncident = await store.incidents.openIncident(demoActor('ada.admin'), {
    systemId: systems['evidence-extractor'],
    candidateId: candidates['evidence-1'],
    title: 'Amounts extracted without currency on scanned invoices',
    description:
      'Scanned invoices whose currency symbol is faint yield an amount with currency null; handlers must add it by hand.',
    severity: 'high',
  });
  incidents['evidence-currency'] = evidenceIncident.id;
  at(17, 10);
  await store.incidents.updateIncident(demoActor('omar.owner'), evidenceIncident.id, { status: 'mitigating' });

  // ---- days 18-20: triage release 4 passes its evals and waits for its three reviewers ---------------------------

  at(18, 9);
  await createCandidate('triage-4', 'ci.pipeline');
  await evaluate('triage-4', 'ci.pipeline', 'passed');
  at(19, 2);
  await evaluate('triage-4', 'ci.pipeline', 'passed');
  at(20, 9);
  const triage4Round = await requestApproval('triage-4', 'ci.pipeline');
  log('seed: triage release 4 awaits technical, product and risk approval');
  at(20, 11);
  // Tickets with whole pasted e-mail threads, collected from production for post-market monitoring: `npm run
  // monitor` runs them against the active triage release and finds its mean cost far above the approval-time run.
  await registerDatasets('support-triage', true);
  log('seed: registered the pasted-thread regression set for monitoring');
  at(20, 16);
  // Claims quality's monthly review of overrides finds claims in Germany, France and Austria assessed on amounts
  // without currency and paid short: the risk reviewer declares the evidence incident a widespread infringement
  // (EU AI Act Art. 3(61)), which leaves two days from awareness to report it (Art. 73(3)). No report is sent in
  // the demo, so the incidents page and the metrics overview show the deadline coming due.
  const awareAt = new Date((clock?.peek() ?? new Date()).getTime() - 30 * 60_000).toISOString();
  await store.incidents.updateIncident(demoActor('rahul.risk'), evidenceIncident.id, {
    seriousIncident: { category: 'widespread_infringement', awareAt, memberState: 'DE' },
  });
  log('seed: the evidence incident is a serious incident; its Art. 73 report is due in two days');

  // ---- what the scenario shows ------------------------------------------------------------------------------------

  const blockedGate = await store.candidates.candidateGate(candidates['triage-3']);
  const blockedCodes = new Set<BlockReasonCode>(blockedGate.reasons.map((r) => r.code));
  check(
    blockedCodes.has('EVAL_FAILED') && blockedCodes.has('APPROVALS_INCOMPLETE'),
    `the blocked candidate's gate lists ${[...blockedCodes].join(', ')}`,
  );
  const awaitingGate = await store.candidates.candidateGate(candidates['triage-4']);
  const awaitingCodes = awaitingGate.reasons.map((r) => r.code).sort();
  check(
    awaitingCodes.join() === 'APPROVALS_INCOMPLETE,INVALID_STATE',
    `the awaiting candidate's gate lists ${awaitingCodes.join(', ')}`,
  );

  const counts = await measureDemo(store, systems);
  log(
    `seed: ${counts.systems} systems, ${counts.candidates} candidates, ${counts.evalRuns} eval runs, ${counts.approvals} approvals, ${counts.incidents} incidents, ${counts.auditEvents} audit events`,
  );
  return {
    historyStart: clock?.start.toISOString() ?? null,
    systems: { ...systems },
    candidates: Object.fromEntries(CANDIDATE_KEYS.map((k) => [k, candidates[k]])) as Record<CandidateKey, string>,
    triage: {
      systemId: systems['support-triage'],
      activeReleaseId: candidates['triage-1'],
      blockedCandidateId: candidates['triage-3'],
      blockedEvalRunId: blockedRun.id,
      awaitingApprovalCandidateId: candidates['triage-4'],
      pendingApprovalIds: Object.fromEntries([...triage4Round].map(([role, a]) => [role, a.id])),
    },
    rollback: {
      systemId: systems['support-triage'],
      rollbackId: rollback.id,
      rolledBackCandidateId: rollback.fromCandidateId,
      restoredCandidateId: rollback.toCandidateId,
      incidentId: triageIncident.id,
    },
    incidents: { ...incidents },
    counts,
  };
}

// ---- measuring ----------------------------------------------------------------------------------------------------

function tally<K extends string>(values: K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** Counts what the store holds for the given systems: every list is read through the store's own queries. */
async function measureDemo(store: GovernanceStore, systems: Record<SystemKey, string>): Promise<DemoCounts> {
  const ids = new Set(Object.values(systems));
  const perSystem = await Promise.all(
    SYSTEM_KEYS.map(async (key) => {
      const systemId = systems[key];
      const [prompts, configs, datasets, candidates, incidents, promotions, rollbacks, audit] = await Promise.all([
        allPages((p) => store.artefacts.listArtefacts('prompt', { systemId }, p)),
        allPages((p) => store.artefacts.listArtefacts('model_config', { systemId }, p)),
        allPages((p) => store.datasets.listDatasets({ systemId }, p)),
        allPages((p) => store.candidates.listCandidates({ systemId }, p)),
        allPages((p) => store.incidents.listIncidents({ systemId }, p)),
        store.candidates.promotionHistory(systemId),
        store.candidates.rollbackHistory(systemId),
        allPages((p) => store.audit.listAuditEvents({ systemId }, p)),
      ]);
      const runs = (
        await Promise.all(candidates.map((c) => allPages((p) => store.evalRuns.listEvalRuns({ candidateId: c.id }, p))))
      ).flat();
      return { key, prompts, configs, datasets, candidates, incidents, promotions, rollbacks, audit, runs };
    }),
  );
  const approvals = (
    await Promise.all(APPROVAL_STATUSES.map((status) => allPages((p) => store.approvals.listApprovals({ status }, p))))
  )
    .flat()
    .filter((a) => ids.has(a.systemId));
  const systemCount = (await allPages((p) => store.systems.listSystems(p))).filter((s) => ids.has(s.id)).length;
  const datasets = perSystem.flatMap((s) => s.datasets);
  const promotions = perSystem.flatMap((s) => s.promotions);
  const auditEventsBySystem = Object.fromEntries(perSystem.map((s) => [s.key, s.audit.length])) as Record<
    SystemKey,
    number
  >;
  return {
    systems: systemCount,
    promptVersions: perSystem.reduce((n, s) => n + s.prompts.length, 0),
    modelConfigs: perSystem.reduce((n, s) => n + s.configs.length, 0),
    datasets: datasets.length,
    evalCases: datasets.reduce((n, d) => n + d.caseCount, 0),
    datasetKinds: [...new Set(datasets.map((d) => d.kind))].sort(),
    candidates: perSystem.reduce((n, s) => n + s.candidates.length, 0),
    candidatesByStatus: tally(perSystem.flatMap((s) => s.candidates.map((c) => c.status))),
    evalRuns: perSystem.reduce((n, s) => n + s.runs.length, 0),
    evalRunsByStatus: tally(perSystem.flatMap((s) => s.runs.map((r) => r.status))),
    approvals: approvals.length,
    approvalsByStatus: tally(approvals.map((a) => a.status)),
    incidents: perSystem.reduce((n, s) => n + s.incidents.length, 0),
    incidentsByStatus: tally(perSystem.flatMap((s) => s.incidents.map((i) => i.status))),
    promotionEvents: {
      promote: promotions.filter((e) => e.kind === 'promote').length,
      rollback: promotions.filter((e) => e.kind === 'rollback').length,
    },
    rollbackRecords: perSystem.reduce((n, s) => n + s.rollbacks.length, 0),
    auditEvents: perSystem.reduce((n, s) => n + s.audit.length, 0),
    auditEventsBySystem,
  };
}
