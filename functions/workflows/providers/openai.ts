// The OpenAI adapter: chat completions through the official `openai` package, at the connection's base URL (OpenAI,
// Azure OpenAI's v1 API, or any server speaking the protocol: vLLM, Ollama, LiteLLM). The output contract goes as a
// JSON schema response format; the answer's text is parsed and checked against it by the scorer.
import OpenAI from 'openai';
import type { ProviderConnectionVersion } from '../../domain/provider-connections.js';
import {
  type EmbeddingRequest,
  type ProviderCallOutcome,
  type ProviderClient,
  type ProviderRequest,
  parseObject,
  retryAfterMs,
  tokens,
} from './types.js';

export function openaiClient(connection: ProviderConnectionVersion, secret: string | null): ProviderClient {
  const client = new OpenAI({
    apiKey: secret ?? '',
    baseURL: connection.baseUrl ?? undefined,
    // The executor retries, paces and records attempts itself.
    maxRetries: 0,
  });
  return {
    async call(request: ProviderRequest): Promise<ProviderCallOutcome> {
      try {
        const completion = await client.chat.completions.create(
          {
            model: request.model,
            messages: [{ role: 'user', content: request.prompt }],
            temperature: request.parameters.temperature,
            top_p: request.parameters.topP,
            max_tokens: request.parameters.maxTokens,
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'output', schema: request.outputContract, strict: false },
            },
          },
          { timeout: request.timeoutMs, maxRetries: 0 },
        );
        const text = completion.choices[0]?.message?.content ?? '';
        const output = parseObject(text);
        return {
          kind: 'answered',
          text,
          output,
          tokensIn: tokens(completion.usage?.prompt_tokens),
          tokensOut: tokens(completion.usage?.completion_tokens),
          error: output === null ? 'the answer is not a JSON object' : null,
        };
      } catch (error) {
        return openaiFailure(error);
      }
    },
    async embed(request: EmbeddingRequest): Promise<ArrayLike<number>[]> {
      let data: { index: number; embedding: ArrayLike<number> }[];
      try {
        // The SDK asks for base64 and decodes it to Float32Arrays.
        const answer = await client.embeddings.create(
          { model: request.model, input: request.inputs },
          { timeout: request.timeoutMs, maxRetries: 0 },
        );
        data = answer.data;
      } catch (error) {
        // The provider's message is not kept (some echo part of the key): the kind of failure is.
        const outcome = openaiFailure(error);
        throw new Error(
          `embeddings call failed: ${outcome.kind === 'unauthorised' ? `credential refused (${outcome.status})` : outcome.kind === 'answered' ? 'bad answer' : outcome.error}`,
        );
      }
      if (data.length !== request.inputs.length)
        throw new Error('the embeddings answer has the wrong number of vectors');
      return [...data].sort((x, y) => x.index - y.index).map((d) => d.embedding);
    },
  };
}

function openaiFailure(error: unknown): ProviderCallOutcome {
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return { kind: 'transient', status: null, timedOut: true, retryAfterMs: null, error: 'timed out' };
  if (error instanceof OpenAI.APIConnectionError)
    return { kind: 'transient', status: null, timedOut: false, retryAfterMs: null, error: 'connection failed' };
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const status = error.status;
    if (status === 401 || status === 403) return { kind: 'unauthorised', status };
    // The provider's message is not kept: some echo part of the key they were sent.
    if (status === 429 || status >= 500)
      return {
        kind: 'transient',
        status,
        timedOut: false,
        retryAfterMs: retryAfterMs(error.headers?.get('retry-after')),
        error: `answered ${status}`,
      };
    return { kind: 'failed', status, error: `answered ${status}` };
  }
  // A 200 whose body is not JSON: the model server's fault, not worth another attempt (as the http executor).
  if (error instanceof SyntaxError) return { kind: 'failed', status: 200, error: 'malformed answer: not JSON' };
  return { kind: 'transient', status: null, timedOut: false, retryAfterMs: null, error: 'connection failed' };
}
