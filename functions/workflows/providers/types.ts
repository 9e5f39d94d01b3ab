// The port every provider adapter implements: one call of one model through the provider's official SDK, with the
// SDK's own retries off (the executor counts, paces and records every attempt) and a timeout of its own.
import type { ProviderConnectionVersion } from '../../domain/provider-connections.js';

export interface ProviderRequest {
  model: string;
  /** The rendered prompt, sent as the one user message. */
  prompt: string;
  parameters: { temperature: number; maxTokens: number; topP: number };
  /** The prompt's output contract: a JSON schema response format (OpenAI) or the input schema of a tool. */
  outputContract: Record<string, unknown>;
  timeoutMs: number;
}

export type ProviderCallOutcome =
  | {
      kind: 'answered';
      /** What the model said: the message text, or the structured tool input as JSON. */
      text: string;
      /** The parsed object, or null when the answer is not a JSON object (malformed, or the schema ignored). */
      output: Record<string, unknown> | null;
      tokensIn: number;
      tokensOut: number;
      /** Why `output` is null when it is. */
      error: string | null;
    }
  /** Worth another attempt: 429, 5xx, a timeout or a cut connection. */
  | { kind: 'transient'; status: number | null; timedOut: boolean; retryAfterMs: number | null; error: string }
  /** Not worth another attempt of this route: any other 4xx. */
  | { kind: 'failed'; status: number | null; error: string }
  /** The provider refused the credential (401, 403): the run fails, naming the connection. */
  | { kind: 'unauthorised'; status: number };

/** One embeddings request (the `similar` assertion): each input's vector, in order. */
export interface EmbeddingRequest {
  model: string;
  inputs: string[];
  timeoutMs: number;
}

/** A client of one connection version, built once per process with its secret. */
export interface ProviderClient {
  call(request: ProviderRequest): Promise<ProviderCallOutcome>;
  /** Embeddings, where the provider's SDK has an endpoint for them (OpenAI); throws on any failure. */
  embed?(request: EmbeddingRequest): Promise<ArrayLike<number>[]>;
}

export type ProviderClientFactory = (connection: ProviderConnectionVersion, secret: string | null) => ProviderClient;

/** The parsed object of a model's text answer: JSON of an object, optionally fenced as ```json; else null. */
export function parseObject(text: string): Record<string, unknown> | null {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  try {
    const value: unknown = JSON.parse(fenced?.[1] ?? text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or null. */
export function retryAfterMs(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** A structured-output tool's name: what Anthropic's and Bedrock's tool use answer with. */
export const ANSWER_TOOL = 'answer';

/** Token counts as the provider reports them: non-negative integers, else 0. */
export function tokens(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
}
