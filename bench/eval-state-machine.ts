// A 10,000-case simulated eval run end to end through the local eval-run state machine (statemachines/eval-run.asl.json
// in aws-local-stepfunctions) against DynamoDB Local (aggregates, progress) and the evidence store in the S3 stand-in
// (one JSONL object per batch): cases per second, peak memory, and state transitions per run.
import { readFileSync, writeFileSync } from 'node:fs';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/store/client.js';
import { createEvidenceStore } from '../functions/store/evidence-store.js';
import { createStore } from '../functions/store/index.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { createInProcessEvalRunner } from '../functions/workflows/eval-runner.js';
import { DEFAULT_BATCH_SIZE } from '../functions/workflows/eval-steps.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { createS3Client, startS3StandIn } from '../local/s3-standin.js';
import { createSfnEvalRunner } from '../local/sfn-eval-runner.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';

const CASES = 10_000;
const owner = { userId: 'omar.owner', name: 'Omar', roles: ['model_owner' as const] };
const reviewer = { userId: 'tessa.technical', name: 'Tessa', roles: ['reviewer:technical' as const] };

/** Peak resident memory of a process from /proc (Linux), in MB; null elsewhere. */
function peakRssMb(pid: number | 'self'): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Resets this process's peak RSS (Linux: `5` into clear_refs), so the peak measured next is the state machine run's. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export async function benchEvalStateMachine(): Promise<Record<string, unknown>> {
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  const s3 = await startS3StandIn({ buckets: ['bench-evidence'] });
  const evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'bench-evidence' });
  // Both runners are given this evidence store and write their evidence there.
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench-sfn')));
    const store = createStore({ doc, tableName: 'bench-sfn' });
    const { system } = await store.systems.createSystem(owner, systemInput());
    const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
    const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
    for (const [kind, id] of [
      ['prompt', prompt.id],
      ['model_config', config.id],
    ] as const) {
      await store.artefacts.transitionArtefact(owner, kind, id, 'in_review', null);
      await store.artefacts.transitionArtefact(reviewer, kind, id, 'approved', 'ok');
    }
    const dataset = await store.datasets.createDataset(owner, {
      systemId: system.id,
      name: 'bench',
      kind: 'baseline',
      description: `${CASES} cases`,
      cases: cases(CASES),
    });
    const rc = await store.candidates.createCandidate(owner, {
      systemId: system.id,
      name: 'bench',
      environment: 'production',
      promptVersionId: prompt.id,
      modelConfigId: config.id,
      datasetIds: [dataset.id],
      thresholds: LENIENT_THRESHOLDS,
      notes: '',
    });
    await store.candidates.submitCandidate(owner, rc.id);

    // The same candidate first through the in-process runner (which also warms DynamoDB Local and the JIT), for the
    // state machine's overhead; eval_passed → evaluating lets the state machine run it again.
    const inProcess = createInProcessEvalRunner(store, { concurrency: 4, evidence });
    const { run: again } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
    const againStarted = performance.now();
    inProcess.start(again.id);
    await inProcess.idle();
    const inProcessSeconds = (performance.now() - againStarted) / 1000;
    const reference = await store.evalRuns.getEvalRun(again.id);

    let report: { transitions: number; retries: number; ok: boolean } | undefined;
    const runner = createSfnEvalRunner(store, { evidence, onFinished: (r) => (report = r) });
    await runner.machine();
    const peakReset = resetPeakRss();
    let peakHeapMb = 0;
    const sampler = setInterval(() => {
      peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
    }, 25);
    const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
    const started = performance.now();
    runner.start(run.id);
    await runner.idle();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const done = await store.evalRuns.getEvalRun(run.id);
    const objects = await evidence.listBatches(run.id);

    const batches = Math.ceil(CASES / DEFAULT_BATCH_SIZE);
    return {
      cases: CASES,
      status: done.status,
      seconds: Number(seconds.toFixed(2)),
      casesPerSecond: Math.round(CASES / seconds),
      inProcessRunner: {
        seconds: Number(inProcessSeconds.toFixed(2)),
        casesPerSecond: Math.round(CASES / inProcessSeconds),
        sameMetrics: JSON.stringify(reference.metrics) === JSON.stringify(done.metrics),
      },
      targetCasesPerSecond: '>= 500',
      peakRssMb: {
        node: peakRssMb('self'),
        nodeMeasuredFrom: peakReset ? 'the state machine run' : 'process start',
        dynamoDbLocal: dynamo.process.pid ? peakRssMb(dynamo.process.pid) : null,
      },
      peakHeapUsedMb: Math.round(peakHeapMb),
      targetPeakMemoryMb: '< 500 (node process)',
      batchSize: DEFAULT_BATCH_SIZE,
      batches,
      stateTransitions: report?.transitions ?? null,
      stateTransitionsFormula:
        'StateEntered events of the interpreter: Prepare + IsSimulated + ExecuteBatches + batches × ExecuteBatch + ' +
        `Aggregate + Done = 5 + ${batches}; independent of the cases inside a batch (batch size ${DEFAULT_BATCH_SIZE})`,
      retries: report?.retries ?? null,
      evidence: {
        store: 'S3 stand-in (s3rver behind the If-None-Match proxy, in this node process)',
        batchObjects: objects.length,
        bytes: objects.reduce((sum, o) => sum + o.size, 0),
      },
    };
  } finally {
    await s3.stop();
    await dynamo.stop();
  }
}
