// The `provider` executor (issue 16, ADR 0030): each case calls the model its route names, through the official SDK
// of the route's connection version (OpenAI, Anthropic, Bedrock), and is scored like any other output.
//
// Routing as the `http` executor: `single` → routes[0]; `weighted` → drawn from sha256(caseId), so a rerun takes the
// same route; `fallback_chain` → routes[0], then the others in order; then, when the fallback policy is enabled and
// names a fallback model, that model on the primary route's connection. Routes may mix providers.
// Attempts: a 429, a 5xx or a cut connection is retried on the same route up to RETRIES_PER_ROUTE times, after the
// Retry-After the provider asked for (at most MAX_RETRY_AFTER_MS; longer moves on) or a bounded exponential backoff;
// a timeout (the model config's timeoutMs) moves on to the next route; another 4xx or an answer that is not a JSON
// object ends the case. A 401 or 403 fails the run (a ValidationError naming the connection): the credential is
// wrong for every case. Every call waits for a slot of its connection's concurrency limit.
// Cost: the usage the provider reports, priced with the model config's costRates; a failed call bills nothing. A run
// with a ceiling (ADR 0031) asks before each call, inside the connection's slot, and records each answer's cost there.
import { createHash } from 'node:crypto';
import { ValidationError } from '../../domain/errors.js';
import { isCorrect, predictedLabelOf } from '../../domain/eval/outcome.js';
import { isSchemaValid } from '../../domain/eval/schema.js';
import {
  type ConnectionPin,
  connectionEndpoint,
  type ProviderConnectionVersion,
} from '../../domain/provider-connections.js';
import type { CaseResult, EvalCase, ModelConfigVersion, PolicyRoute, PromptVersion } from '../../domain/types.js';
import type { ExecutionRecord, ProviderCallRecord } from '../../store/evidence-store.js';
import { checkTarget } from '../allowed-hosts.js';
import { renderTemplate } from '../http-executor.js';
import type { ConnectionLimiter } from './limiter.js';
import type { ProviderCallOutcome, ProviderClient } from './types.js';

/** A case's error when the run's cost ceiling kept it from (further) calls. */
export const NOT_EXECUTED = 'not executed: the run reached its cost ceiling';

/** Retries of one route after a 429, a 5xx or a cut connection. */
const RETRIES_PER_ROUTE = 2;
/** The longest Retry-After honoured; a provider asking for longer sends the case on to its next route. */
const MAX_RETRY_AFTER_MS = 10_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 4_000;

export type ProviderModelConfig = Pick<
  ModelConfigVersion,
  'model' | 'parameters' | 'timeoutMs' | 'routingPolicy' | 'fallbackPolicy' | 'costRates'
>;

/** What the executor needs of its process: clients (secrets resolved), the shared limits, the allow-list. */
export interface ProviderRuntime {
  /** A connection version's client, its secret resolved (throws a ValidationError naming the connection). */
  clientFor: (connection: ProviderConnectionVersion) => Promise<ProviderClient>;
  limiter: ConnectionLimiter;
  allowedHosts: readonly string[];
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface ProviderCaseInput {
  evalCase: EvalCase;
  prompt: Pick<PromptVersion, 'template' | 'outputContract'>;
  modelConfig: ProviderModelConfig;
  /** The connection versions the routes pin, by `<id>#<version>`. */
  connections: ReadonlyMap<string, ProviderConnectionVersion>;
  runtime: ProviderRuntime;
  /**
   * The run's cost ceiling (ADR 0031), asked inside the connection's slot before each call; an answered call's cost
   * is recorded before the slot is released, so a slot's next call sees the spend of every call that slot made.
   */
  spend?: { mayCall: () => boolean; record: (usd: number) => Promise<void> };
}

export type ProviderCaseResult = CaseResult & { execution: ExecutionRecord };

interface Step {
  route: PolicyRoute;
  model: string;
  fallback: boolean;
}

const pinKeyOf = (pin: ConnectionPin) => `${pin.id}#${pin.version}`;

/** The routes a case tries, in order: its primary route, the rest of a fallback chain, the fallback model. */
function providerSteps(
  caseId: string,
  config: Pick<ProviderModelConfig, 'model' | 'routingPolicy' | 'fallbackPolicy'>,
): Step[] {
  const { routes, strategy } = config.routingPolicy;
  let primary: PolicyRoute | undefined;
  if (strategy === 'weighted') {
    const weighted = routes.filter((r) => Number.isFinite(r.weight) && r.weight > 0);
    const total = weighted.reduce((sum, r) => sum + r.weight, 0);
    const draw = (createHash('sha256').update(caseId).digest().readUInt32BE(0) / 2 ** 32) * total;
    let cumulative = 0;
    for (const route of weighted) {
      cumulative += route.weight;
      if (draw < cumulative) {
        primary = route;
        break;
      }
    }
    primary ??= weighted.at(-1);
  } else {
    primary = routes[0];
  }
  if (primary === undefined) return [];
  const steps: Step[] = [{ route: primary, model: primary.model ?? config.model, fallback: false }];
  if (strategy === 'fallback_chain')
    for (const route of routes.slice(1)) steps.push({ route, model: route.model ?? config.model, fallback: true });
  const fallbackModel = config.fallbackPolicy.enabled ? config.fallbackPolicy.fallbackModel : null;
  if (fallbackModel !== null && !fallbackModel.includes('://'))
    steps.push({ route: primary, model: fallbackModel, fallback: true });
  return steps;
}

/** Describes a connection in errors and evidence: its name, id and version, never its secret. */
export const connectionLabel = (c: ProviderConnectionVersion) => `${c.name} (${c.id} v${c.version})`;

/** Runs one case through its routes and scores the answer. Throws only when a credential is refused. */
export async function executeProviderCase(input: ProviderCaseInput): Promise<ProviderCaseResult> {
  const { evalCase, prompt, modelConfig, connections, runtime, spend } = input;
  const { inputPer1k, outputPer1k } = modelConfig.costRates;
  const priced = (tokensIn: number, tokensOut: number) => (tokensIn * inputPer1k + tokensOut * outputPer1k) / 1000;
  const now = runtime.now ?? Date.now;
  const sleep = runtime.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  const rendered = renderTemplate(prompt.template, evalCase.input);
  const calls: ProviderCallRecord[] = [];
  let tokensIn = 0;
  let tokensOut = 0;
  let timedOut = false;
  let answered: (ProviderCallOutcome & { kind: 'answered' }) | null = null;
  let answeredStep: Step | null = null;
  let lastRoute = '';
  let stopped = false;
  /** The run's cost ceiling stopped the case before it was answered: recorded as not executed. */
  let ceilingStopped = false;

  const steps = providerSteps(evalCase.caseId, modelConfig);
  for (const step of steps) {
    if (answered || stopped) break;
    const pin = step.route.connection;
    const connection = pin ? connections.get(pinKeyOf(pin)) : undefined;
    lastRoute = step.route.target;
    if (!pin || !connection) {
      calls.push(callRecord(step, null, 0, null, 'the route names no provider connection version'));
      continue;
    }
    const allowed = checkTarget(connectionEndpoint(connection), runtime.allowedHosts);
    if (!allowed.ok) {
      calls.push(callRecord(step, connection, 0, null, `host not allowed: ${allowed.reason}`));
      continue;
    }
    const client = await runtime.clientFor(connection);
    for (let attempt = 0; attempt <= RETRIES_PER_ROUTE; attempt++) {
      const callStarted = now();
      const outcome = await runtime.limiter.run(pinKeyOf(connection), connection.concurrencyLimit, async () => {
        if (spend && !spend.mayCall()) return null;
        const answer = await client.call({
          model: step.model,
          prompt: rendered,
          parameters: modelConfig.parameters,
          outputContract: prompt.outputContract,
          timeoutMs: modelConfig.timeoutMs,
        });
        if (spend && answer.kind === 'answered') await spend.record(priced(answer.tokensIn, answer.tokensOut));
        return answer;
      });
      if (outcome === null) {
        ceilingStopped = true;
        stopped = true;
        break;
      }
      const latency = Math.max(0, Math.round(now() - callStarted));
      if (outcome.kind === 'unauthorised') {
        throw new ValidationError(
          `provider connection ${connectionLabel(connection)} refused its credential (${outcome.status}): check the secret its reference names`,
          { field: 'secretRef' },
        );
      }
      if (outcome.kind === 'answered') {
        tokensIn += outcome.tokensIn;
        tokensOut += outcome.tokensOut;
        calls.push(callRecord(step, connection, latency, 200, outcome.error));
        answered = outcome;
        answeredStep = step;
        break;
      }
      calls.push(callRecord(step, connection, latency, outcome.status, outcome.error));
      if (outcome.kind === 'failed') {
        stopped = true;
        break;
      }
      if (outcome.timedOut) {
        if (calls.length === 1) timedOut = true;
        break;
      }
      if (attempt === RETRIES_PER_ROUTE) break;
      const wait = outcome.retryAfterMs ?? Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
      if (wait > MAX_RETRY_AFTER_MS) break;
      const last = calls.at(-1);
      if (last) last.retryAfterMs = outcome.retryAfterMs;
      await sleep(wait);
    }
  }

  const output = answered?.output ?? null;
  const schemaValid = isSchemaValid(prompt.outputContract, output);
  const predictedLabel = predictedLabelOf(output);
  const failures = calls.filter((c) => c.error !== null).map((c) => `${c.route}: ${c.error}`);
  if (ceilingStopped) failures.push(NOT_EXECUTED);
  const error =
    answered === null ? failures.join('; ') || 'no route: the routing policy names no target' : answered.error;
  const cost = priced(tokensIn, tokensOut);
  const fallbackUsed = calls.some((c) => c.fallback);
  return {
    caseId: evalCase.caseId,
    tags: evalCase.tags,
    expectedLabel: evalCase.expectedLabel,
    predictedLabel,
    output,
    correct: isCorrect(evalCase, predictedLabel, schemaValid),
    schemaValid,
    latencyMs: Math.max(0, Math.round(now() - started)),
    costUsd: Math.round(cost * 1e9) / 1e9,
    timedOut,
    fallbackUsed,
    fallbackSucceeded: fallbackUsed && answered !== null && answeredStep?.fallback === true,
    error,
    execution: {
      route: answeredStep?.route.target ?? lastRoute,
      attempts: calls.filter((c) => c.status !== 0).length,
      tokensIn,
      tokensOut,
      error: failures.length ? failures.join('; ') : null,
      ...(ceilingStopped ? { notExecuted: true } : {}),
      prompt: rendered,
      parameters: { ...modelConfig.parameters, timeoutMs: modelConfig.timeoutMs },
      outputText: answered?.text ?? null,
      calls,
    },
  };
}

function callRecord(
  step: Step,
  connection: ProviderConnectionVersion | null,
  latencyMs: number,
  status: number | null,
  error: string | null,
): ProviderCallRecord {
  return {
    route: step.route.target,
    connection: connection ? `${connection.id}@${connection.version}` : null,
    provider: connection?.provider ?? null,
    model: step.model,
    fallback: step.fallback,
    // 0: no request was made (no connection, a refused host).
    status: connection === null || (error?.startsWith('host not allowed') ?? false) ? 0 : status,
    latencyMs,
    retryAfterMs: null,
    error,
  };
}
