// Throughput of the pure evaluation core: simulate, validate, aggregate and finish 10,000 cases in-process.
import { pathToFileURL } from 'node:url';
import {
  finishMetrics,
  labelsOf,
  mergeAggregates,
  planBatches,
  type SimulatedModelConfig,
  type SimulatedPrompt,
  scoreBatch,
} from '../functions/domain/eval/index.js';
import type { EvalCase } from '../functions/domain/types.js';

const CASES = 10_000;
const BATCH_SIZE = 500;
const RUNS = 5;

const LABELS = ['billing', 'technical', 'account', 'shipping', 'other'];

const prompt: SimulatedPrompt = {
  template:
    'You are a support triage assistant. Classify the ticket into one of: billing, technical, account, ' +
    'shipping, other. Answer as JSON with label, confidence and rationale.\n\nTicket: {{text}}\nLanguage: {{lang}}',
  outputContract: {
    type: 'object',
    required: ['label', 'confidence', 'rationale'],
    properties: {
      label: { type: 'string', enum: LABELS },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      rationale: { type: 'string', maxLength: 500 },
    },
    additionalProperties: false,
  },
};

const modelConfig: SimulatedModelConfig = {
  model: 'gpt-4o-mini',
  parameters: { temperature: 0.3, maxTokens: 512, topP: 1 },
  timeoutMs: 800,
  fallbackPolicy: { enabled: true, fallbackModel: 'claude-haiku', maxRetries: 1 },
  costRates: { inputPer1k: 0.00015, outputPer1k: 0.0006 },
};

function fixtureCases(count: number): EvalCase[] {
  const langs = ['en', 'de', 'fr', 'es'];
  const segments = ['enterprise', 'smb', 'consumer'];
  return Array.from({ length: count }, (_, i) => ({
    caseId: `case-${String(i).padStart(6, '0')}`,
    input: { text: `Ticket ${i}: I was charged twice for my subscription this month.`, lang: langs[i % 4] },
    expectedLabel: i % 20 === 19 ? null : (LABELS[i % LABELS.length] as string),
    expectedOutput: null,
    tags: [`lang:${langs[i % 4]}`, `segment:${segments[i % 3]}`, 'smoke'],
  }));
}

function scoreAll(cases: EvalCase[], labels: string[], snapshotHash: string) {
  // As the eval-run state machine does it: a Map over planned batches, then a merge of their aggregates.
  let merged = null;
  for (const { start, end } of planBatches(cases.length, BATCH_SIZE)) {
    const { aggregate } = scoreBatch({
      executor: 'simulated',
      snapshotHash,
      cases: cases.slice(start, end),
      labels,
      prompt,
      modelConfig,
    });
    merged = merged === null ? aggregate : mergeAggregates(merged, aggregate);
  }
  if (merged === null) throw new Error('no cases');
  return finishMetrics(merged);
}

/** Scores 10,000 simulated cases and reports throughput and memory figures. */
export async function benchEvalScoring(): Promise<Record<string, number | string>> {
  const cases = fixtureCases(CASES);
  const labels = labelsOf(cases);
  // Warm-up: compiles the contract validator and lets the JIT settle before anything is timed.
  scoreAll(cases.slice(0, 2000), labels, 'sha256:warmup');

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const timings: number[] = [];
  let last: ReturnType<typeof scoreAll> | null = null;
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    last = scoreAll(cases, labels, `sha256:bench-run-${run}`);
    timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const after = process.memoryUsage();
  const sorted = [...timings].sort((a, b) => a - b);
  const medianMs = sorted[Math.floor(sorted.length / 2)] as number;
  const bestMs = sorted[0] as number;
  const metrics = last?.metrics;
  return {
    benchmark: 'eval-scoring',
    node: process.version,
    cases: CASES,
    batchSize: BATCH_SIZE,
    runs: RUNS,
    medianMs: round(medianMs, 2),
    bestMs: round(bestMs, 2),
    casesPerSecond: Math.round((CASES / medianMs) * 1000),
    bestCasesPerSecond: Math.round((CASES / bestMs) * 1000),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
    rssDeltaMb: round((after.rss - before.rss) / 1048576, 1),
    heapDeltaMb: round((after.heapUsed - before.heapUsed) / 1048576, 1),
    accuracy: round(metrics?.accuracy ?? Number.NaN, 4),
    schemaValidRate: round(metrics?.schemaValidRate ?? Number.NaN, 4),
    latencyP95Ms: metrics?.latencyP95Ms ?? Number.NaN,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchEvalScoring(), null, 2));
}
