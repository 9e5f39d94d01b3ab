// A 100,000-case submitted run (20 datasets of 5,000 cases, the API's largest) posted in pages of 5,000 against
// DynamoDB Local, aggregated in the background by the local eval-run state machine until it reaches `passed`: wall
// time, the first and the last post's time and reads (a post reads only its cases, so they stay level), and peak
// memory of this process (VmHWM, resourceUsage().maxRSS, sampled heap).
import { readFileSync, writeFileSync } from 'node:fs';
import { resourceUsage } from 'node:process';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Submission } from '../functions/domain/eval/index.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createStore, type RequestMeter } from '../functions/store/index.js';
import { createMemoryEvidenceStore } from '../functions/store/memory-evidence-store.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { submitEvalResults } from '../functions/workflows/eval-steps.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { createSfnEvalRunner } from '../local/sfn-eval-runner.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';

const DATASETS = 20;
const CASES_PER_DATASET = 5_000;
const PAGE = 5_000;
const owner = { userId: 'omar.owner', name: 'Omar', roles: ['model_owner' as const] };
const reviewer = { userId: 'tessa.technical', name: 'Tessa', roles: ['reviewer:technical' as const] };

function peakRssMb(pid: number | 'self'): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export async function benchSubmittedRun(total = DATASETS * CASES_PER_DATASET): Promise<Record<string, unknown>> {
  const datasetCount = Math.ceil(total / CASES_PER_DATASET);
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  try {
    const meter: RequestMeter = { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 };
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench-submitted')));
    const store = createStore({ doc, tableName: 'bench-submitted', meter });
    const setupStarted = performance.now();
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
    const datasetIds: string[] = [];
    const submissions: Submission[] = [];
    for (let d = 0; d < datasetCount; d++) {
      const size = Math.min(CASES_PER_DATASET, total - d * CASES_PER_DATASET);
      const own = cases(size).map((c) => ({ ...c, caseId: `d${d}-${c.caseId}` }));
      const dataset = await store.datasets.createDataset(owner, {
        systemId: system.id,
        name: `bench-${d}`,
        kind: 'regression',
        description: `${size} cases`,
        cases: own,
      });
      datasetIds.push(dataset.id);
      own.forEach((c, i) => {
        submissions.push({
          caseId: c.caseId,
          output: { label: i % 10 === 9 ? 'other' : c.expectedLabel, confidence: 0.9 },
          latencyMs: 80 + (i % 50),
          costUsd: 0.0002,
        });
      });
    }
    const rc = await store.candidates.createCandidate(owner, {
      systemId: system.id,
      name: 'bench',
      environment: 'production',
      promptVersionId: prompt.id,
      modelConfigId: config.id,
      datasetIds,
      thresholds: LENIENT_THRESHOLDS,
      notes: '',
    });
    await store.candidates.submitCandidate(owner, rc.id);
    const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'submitted');
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const runner = createSfnEvalRunner(store, { evidence: createMemoryEvidenceStore(), maxConcurrency: 4 });
    await runner.machine();
    const peakReset = resetPeakRss();
    let peakHeapMb = 0;
    const sampler = setInterval(() => {
      peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
    }, 25);
    const posts: { seconds: number; reads: number; readCapacity: number }[] = [];
    const started = performance.now();
    for (let i = 0; i < submissions.length; i += PAGE) {
      Object.assign(meter, { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 });
      const postStarted = performance.now();
      await submitEvalResults(store, owner, run.id, submissions.slice(i, i + PAGE), {
        startAggregation: (runId) => runner.start(runId),
      });
      posts.push({
        seconds: Number(((performance.now() - postStarted) / 1000).toFixed(2)),
        reads: meter.reads,
        readCapacity: Math.round(meter.readCapacity),
      });
    }
    const postedSeconds = (performance.now() - started) / 1000;
    await runner.idle();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const done = await store.evalRuns.getEvalRun(run.id);
    const first = posts[0];
    const last = posts[posts.length - 1];
    return {
      cases: total,
      datasets: datasetCount,
      pageSize: PAGE,
      posts: posts.length,
      status: done.status,
      casesDone: done.casesDone,
      accuracy: done.metrics?.accuracy ?? null,
      setupSeconds: Number(setupSeconds.toFixed(1)),
      wallSeconds: Number(seconds.toFixed(1)),
      postingSeconds: Number(postedSeconds.toFixed(1)),
      aggregationSeconds: Number((seconds - postedSeconds).toFixed(1)),
      firstPost: first,
      lastPost: last,
      lastToFirstPostSeconds: first && last ? Number((last.seconds / first.seconds).toFixed(2)) : null,
      peakRssMb: {
        node: peakRssMb('self'),
        nodeMeasuredFrom: peakReset ? 'the first post' : 'process start',
        nodeMaxRssSinceStart: Math.round(resourceUsage().maxRSS / 1024),
        dynamoDbLocal: dynamo.process.pid ? peakRssMb(dynamo.process.pid) : null,
      },
      peakHeapUsedMb: Math.round(peakHeapMb),
    };
  } finally {
    await dynamo.stop();
  }
}
