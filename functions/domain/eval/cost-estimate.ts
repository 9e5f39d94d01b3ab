// What an eval run may cost, before it starts, and the two spending rules (issue 16, item 3; ADR 0031): a run's
// ceiling (`maxCost`) and the daily monitoring budget. Pure: the store turns the rules into DynamoDB conditions.
//
// The estimate is an upper bound on what the executor bills, not a forecast:
// - tokens in: no tokenizer is bundled, so ⌈characters / 4⌉ per call, the rule the simulator and the local model
//   server bill by. The rendered prompt of a case is at most the template plus, for each placeholder, the case's
//   whole input as JSON (renderTemplate puts one value per placeholder); summed over cases as ⌈Σ / 4⌉ plus one
//   token a case for the rounding. A `provider` call also carries the output contract (a JSON schema response format
//   or a tool's input schema, both billed as input) and a chat message's framing (MESSAGE_OVERHEAD_TOKENS). A real
//   tokenizer may count more for text that is not English: the input side is an estimate, the output side a bound.
// - tokens out: the model config's `maxTokens` for every answering call (a provider stops there).
// - calls billed per case: `provider` bills only the answer (ADR 0030: a failed call bills nothing), so 1; the
//   simulator and the `http` executor bill the input of every attempt, so 1 + the fallback chain + the fallback
//   model's retries.
// - price: the model config's cost rates apply to every route (a route names a connection and a model, not a
//   price), so the routing weights decide which routes the cases take (`routes`) but not the bound.
// `submitted` runs carry the pipeline's own costs: no estimate.
import type { CostEstimate, ExecutorKind, ModelConfigVersion, RoutingPolicy } from '../types.js';

export type { CostEstimate };

/** Characters a token stands for in the estimate (and in the simulator and the local model server). */
const CHARS_PER_TOKEN = 4;
/** Input tokens a chat call's framing adds (role, separators); the local model server counts 8. */
const MESSAGE_OVERHEAD_TOKENS = 16;

/** What the estimate needs of a run's cases: how many, and the characters of their inputs as JSON. */
export interface CaseSizes {
  cases: number;
  /** Σ over the cases of JSON.stringify(case.input).length. */
  inputJsonChars: number;
}

export interface CostEstimateInput {
  executor: ExecutorKind;
  sizes: CaseSizes;
  prompt: { template: string; outputContract: Record<string, unknown> };
  modelConfig: Pick<ModelConfigVersion, 'parameters' | 'routingPolicy' | 'fallbackPolicy'> & {
    costRates?: Partial<ModelConfigVersion['costRates']> | undefined;
  };
}

/** Σ of the cases' inputs as JSON, in characters: what the estimate needs of a dataset (recorded with it). */
export function inputJsonChars(cases: readonly { input: Record<string, unknown> }[]): number {
  return cases.reduce((sum, c) => sum + JSON.stringify(c.input).length, 0);
}

/** Placeholders (`{{name}}`) in a template: each takes at most the whole input. */
function placeholderCount(template: string): number {
  return template.match(/\{\{\s*[A-Za-z0-9_.-]+\s*\}\}/g)?.length ?? 0;
}

/** The share of cases each route answers first: weights for `weighted`, the first route otherwise. */
function routeShares(policy: RoutingPolicy): { target: string; share: number }[] {
  if (policy.strategy !== 'weighted') return policy.routes.slice(0, 1).map((r) => ({ target: r.target, share: 1 }));
  const weighted = policy.routes.filter((r) => Number.isFinite(r.weight) && r.weight > 0);
  const total = weighted.reduce((sum, r) => sum + r.weight, 0);
  return weighted.map((r) => ({ target: r.target, share: r.weight / total }));
}

/** Billed calls per case, at most, by executor (see the header). */
function billedCallsPerCase(executor: ExecutorKind, config: CostEstimateInput['modelConfig']): number {
  if (executor === 'provider') return 1;
  const { routingPolicy, fallbackPolicy } = config;
  const chain = routingPolicy.strategy === 'fallback_chain' ? Math.max(0, routingPolicy.routes.length - 1) : 0;
  const retries = fallbackPolicy.enabled ? 1 + Math.max(0, Math.floor(fallbackPolicy.maxRetries || 0)) : 0;
  return 1 + chain + retries;
}

const usableRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Rounds a USD amount up to a millionth, so an upper bound stays one. */
const ceilMicro = (usd: number) => Math.ceil(Math.max(0, usd * 1e6 - 1e-6)) / 1e6;

/** Estimates what a run of these cases may cost before it starts (an upper bound; see the header for the basis). */
export function estimateRunCost(input: CostEstimateInput): CostEstimate {
  const { executor, sizes, prompt, modelConfig } = input;
  const cases = Math.max(0, Math.floor(sizes.cases));
  const routes = routeShares(modelConfig.routingPolicy);
  if (executor === 'submitted')
    return {
      executor,
      cases,
      callsPerCase: 0,
      inputTokens: 0,
      outputTokens: 0,
      cost: null,
      currency: 'USD',
      upperBound: false,
      routes,
      basis: 'a submitted run reports the cost the pipeline measured: the control plane calls nothing',
    };
  const calls = billedCallsPerCase(executor, modelConfig);
  // The simulator bills template + input JSON; the callers render one value per placeholder.
  const perInput = executor === 'simulated' ? 1 : Math.max(1, placeholderCount(prompt.template));
  const renderedChars = cases * prompt.template.length + perInput * Math.max(0, sizes.inputJsonChars);
  const perCallExtra =
    executor === 'provider'
      ? Math.ceil(JSON.stringify(prompt.outputContract).length / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS
      : 0;
  // ⌈Σ/4⌉ + one token a case bounds Σ⌈chars/4⌉.
  const inputPerCallSet = Math.ceil(renderedChars / CHARS_PER_TOKEN) + cases * (1 + perCallExtra);
  const inputTokens = calls * inputPerCallSet;
  const outputTokens = cases * Math.max(0, Math.floor(modelConfig.parameters.maxTokens));
  const inputPer1k = modelConfig.costRates?.inputPer1k;
  const outputPer1k = modelConfig.costRates?.outputPer1k;
  const tokenBasis = `${calls} billed call(s) a case at most; input ⌈characters / ${CHARS_PER_TOKEN}⌉ of the rendered prompt (template + input per placeholder${executor === 'provider' ? ', the output contract and the message framing' : ''}); output maxTokens (${modelConfig.parameters.maxTokens}) a case`;
  if (!usableRate(inputPer1k) || !usableRate(outputPer1k))
    return {
      executor,
      cases,
      callsPerCase: calls,
      inputTokens,
      outputTokens,
      cost: null,
      currency: 'USD',
      upperBound: false,
      routes,
      basis: `${tokenBasis}; not priced: the model config has no usable cost rates`,
    };
  const cost = ceilMicro((inputTokens * inputPer1k + outputTokens * outputPer1k) / 1000);
  const upperBound = executor !== 'http';
  return {
    executor,
    cases,
    callsPerCase: calls,
    inputTokens,
    outputTokens,
    cost,
    currency: 'USD',
    upperBound,
    routes,
    basis: `${tokenBasis}; priced at the model config's cost rates (${inputPer1k} / ${outputPer1k} USD per 1,000 tokens in / out) on every route${upperBound ? '' : '; an http endpoint reports its own usage, which may exceed this'}`,
  };
}

/** The most one call of a case may bill: the bound on a run's overshoot of its ceiling is this times the calls in flight. */
export function perCallBound(estimate: CostEstimate): number | null {
  if (estimate.cost === null || estimate.cases === 0 || estimate.callsPerCase === 0) return null;
  return ceilMicro(estimate.cost / estimate.cases);
}

/** Why a start is refused: the estimate exceeds the caller's ceiling (null when it does not, or cannot be priced). */
export function estimateOverCeiling(estimate: CostEstimate, maxCost: number | undefined): string | null {
  if (maxCost === undefined || estimate.cost === null || estimate.cost <= maxCost) return null;
  return `the run's estimated cost (at most ${formatUsd(estimate.cost)} USD) exceeds its ceiling maxCost ${formatUsd(maxCost)} USD: raise maxCost, or start it anyway with ifEstimateExceeds "start" and it stops at the ceiling`;
}

/** Whether a run has spent its ceiling: from then on its batches call nothing. */
export function ceilingReached(spentUsd: number, maxCost: number | undefined): boolean {
  return maxCost !== undefined && spentUsd >= maxCost;
}

/** The run's error once its ceiling stopped it: names the ceiling and what was spent. */
export function ceilingMessage(maxCost: number, spentUsd: number, notExecuted: number): string {
  return `cost ceiling reached: the run spent ${formatUsd(spentUsd)} USD of its maxCost ${formatUsd(maxCost)} USD; ${notExecuted} case(s) were not executed`;
}

/** The UTC day a monitoring budget counts (`yyyy-mm-dd`). */
export function budgetDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Whether a reservation fits the day's budget: absent budget, always; otherwise what is reserved today plus this
 * reservation stays within it. The store holds it as the condition of its atomic ADD.
 */
export function budgetAllows(reservedToday: number, reservation: number, dailyBudget: number | undefined): boolean {
  return dailyBudget === undefined || reservedToday + reservation <= dailyBudget;
}

/** What a monitoring run reserves of the day's budget: its estimate, or nothing when it cannot be priced. */
export function budgetReservation(estimate: CostEstimate): number {
  return estimate.cost ?? 0;
}

/** USD with up to six decimals, no trailing zeros. */
export function formatUsd(usd: number): string {
  return String(Math.round(usd * 1e6) / 1e6);
}
