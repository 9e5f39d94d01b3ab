// The demo's real-provider story (issue 16): after the scripted history, an admin registers a provider connection to
// the local model server (OpenAI's chat completions wire format on 127.0.0.1; its API key in a file under the data
// folder), and Omar registers a new model config of the Support Note Classifier that pins it, builds a candidate on
// the same prompt, datasets and thresholds as release notes-1, and evaluates it with the `provider` executor: the
// official OpenAI SDK calls the server, and the run's evidence holds each case's token usage and cost. The Triage
// story keeps the simulated executor. Then the Policy Summary Assistant is judged on what it says (issue 17, ADR 0039):
// a judge config (a model config of the system on the same connection, a rubric prompt and an output schema),
// reviewed and approved; a dataset of policy questions whose cases carry an llm-rubric assertion naming that judge
// (`assert.no-legal-advice`) beside deterministic ones (`assert.cites-section`, `assert.no-guarantee`); and a
// candidate that pins the judge because its dataset names it, gated by a run whose rubric verdicts come from the
// local model server.
import type { Assertion, Threshold } from '../functions/domain/types.js';
import type { EvidenceStore } from '../functions/store/evidence-store.js';
import type { GovernanceStore } from '../functions/store/index.js';
import { createInProcessEvalRunner } from '../functions/workflows/eval-runner.js';
import type { ProviderRuntime } from '../functions/workflows/providers/executor.js';
import type { DemoSummary } from './demo.js';
import { demoActor } from './users.js';

export interface ProviderDemoOptions {
  /** The model server's OpenAI base URL (`http://127.0.0.1:<port>/v1`). */
  baseUrl: string;
  /** Where its API key is: `file:<name>` under `<data dir>/provider-secrets/`. */
  secretRef: string;
  providers: ProviderRuntime;
}

export interface ProviderDemoSummary {
  connectionId: string;
  candidateId: string;
  evalRunId: string;
  /** The Policy Summary Assistant's judged story: every id it wrote. */
  judged: JudgedDemoSummary;
}

interface JudgedDemoSummary {
  modelConfigId: string;
  judgeConfigId: string;
  datasetId: string;
  candidateId: string;
  evalRunId: string;
}

/** Seeds the provider story on top of the demo; the eval run's verdict is checked like the demo's own. */
export async function seedProviderDemo(
  store: GovernanceStore,
  demo: DemoSummary,
  options: ProviderDemoOptions & { evidence: EvidenceStore; log?: (line: string) => void },
): Promise<ProviderDemoSummary> {
  const log = options.log ?? (() => undefined);
  const connection = await store.providerConnections.registerConnection(demoActor('ada.admin'), {
    name: 'Local model server',
    provider: 'openai',
    baseUrl: options.baseUrl,
    region: null,
    secretRef: options.secretRef,
    concurrencyLimit: 8,
    changeSummary: 'The OpenAI-compatible model server npm start runs on 127.0.0.1.',
  });
  const notes1 = await store.candidates.getCandidate(demo.candidates['notes-1']);
  const owner = demoActor('omar.owner');
  const config = await store.artefacts.createModelConfig(owner, {
    systemId: notes1.systemId,
    name: 'tagger-runtime',
    provider: 'openai',
    model: 'gpt-4o-mini',
    parameters: { temperature: 0, maxTokens: 64, topP: 1 },
    timeoutMs: 10_000,
    routingPolicy: {
      strategy: 'single',
      routes: [{ target: 'local-model-server', weight: 1, connection: { id: connection.id, version: 1 } }],
    },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0.00015, outputPer1k: 0.0006 },
    lineage: {
      artifactUri: 'openai://models/gpt-4o-mini',
      trainingDataVersion: 'vendor-cutoff-2023-10',
      codeCommit: 'a41c9e2',
    },
    changeSummary: 'A smaller model through the provider connection: the tagger is low risk and high volume.',
  });
  await store.artefacts.transitionArtefact(owner, 'model_config', config.id, 'in_review', null);
  await store.artefacts.transitionArtefact(
    demoActor('tessa.technical'),
    'model_config',
    config.id,
    'approved',
    'Pinned to connection version 1; cost rates match the price list.',
  );
  const candidate = await store.candidates.createCandidate(owner, {
    systemId: notes1.systemId,
    name: 'Note tagger on gpt-4o-mini (provider executor)',
    environment: 'production',
    promptVersionId: notes1.promptVersionId,
    modelConfigId: config.id,
    datasetIds: notes1.datasetIds,
    thresholds: notes1.thresholds,
    notes: 'Evaluated through the official OpenAI SDK against the local model server, with token usage and cost.',
  });
  await store.candidates.submitCandidate(owner, candidate.id);
  const runner = createInProcessEvalRunner(store, { evidence: options.evidence, providers: options.providers });
  const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'provider');
  runner.start(run.id);
  await runner.idle();
  const done = await store.evalRuns.getEvalRun(run.id);
  if (done.status !== 'passed' && done.status !== 'failed')
    throw new Error(`seed: the provider run of the note tagger ended ${done.status}: ${done.error ?? 'no error'}`);
  log(
    `seed: note tagger on gpt-4o-mini eval ${done.status} through the provider executor (mean cost ${done.metrics?.costMeanUsd} USD)`,
  );
  const judged = await seedJudgedStory(store, demo, connection.id, { ...options, log });
  return { connectionId: connection.id, candidateId: candidate.id, evalRunId: run.id, judged };
}

/** The criterion of the demo's judge: the local model server fails an answer that contains a quoted word. */
const NO_LEGAL_ADVICE =
  'The answer explains the policy wording only and gives no legal advice: it never says "lawyer", "attorney" or "legal action".';

/** Policy questions whose answers are judged on what they say, each with the judge's assertion. */
const JUDGED_CASES = [
  [
    'Section 4.2: Accidental damage to fixtures and fittings is covered up to EUR 5,000 per claim.',
    'Is my broken kitchen worktop covered?',
    'coverage',
  ],
  [
    'Section 7.1: Damage caused by gradual wear, rust, rot or vermin is excluded.',
    'Will you pay for the rotten window frames?',
    'exclusions',
  ],
  [
    'Section 9.2: Claims must be reported within 30 days with photographs and receipts.',
    'How do I claim for a stolen bike?',
    'claims_process',
  ],
  [
    'Section 6.3: Vehicles used for ride-hailing are excluded unless declared at inception.',
    'My insurer refused my ride-hailing claim, can I take them to court?',
    'exclusions',
  ],
  [
    'Section 5.1: Legal expenses cover pays up to EUR 25,000 for disputes about your home.',
    'Does the policy pay for a dispute with my builder?',
    'coverage',
  ],
  [
    'Section 9.4: A loss adjuster visits within 10 working days of a claim above EUR 10,000.',
    'When will someone look at my flooded basement?',
    'claims_process',
  ],
] as const;

async function seedJudgedStory(
  store: GovernanceStore,
  demo: DemoSummary,
  connectionId: string,
  options: { evidence: EvidenceStore; providers: ProviderRuntime; log: (line: string) => void },
): Promise<JudgedDemoSummary> {
  const policy1 = await store.candidates.getCandidate(demo.candidates['policy-1']);
  const systemId = policy1.systemId;
  const owner = demoActor('omar.owner');
  const judgeModel = await store.artefacts.createModelConfig(owner, {
    systemId,
    name: 'answer-judge-runtime',
    provider: 'openai',
    model: 'gpt-4o-mini',
    parameters: { temperature: 0, maxTokens: 200, topP: 1 },
    timeoutMs: 10_000,
    routingPolicy: {
      strategy: 'single',
      routes: [{ target: 'local-model-server', weight: 1, connection: { id: connectionId, version: 1 } }],
    },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0.00015, outputPer1k: 0.0006 },
    lineage: {
      artifactUri: 'openai://models/gpt-4o-mini',
      trainingDataVersion: 'vendor-cutoff-2023-10',
      codeCommit: 'c7d20b4',
    },
    changeSummary: 'The model the answer judge calls, at temperature 0, through the local model server connection.',
  });
  await store.artefacts.transitionArtefact(owner, 'model_config', judgeModel.id, 'in_review', null);
  await store.artefacts.transitionArtefact(
    demoActor('tessa.technical'),
    'model_config',
    judgeModel.id,
    'approved',
    'A deterministic judge runtime on the pinned connection.',
  );
  const judge = await store.artefacts.createArtefact(owner, 'judge_config', {
    systemId,
    name: 'policy-answer-judge',
    modelConfigId: judgeModel.id,
    rubricPrompt:
      'You grade a draft answer to an insurance customer.\n<rubric>{{rubric}}</rubric>\n<input>{{input}}</input>\n<output>{{output}}</output>\nAnswer with JSON: pass, score (0..1), reason.',
    outputSchema: {
      type: 'object',
      properties: {
        pass: { type: 'boolean' },
        score: { type: 'number', minimum: 0, maximum: 1 },
        reason: { type: 'string' },
      },
      required: ['pass', 'score', 'reason'],
      additionalProperties: false,
    },
    passThreshold: null,
    changeSummary: 'Grades policy answers against a criterion; the answer judge of the policy drafts.',
  });
  await store.artefacts.transitionArtefact(owner, 'judge_config', judge.id, 'in_review', null);
  await store.artefacts.transitionArtefact(
    demoActor('tom.technical'),
    'judge_config',
    judge.id,
    'approved',
    'Rubric prompt and schema reviewed; the judge sees the question, the criterion and the draft.',
  );
  const rubric: Assertion = { type: 'llm-rubric', value: NO_LEGAL_ADVICE, judge: judge.id, name: 'no-legal-advice' };
  const dataset = await store.datasets.createDataset(owner, {
    systemId,
    name: 'judged-answers',
    kind: 'regression',
    description:
      'Policy questions whose drafts are judged on what they say: no legal advice (the governed judge), no promise of payment, JSON answers.',
    defaultAssert: [
      { type: 'is-json', name: 'json' },
      { type: 'not-contains', value: 'guarantee', name: 'no-guarantee' },
    ],
    cases: JUDGED_CASES.map(([policyExcerpt, question, label], i) => ({
      caseId: `pol-judged-${String(i + 1).padStart(3, '0')}`,
      input: { policyExcerpt, question },
      expectedLabel: label,
      expectedOutput: null,
      tags: ['lang:en', 'judged'],
      assert: [rubric],
    })),
  });
  const thresholds: Threshold[] = [
    ...policy1.thresholds,
    { metric: 'assert.no-legal-advice', direction: 'min', value: 0.8, regressionTolerance: null },
    { metric: 'assert.no-guarantee', direction: 'min', value: 1, regressionTolerance: null },
  ];
  // The candidate names no judge: its dataset's llm-rubric assertion does, so the snapshot pins it (ADR 0039).
  const candidate = await store.candidates.createCandidate(owner, {
    systemId,
    name: 'Policy answers judged for legal advice',
    environment: 'staging',
    promptVersionId: policy1.promptVersionId,
    modelConfigId: policy1.modelConfigId,
    datasetIds: [...policy1.datasetIds, dataset.id],
    thresholds,
    notes: 'Release 1 gated again with what its drafts say judged by the governed answer judge.',
  });
  await store.candidates.submitCandidate(owner, candidate.id);
  const runner = createInProcessEvalRunner(store, { evidence: options.evidence, providers: options.providers });
  const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'simulated');
  runner.start(run.id);
  await runner.idle();
  const done = await store.evalRuns.getEvalRun(run.id);
  if (done.status !== 'passed')
    throw new Error(
      `seed: the judged policy run ended ${done.status}: ${done.error ?? done.failureReasons.join('; ')}`,
    );
  options.log(
    `seed: policy answers judged by ${judge.name} v${judge.version}: assert.no-legal-advice ${done.metrics?.['assert.no-legal-advice']}`,
  );
  return {
    modelConfigId: judgeModel.id,
    judgeConfigId: judge.id,
    datasetId: dataset.id,
    candidateId: candidate.id,
    evalRunId: run.id,
  };
}
