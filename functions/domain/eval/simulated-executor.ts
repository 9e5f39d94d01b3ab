// The `simulated` executor: a deterministic stand-in for calling a model, used by the demo and by tests.
import { createHash } from 'node:crypto';
import type { CaseResult, EvalCase, JsonSchema, ModelConfigVersion, PromptVersion } from '../types.js';
import { isCorrect, predictedLabelOf } from './outcome.js';
import { outputValidator } from './schema.js';

/**
 * The simulator's formulas. Every case draws the same twelve uniforms u0..u11 in [0, 1) from xoshiro128**
 * seeded with the first 16 bytes (four little-endian uint32 words) of sha256(snapshotHash + caseId), whatever
 * the config; so changing one parameter moves results monotonically instead of reshuffling them.
 *
 * Model profile (by lower-cased model name, first match wins):
 *   fast     names containing mini|small|haiku|nano|lite|flash|tiny: baseLatencyMs 300,  quality 0.88
 *   slow     names containing large|opus|xl|ultra:                   baseLatencyMs 1800, quality 0.95
 *   standard anything else:                                         baseLatencyMs 800,  quality 0.92
 *
 * Latency of one call (ms):  medianMs = baseLatencyMs + 0.5 * maxTokens
 *                            latencyMs = round(medianMs * exp(0.25 * z)),  z ~ N(0,1) from u0,u1 (Box-Muller)
 *   so p95 ≈ 1.509 * medianMs, p99 ≈ 1.789 * medianMs, and P(timeout) = 1 - Φ(4 * ln(timeoutMs / medianMs)).
 * Timeout: latencyMs > timeoutMs sets timedOut; the primary call is abandoned at timeoutMs.
 * Fallback (only after a timeout and when fallbackPolicy.enabled): the fallback model (fallbackModel, else the
 *   same model) is tried up to 1 + maxRetries times; one attempt takes fallbackMs = its own latency formula with
 *   z from u9,u10, fails when fallbackMs > timeoutMs, and otherwise errors with probability 0.1 independently
 *   (geometric draw from u11). P(fallbackSucceeded) = (fallbackMs <= timeoutMs) * (1 - 0.1^(1 + maxRetries)).
 *   Case latency = timeoutMs + attemptsMade * min(fallbackMs, timeoutMs). A successful fallback supplies the
 *   output (with the fallback model's quality); otherwise the case has no output, predictedLabel null,
 *   correct false, schemaValid false and an error.
 * Correct label: P(correct) = clamp(quality - 0.1 * temperature, 0, 1) of the answering model, drawn as
 *   u2 < P(correct). A wrong prediction is others[floor(u3 * others.length)], where others are the labels
 *   without the expected one (or `not <expected>` when there is no other label). topP is not simulated.
 * Output: { label, confidence, rationale } plus every other property the output contract declares or requires,
 *   filled with a value of its declared type (const, first enum value, 'simulated', 0.5, 1, true, [], {}).
 *   label/confidence/rationale are left out only when the contract sets additionalProperties: false and does
 *   not declare them. confidence = round2(correct ? 0.6 + 0.4 * u7 : 0.3 + 0.4 * u7).
 * Malformed output: P(malformed) = min(0.6, 0.01 + 0.3 * temperature²), drawn as u4 < P(malformed): 0.01 at
 *   t=0, 0.022 at t=0.2, 0.037 at t=0.3, 0.085 at t=0.5, 0.157 at t=0.7, 0.253 at t=0.9, 0.31 at t=1. One field,
 *   picked by u5, is damaged: among the required fields other than `label`; if there are none, among all required
 *   fields; if none, among the output's other fields. It is removed (u6 < 0.5) or given a value of the wrong JSON
 *   type (42 for a string, 'malformed' otherwise). schemaValid is ajv's verdict on the output against
 *   prompt.outputContract, so a malformed output is invalid whenever the contract requires and types that
 *   field. Damage to `label` (only when it is the sole required field) also loses the prediction.
 * Tokens and cost: inputTokens = ceil((template.length + JSON.stringify(input).length) / 4);
 *   outputTokens = min(maxTokens, 30 + floor(90 * u8));
 *   costUsd = (inputTokens * inputPer1k + outputTokens * outputPer1k) / 1000 per answering call; a timed-out or
 *   failed call bills its input tokens only. Rounded to 1e-9 USD.
 * Generative cases (expectedLabel null): the output's label is expectedOutput.label when correct by the draw
 *   above (else a wrong label), or labels[floor(u3 * n)] ('generated' without labels) when no label is expected; scoring follows outcome.ts.
 */
const SIMULATION = {
  tiers: {
    fast: { keywords: ['mini', 'small', 'haiku', 'nano', 'lite', 'flash', 'tiny'], baseLatencyMs: 300, quality: 0.88 },
    slow: { keywords: ['large', 'opus', 'xl', 'ultra'], baseLatencyMs: 1800, quality: 0.95 },
    standard: { keywords: [] as string[], baseLatencyMs: 800, quality: 0.92 },
  },
  latencyMsPerMaxToken: 0.5,
  latencySigma: 0.25,
  temperatureAccuracyPenalty: 0.1,
  malformedBase: 0.01,
  malformedPerTemperatureSquared: 0.3,
  malformedMax: 0.6,
  fallbackAttemptFailure: 0.1,
  charsPerToken: 4,
  outputTokensMin: 30,
  outputTokensSpread: 90,
} as const;

type ModelTier = keyof typeof SIMULATION.tiers;

export interface ModelProfile {
  tier: ModelTier;
  baseLatencyMs: number;
  quality: number;
}

/** The configuration a simulation reads; full ModelConfigVersion objects satisfy it. */
export type SimulatedModelConfig = Pick<
  ModelConfigVersion,
  'model' | 'parameters' | 'timeoutMs' | 'fallbackPolicy' | 'costRates'
>;

/** The prompt fields a simulation reads; full PromptVersion objects satisfy it. */
export type SimulatedPrompt = Pick<PromptVersion, 'template' | 'outputContract'>;

export interface SimulateCaseInput {
  snapshotHash: string;
  evalCase: EvalCase;
  /** The dataset's label set, from which wrong predictions are drawn. */
  labels: readonly string[];
  prompt: SimulatedPrompt;
  modelConfig: SimulatedModelConfig;
}

/** The profile (speed and quality tier) the simulator assigns to a model name. */
export function modelProfile(model: string): ModelProfile {
  const name = model.toLowerCase();
  for (const tier of ['fast', 'slow'] as const) {
    const spec = SIMULATION.tiers[tier];
    if (spec.keywords.some((k) => name.includes(k))) {
      return { tier, baseLatencyMs: spec.baseLatencyMs, quality: spec.quality };
    }
  }
  const spec = SIMULATION.tiers.standard;
  return { tier: 'standard', baseLatencyMs: spec.baseLatencyMs, quality: spec.quality };
}

/** Median latency in ms of one call to a model with the given output budget. */
function medianLatencyMs(model: string, maxTokens: number): number {
  return modelProfile(model).baseLatencyMs + SIMULATION.latencyMsPerMaxToken * maxTokens;
}

/** Probability that a call to the model predicts the expected label at the given temperature. */
function correctProbability(model: string, temperature: number): number {
  return clamp01(modelProfile(model).quality - SIMULATION.temperatureAccuracyPenalty * temperature);
}

/** Probability that an output is malformed at the given temperature. */
function malformedProbability(temperature: number): number {
  return Math.min(
    SIMULATION.malformedMax,
    SIMULATION.malformedBase + SIMULATION.malformedPerTemperatureSquared * temperature * temperature,
  );
}

export interface SimulationExpectation {
  profile: ModelProfile;
  medianLatencyMs: number;
  p95LatencyMs: number;
  timeoutProbability: number;
  correctProbability: number;
  malformedProbability: number;
  /** Expected schema-valid rate, counting cases left without output after a timeout. */
  schemaValidRate: number;
}

/**
 * Large-sample expectations of a model config under the formulas above, a planning aid for seed data; p95 is
 * that of a single call, ignoring the longer latency of fallbacks.
 */
export function expectedSimulation(modelConfig: SimulatedModelConfig): SimulationExpectation {
  const { model, parameters, timeoutMs, fallbackPolicy } = modelConfig;
  const median = medianLatencyMs(model, parameters.maxTokens);
  const timeoutProbability = 1 - normalCdf(Math.log(timeoutMs / median) / SIMULATION.latencySigma);
  let answered = 1 - timeoutProbability;
  if (fallbackPolicy.enabled) {
    const fallbackModel = fallbackPolicy.fallbackModel ?? model;
    const fallbackMedian = medianLatencyMs(fallbackModel, parameters.maxTokens);
    const inTime = normalCdf(Math.log(timeoutMs / fallbackMedian) / SIMULATION.latencySigma);
    const attempts = 1 + Math.max(0, Math.floor(fallbackPolicy.maxRetries));
    answered += timeoutProbability * inTime * (1 - SIMULATION.fallbackAttemptFailure ** attempts);
  }
  const malformed = malformedProbability(parameters.temperature);
  return {
    profile: modelProfile(model),
    medianLatencyMs: median,
    p95LatencyMs: median * Math.exp(SIMULATION.latencySigma * 1.6448536269514722),
    timeoutProbability,
    correctProbability: correctProbability(model, parameters.temperature),
    malformedProbability: malformed,
    schemaValidRate: answered * (1 - malformed),
  };
}

/** Simulates one case deterministically from the snapshot hash and case id; same inputs, same result. */
export function simulateCase({ snapshotHash, evalCase, labels, prompt, modelConfig }: SimulateCaseInput): CaseResult {
  const u = drawUniforms(snapshotHash, evalCase.caseId);
  const { model, parameters, timeoutMs, fallbackPolicy, costRates } = modelConfig;

  const inputTokens = Math.ceil(
    (prompt.template.length + JSON.stringify(evalCase.input).length) / SIMULATION.charsPerToken,
  );
  const outputTokens = Math.min(
    parameters.maxTokens,
    SIMULATION.outputTokensMin + Math.floor(SIMULATION.outputTokensSpread * (u[8] as number)),
  );
  const inputCost = (inputTokens * costRates.inputPer1k) / 1000;
  const answerCost = inputCost + (Math.max(0, outputTokens) * costRates.outputPer1k) / 1000;

  const primaryMs = callLatency(model, parameters.maxTokens, u[0] as number, u[1] as number);
  let answeringModel: string | null = model;
  let latencyMs = primaryMs;
  let costUsd = answerCost;
  let timedOut = false;
  let fallbackUsed = false;
  let fallbackSucceeded = false;
  let error: string | null = null;

  if (primaryMs > timeoutMs) {
    timedOut = true;
    answeringModel = null;
    latencyMs = timeoutMs;
    costUsd = inputCost;
    error = `timed out after ${timeoutMs} ms`;
    if (fallbackPolicy.enabled) {
      fallbackUsed = true;
      const fallbackModel = fallbackPolicy.fallbackModel ?? model;
      const fallbackMs = callLatency(fallbackModel, parameters.maxTokens, u[9] as number, u[10] as number);
      const attempts = 1 + Math.max(0, Math.floor(fallbackPolicy.maxRetries));
      // Failed attempts before the first success, geometric with failure probability per attempt.
      const failures = Math.floor(Math.log(1 - (u[11] as number)) / Math.log(SIMULATION.fallbackAttemptFailure));
      fallbackSucceeded = fallbackMs <= timeoutMs && failures < attempts;
      const attemptsMade = fallbackSucceeded ? failures + 1 : attempts;
      latencyMs += attemptsMade * Math.min(fallbackMs, timeoutMs);
      costUsd += (attemptsMade - 1) * inputCost + (fallbackSucceeded ? answerCost : inputCost);
      if (fallbackSucceeded) {
        answeringModel = fallbackModel;
        error = null;
      } else {
        error = `${error}; fallback ${fallbackModel} failed after ${attemptsMade} attempt(s)`;
      }
    }
  }

  let output: Record<string, unknown> | null = null;
  if (answeringModel !== null) {
    output = buildOutput(evalCase, labels, prompt.outputContract, answeringModel, parameters.temperature, u);
  }
  const schemaValid = output !== null && outputValidator(prompt.outputContract)(output);
  const predictedLabel = predictedLabelOf(output);
  return {
    caseId: evalCase.caseId,
    tags: evalCase.tags,
    expectedLabel: evalCase.expectedLabel,
    predictedLabel,
    output,
    correct: isCorrect(evalCase, predictedLabel, schemaValid),
    schemaValid,
    latencyMs,
    costUsd: Math.round(costUsd * 1e9) / 1e9,
    timedOut,
    fallbackUsed,
    fallbackSucceeded,
    error,
  };
}

// ---- drawing ----------------------------------------------------------------------------------------------

const UNIFORMS = 12;
// Reused scratch space: simulateCase is synchronous, so no two calls can interleave on it.
const uniforms = new Float64Array(UNIFORMS);

function drawUniforms(snapshotHash: string, caseId: string): Float64Array {
  const digest = createHash('sha256').update(snapshotHash).update(caseId).digest();
  let s0 = digest.readUInt32LE(0);
  let s1 = digest.readUInt32LE(4);
  let s2 = digest.readUInt32LE(8);
  let s3 = digest.readUInt32LE(12);
  // xoshiro128** must not start from the all-zero state.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 0x9e3779b9;
  for (let i = 0; i < UNIFORMS; i++) {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    uniforms[i] = result / 4294967296;
  }
  return uniforms;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function callLatency(model: string, maxTokens: number, ua: number, ub: number): number {
  // Box-Muller on (0, 1]: 1 - u keeps the logarithm finite.
  const z = Math.sqrt(-2 * Math.log(1 - ua)) * Math.cos(2 * Math.PI * ub);
  return Math.round(medianLatencyMs(model, maxTokens) * Math.exp(SIMULATION.latencySigma * z));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** Standard normal CDF (Abramowitz and Stegun 26.2.17, absolute error below 7.5e-8). */
function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  const t = 1 / (1 + 0.2316419 * Math.abs(x));
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = 0.3989422804014327 * Math.exp((-x * x) / 2) * poly;
  return x >= 0 ? 1 - tail : tail;
}

// ---- the output -------------------------------------------------------------------------------------------

type FieldKind = 'label' | 'confidence' | 'rationale' | 'filler';

interface OutputField {
  name: string;
  kind: FieldKind;
  /** The well-typed value of a filler field. */
  value: unknown;
  /** A value of the wrong JSON type, used when a malformation damages this field. */
  wrong: unknown;
}

interface OutputPlan {
  fields: OutputField[];
  /** Names a malformation may damage, in order of preference already applied. */
  targets: string[];
}

const RATIONALE = 'Simulated rationale.';
// Planned once per contract object: a batch shares one prompt, so this is computed once per batch.
const plans = new WeakMap<JsonSchema, OutputPlan>();

function outputPlan(contract: JsonSchema): OutputPlan {
  const cached = plans.get(contract);
  if (cached) return cached;
  const properties: Record<string, unknown> = isObject(contract.properties) ? contract.properties : {};
  const required: string[] = Array.isArray(contract.required)
    ? contract.required.filter((r: unknown): r is string => typeof r === 'string')
    : [];
  const closed = contract.additionalProperties === false;
  const fields: OutputField[] = [];
  const add = (name: string, kind: FieldKind) => {
    // A member named __proto__ would set the prototype instead of a property; no real contract needs one.
    if (name === '__proto__' || fields.some((f) => f.name === name)) return;
    const spec = isObject(properties[name]) ? (properties[name] as JsonSchema) : {};
    fields.push({ name, kind, value: fillerValue(spec), wrong: wrongValue(spec, kind) });
  };
  for (const [name, kind] of [
    ['label', 'label'],
    ['confidence', 'confidence'],
    ['rationale', 'rationale'],
  ] as const) {
    if (!closed || Object.hasOwn(properties, name)) add(name, kind);
  }
  for (const name of [...Object.keys(properties), ...required]) add(name, 'filler');
  const present = new Set(fields.map((f) => f.name));
  const requiredPresent = required.filter((r) => present.has(r));
  const candidates = [
    requiredPresent.filter((r) => r !== 'label'),
    requiredPresent,
    fields.filter((f) => f.name !== 'label').map((f) => f.name),
    fields.map((f) => f.name),
  ];
  const plan: OutputPlan = { fields, targets: candidates.find((c) => c.length > 0) ?? [] };
  plans.set(contract, plan);
  return plan;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function declaredType(spec: JsonSchema): string | undefined {
  const type = Array.isArray(spec.type) ? spec.type[0] : spec.type;
  return typeof type === 'string' ? type : undefined;
}

function fillerValue(spec: JsonSchema): unknown {
  if ('const' in spec) return spec.const;
  if (Array.isArray(spec.enum) && spec.enum.length > 0) return spec.enum[0];
  switch (declaredType(spec)) {
    case 'number':
      return 0.5;
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    case 'null':
      return null;
    default:
      return 'simulated';
  }
}

function wrongValue(spec: JsonSchema, kind: FieldKind): unknown {
  const types: unknown[] = Array.isArray(spec.type) ? spec.type : [spec.type];
  const expectsString = types.includes('string') || (spec.type === undefined && kind !== 'confidence');
  return expectsString ? 42 : 'malformed';
}

function freshValue(value: unknown): unknown {
  // Each output gets its own containers, so no two results share mutable state.
  if (Array.isArray(value)) return [...value];
  if (isObject(value)) return { ...value };
  return value;
}

function buildOutput(
  evalCase: EvalCase,
  labels: readonly string[],
  contract: JsonSchema,
  model: string,
  temperature: number,
  u: Float64Array,
): Record<string, unknown> {
  const plan = outputPlan(contract);
  const expected = evalCase.expectedLabel ?? stringLabel(evalCase.expectedOutput?.label);
  const right = (u[2] as number) < correctProbability(model, temperature);
  let label: string;
  if (expected === null) label = labels[Math.floor((u[3] as number) * labels.length)] ?? 'generated';
  else label = right ? expected : wrongLabel(expected, labels, u[3] as number);
  const confident = expected === null ? right : label === expected;
  const confidence = Math.round((confident ? 60 : 30) + 40 * (u[7] as number)) / 100;

  let damaged: string | null = null;
  if ((u[4] as number) < malformedProbability(temperature) && plan.targets.length > 0) {
    damaged = plan.targets[Math.floor((u[5] as number) * plan.targets.length)] ?? null;
  }
  const removeDamaged = (u[6] as number) < 0.5;

  const output: Record<string, unknown> = {};
  for (const field of plan.fields) {
    if (field.name === damaged) {
      if (!removeDamaged) output[field.name] = field.wrong;
      continue;
    }
    output[field.name] =
      field.kind === 'label'
        ? label
        : field.kind === 'confidence'
          ? confidence
          : field.kind === 'rationale'
            ? RATIONALE
            : freshValue(field.value);
  }
  return output;
}

function stringLabel(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function wrongLabel(expected: string, labels: readonly string[], draw: number): string {
  const at = labels.indexOf(expected);
  const others = at >= 0 ? labels.length - 1 : labels.length;
  // Without another label to choose, the prediction is still a label that cannot match.
  if (others <= 0) return `not ${expected}`;
  const k = Math.floor(draw * others);
  return (at >= 0 && k >= at ? labels[k + 1] : labels[k]) as string;
}
