// The Anthropic adapter: messages through the official `@anthropic-ai/sdk`. Structured output is a tool whose input
// schema is the prompt's output contract, and tool_choice forces it; the tool's input is the output. An answer
// without the tool use is read as text and parsed. The SDK's messages API (1.17) takes no temperature or top_p:
// only maxTokens of the generation parameters reaches Anthropic.
import Anthropic from '@anthropic-ai/sdk';
import type { ProviderConnectionVersion } from '../../domain/provider-connections.js';
import {
  ANSWER_TOOL,
  type ProviderCallOutcome,
  type ProviderClient,
  type ProviderRequest,
  parseObject,
  retryAfterMs,
  tokens,
} from './types.js';

export function anthropicClient(connection: ProviderConnectionVersion, secret: string | null): ProviderClient {
  const client = new Anthropic({ apiKey: secret ?? '', baseURL: connection.baseUrl ?? undefined, maxRetries: 0 });
  return {
    async call(request: ProviderRequest): Promise<ProviderCallOutcome> {
      try {
        const message = await client.messages.create(
          {
            model: request.model,
            max_tokens: request.parameters.maxTokens,
            messages: [{ role: 'user', content: request.prompt }],
            tools: [
              {
                name: ANSWER_TOOL,
                description: 'Give the answer in the required shape.',
                input_schema: { type: 'object', ...request.outputContract } as Anthropic.Tool.InputSchema,
              },
            ],
            tool_choice: { type: 'tool', name: ANSWER_TOOL },
          },
          { timeout: request.timeoutMs, maxRetries: 0 },
        );
        const toolUse = message.content.find((block) => block.type === 'tool_use');
        const text =
          toolUse?.type === 'tool_use'
            ? JSON.stringify(toolUse.input)
            : message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        const output = toolUse?.type === 'tool_use' ? parseObject(JSON.stringify(toolUse.input)) : parseObject(text);
        return {
          kind: 'answered',
          text,
          output,
          tokensIn: tokens(message.usage?.input_tokens),
          tokensOut: tokens(message.usage?.output_tokens),
          error: output === null ? 'the answer is not a JSON object' : null,
        };
      } catch (error) {
        return anthropicFailure(error);
      }
    },
  };
}

function anthropicFailure(error: unknown): ProviderCallOutcome {
  if (error instanceof Anthropic.APIConnectionTimeoutError)
    return { kind: 'transient', status: null, timedOut: true, retryAfterMs: null, error: 'timed out' };
  if (error instanceof Anthropic.APIConnectionError)
    return { kind: 'transient', status: null, timedOut: false, retryAfterMs: null, error: 'connection failed' };
  if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
    const status = error.status;
    if (status === 401 || status === 403) return { kind: 'unauthorised', status };
    // 529 is Anthropic's "overloaded": a 5xx, retried.
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
