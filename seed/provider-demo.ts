// The demo's real-provider story (issue 16): after the scripted history, an admin registers a provider connection to
// the local model server (OpenAI's chat completions wire format on 127.0.0.1; its API key in a file under the data
// folder), and Omar registers a new model config of the Support Note Classifier that pins it, builds a candidate on
// the same prompt, datasets and thresholds as release notes-1, and evaluates it with the `provider` executor: the
// official OpenAI SDK calls the server, and the run's evidence holds each case's token usage and cost. The Triage
// story keeps the simulated executor.
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
  return { connectionId: connection.id, candidateId: candidate.id, evalRunId: run.id };
}
