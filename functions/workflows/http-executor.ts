// The `http` executor: calls an endpoint the team runs, as the model config's routing and fallback policies say,
// and scores what it answers. Every case leaves an execution record (route, attempts, tokens, error) beside its
// CaseResult (latency, cost, timeout, fallback).
//
// Outbound safety: the control plane must not be turned against internal addresses. Every target a case could
// call (the primary route and every fallback) is checked before any connection: only http: and https: URLs
// without credentials, whose host:port is exactly one of `allowedHosts` (an entry without a port allows the
// scheme's default port). One refused target refuses the whole case without a request. Redirects are not
// followed (a 3xx is an error), so an allowed host cannot bounce a call elsewhere.
//
// The request: POST `{ prompt, input, parameters }` (prompt = the template with {{name}} replaced from the input);
// the answer: `{ output: object, usage?: { inputTokens, outputTokens } }`.
//
// Routing: `single` calls routes[0]; `weighted` picks a route with probability proportional to its weight, drawn
// deterministically from sha256(caseId) so a rerun calls the same route; `fallback_chain` calls routes[0] and
// falls back to routes[1..] in order.
// Fallback: after a timeout, a 5xx, a 429 or a connection error (never after a 4xx or a malformed answer). The
// fallback targets are the rest of a fallback_chain, then, when fallbackPolicy.enabled, fallbackModel if it is a
// URL (a model name that is not a URL retries the primary route when there is no other target). Fallback attempts:
// at least one per target, and 1 + maxRetries (capped at 10) when the policy is enabled, cycling the targets.
// Cost: an answered call bills its reported usage (an estimate of ceil(chars / 4) input tokens when it reports
// none); a failed call bills its estimated input tokens, as the simulated executor does.

import { createHash } from 'node:crypto';
import { isCorrect, predictedLabelOf } from '../domain/eval/outcome.js';
import { isSchemaValid } from '../domain/eval/schema.js';
import type { CaseResult, EvalCase, ModelConfigVersion, PromptVersion } from '../domain/types.js';
import type { ExecutionRecord } from '../store/evidence-store.js';
import { checkTarget } from './allowed-hosts.js';

export type HttpModelConfig = Pick<
  ModelConfigVersion,
  'parameters' | 'timeoutMs' | 'routingPolicy' | 'fallbackPolicy' | 'costRates'
>;
type HttpPrompt = Pick<PromptVersion, 'template' | 'outputContract'>;

export interface HttpCaseInput {
  evalCase: EvalCase;
  prompt: HttpPrompt;
  modelConfig: HttpModelConfig;
  /** `host:port` entries the executor may call; an entry without a port allows the scheme's default port. */
  allowedHosts: readonly string[];
  fetchImpl?: typeof fetch;
  /** Clock in ms, for latency. */
  now?: () => number;
}

export type HttpCaseResult = CaseResult & { execution: ExecutionRecord };

const MAX_FALLBACK_RETRIES = 10;
const MAX_RESPONSE_BYTES = 1_048_576;
const CHARS_PER_TOKEN = 4;

/** Replaces each {{name}} with the input's own member of that name (strings as they are, other values as JSON). */
export function renderTemplate(template: string, input: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (placeholder, name: string) => {
    if (!Object.hasOwn(input, name)) return placeholder;
    const value = input[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

interface RoutePlan {
  primary: string | undefined;
  fallbacks: string[];
  fallbackAttempts: number;
}

/** The primary target of a case and its fallback targets, from the routing and fallback policies. */
export function planRoutes(caseId: string, modelConfig: Pick<HttpModelConfig, 'routingPolicy' | 'fallbackPolicy'>) {
  const { routingPolicy, fallbackPolicy } = modelConfig;
  const routes = routingPolicy.routes;
  let primary: string | undefined;
  if (routingPolicy.strategy === 'weighted') {
    const weighted = routes.filter((r) => Number.isFinite(r.weight) && r.weight > 0);
    const total = weighted.reduce((sum, r) => sum + r.weight, 0);
    const draw = (createHash('sha256').update(caseId).digest().readUInt32BE(0) / 2 ** 32) * total;
    let cumulative = 0;
    for (const route of weighted) {
      cumulative += route.weight;
      if (draw < cumulative) {
        primary = route.target;
        break;
      }
    }
    primary ??= weighted.at(-1)?.target;
  } else {
    primary = routes[0]?.target;
  }
  const fallbacks = routingPolicy.strategy === 'fallback_chain' ? routes.slice(1).map((r) => r.target) : [];
  if (fallbackPolicy.enabled && primary !== undefined) {
    const model = fallbackPolicy.fallbackModel;
    const target = model?.includes('://') ? model : fallbacks.length === 0 ? primary : null;
    if (target !== null && !fallbacks.includes(target)) fallbacks.push(target);
  }
  const retries = Math.min(MAX_FALLBACK_RETRIES, Math.max(0, Math.floor(fallbackPolicy.maxRetries || 0)));
  const fallbackAttempts =
    fallbacks.length === 0 ? 0 : Math.max(fallbacks.length, fallbackPolicy.enabled ? 1 + retries : 0);
  const plan: RoutePlan = { primary, fallbacks, fallbackAttempts };
  return plan;
}

/** Every target the policies could make a case call: all routes and a fallback model given as a URL. */
export function policyTargets(modelConfig: Pick<HttpModelConfig, 'routingPolicy' | 'fallbackPolicy'>): string[] {
  const targets = modelConfig.routingPolicy.routes.map((r) => r.target);
  const model = modelConfig.fallbackPolicy.enabled ? modelConfig.fallbackPolicy.fallbackModel : null;
  if (model?.includes('://')) targets.push(model);
  return [...new Set(targets)];
}

type CallOutcome =
  | {
      kind: 'answered';
      output: Record<string, unknown> | null;
      tokensIn: number;
      tokensOut: number;
      error: string | null;
    }
  | { kind: 'transient'; timedOut: boolean; error: string }
  | { kind: 'failed'; error: string };

/** Runs one case against the team's endpoint(s) and scores the answer. Never throws for a failed call. */
export async function executeHttpCase(input: HttpCaseInput): Promise<HttpCaseResult> {
  const { evalCase, prompt, modelConfig, allowedHosts } = input;
  const fetchImpl = input.fetchImpl ?? fetch;
  const now = input.now ?? Date.now;
  const started = now();
  const rendered = renderTemplate(prompt.template, evalCase.input);
  const estimatedInputTokens = Math.ceil((rendered.length + JSON.stringify(evalCase.input).length) / CHARS_PER_TOKEN);
  const plan = planRoutes(evalCase.caseId, modelConfig);

  const finish = (fields: {
    output: Record<string, unknown> | null;
    route: string;
    attempts: number;
    tokensIn: number;
    tokensOut: number;
    timedOut: boolean;
    fallbackUsed: boolean;
    fallbackSucceeded: boolean;
    error: string | null;
    /** The execution record's error: every failed attempt, also when a fallback answered. */
    attemptErrors?: string | null;
  }): HttpCaseResult => {
    const schemaValid = isSchemaValid(prompt.outputContract, fields.output);
    const predictedLabel = predictedLabelOf(fields.output);
    const { inputPer1k, outputPer1k } = modelConfig.costRates;
    const cost = (fields.tokensIn * inputPer1k + fields.tokensOut * outputPer1k) / 1000;
    return {
      caseId: evalCase.caseId,
      tags: evalCase.tags,
      expectedLabel: evalCase.expectedLabel,
      predictedLabel,
      output: fields.output,
      correct: isCorrect(evalCase, predictedLabel, schemaValid),
      schemaValid,
      latencyMs: Math.max(0, Math.round(now() - started)),
      costUsd: Math.round(cost * 1e9) / 1e9,
      timedOut: fields.timedOut,
      fallbackUsed: fields.fallbackUsed,
      fallbackSucceeded: fields.fallbackSucceeded,
      error: fields.error,
      execution: {
        route: fields.route,
        attempts: fields.attempts,
        tokensIn: fields.tokensIn,
        tokensOut: fields.tokensOut,
        error: fields.attemptErrors === undefined ? fields.error : fields.attemptErrors,
      },
    };
  };
  const unanswered = (route: string, error: string) =>
    finish({
      output: null,
      route,
      attempts: 0,
      tokensIn: 0,
      tokensOut: 0,
      timedOut: false,
      fallbackUsed: false,
      fallbackSucceeded: false,
      error,
    });

  if (plan.primary === undefined) return unanswered('', 'no route: the routing policy names no target');
  // Every target is checked before the first connection.
  const urls = new Map<string, URL>();
  for (const target of [plan.primary, ...plan.fallbacks]) {
    const check = checkTarget(target, allowedHosts);
    if (!check.ok) return unanswered(redact(target), `host not allowed: ${check.reason}`);
    urls.set(target, check.url);
  }

  const body = JSON.stringify({ prompt: rendered, input: evalCase.input, parameters: modelConfig.parameters });
  const sequence = [plan.primary];
  for (let k = 0; k < plan.fallbackAttempts; k++) sequence.push(plan.fallbacks[k % plan.fallbacks.length] as string);

  const errors: string[] = [];
  let tokensIn = 0;
  let tokensOut = 0;
  let timedOut = false;
  let attempts = 0;
  let route = plan.primary;
  for (const target of sequence) {
    route = target;
    attempts++;
    const outcome = await callOnce(fetchImpl, urls.get(target) as URL, body, modelConfig.timeoutMs);
    const fallbackUsed = attempts > 1;
    if (outcome.kind === 'answered') {
      tokensIn += outcome.tokensIn || estimatedInputTokens;
      tokensOut += outcome.tokensOut;
      return finish({
        output: outcome.output,
        route: redact(target),
        attempts,
        tokensIn,
        tokensOut,
        timedOut,
        fallbackUsed,
        fallbackSucceeded: fallbackUsed,
        error: outcome.error === null ? null : [...errors, outcome.error].join('; '),
        attemptErrors:
          errors.length === 0 && outcome.error === null ? null : [...errors, outcome.error ?? []].flat().join('; '),
      });
    }
    tokensIn += estimatedInputTokens;
    errors.push(outcome.error);
    if (outcome.kind === 'transient' && outcome.timedOut && attempts === 1) timedOut = true;
    if (outcome.kind === 'failed') break;
  }
  return finish({
    output: null,
    route: redact(route),
    attempts,
    tokensIn,
    tokensOut,
    timedOut,
    fallbackUsed: attempts > 1,
    fallbackSucceeded: false,
    error: errors.join('; '),
  });
}

function redact(target: string): string {
  try {
    const url = new URL(target);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '(invalid target)';
  }
}

async function callOnce(fetchImpl: typeof fetch, url: URL, body: string, timeoutMs: number): Promise<CallOutcome> {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(
    () => {
      expired = true;
      controller.abort();
    },
    Math.max(1, timeoutMs),
  );
  const where = `${url.origin}${url.pathname}`;
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      signal: controller.signal,
      redirect: 'manual',
    });
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_RESPONSE_BYTES) {
      await response.body?.cancel();
      return { kind: 'failed', error: `${where} answered more than 1 MiB` };
    }
    const text = await response.text();
    const status = response.status;
    if (status >= 500 || status === 429)
      return { kind: 'transient', timedOut: false, error: `${where} answered ${status}` };
    if (status >= 300 && status < 400)
      return { kind: 'failed', error: `${where} redirected (${status}): not followed` };
    if (status !== 200) return { kind: 'failed', error: `${where} answered ${status}` };
    if (text.length > MAX_RESPONSE_BYTES) return { kind: 'failed', error: `${where} answered more than 1 MiB` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { kind: 'failed', error: `malformed response from ${where}: not JSON` };
    }
    const answer = isRecord(parsed) ? parsed : {};
    const usage = isRecord(answer.usage) ? answer.usage : {};
    const tokens = (value: unknown) =>
      typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
    const output = isRecord(answer.output) ? answer.output : null;
    return {
      kind: 'answered',
      output,
      tokensIn: tokens(usage.inputTokens),
      tokensOut: tokens(usage.outputTokens),
      error: output === null ? `malformed response from ${where}: no output object` : null,
    };
  } catch (error) {
    if (expired) return { kind: 'transient', timedOut: true, error: `${where} timed out after ${timeoutMs} ms` };
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
    return { kind: 'transient', timedOut: false, error: `${where} could not be reached${reason ? `: ${reason}` : ''}` };
  } finally {
    clearTimeout(timer);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
