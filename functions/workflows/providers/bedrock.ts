// The Bedrock adapter: the Converse API through `@aws-sdk/client-bedrock-runtime`, in the connection's region (or at
// its base URL, the client's `endpoint`: a VPC endpoint, or a local server in tests). Credentials come from the
// function's IAM role; a connection with a secret reference holds a Bedrock API key (bearer token). Structured output
// is a tool (toolConfig) whose input schema is the output contract, forced by toolChoice.
import { BedrockRuntimeClient, BedrockRuntimeServiceException, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
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

export function bedrockClient(connection: ProviderConnectionVersion, secret: string | null): ProviderClient {
  const client = new BedrockRuntimeClient({
    region: connection.region ?? 'us-east-1',
    ...(connection.baseUrl ? { endpoint: connection.baseUrl } : {}),
    // The executor retries, paces and records attempts itself.
    maxAttempts: 1,
    ...(secret !== null ? { token: { token: secret }, authSchemePreference: ['httpBearerAuth'] } : {}),
  });
  return {
    async call(request: ProviderRequest): Promise<ProviderCallOutcome> {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), Math.max(1, request.timeoutMs));
      try {
        const out = await client.send(
          new ConverseCommand({
            modelId: request.model,
            messages: [{ role: 'user', content: [{ text: request.prompt }] }],
            inferenceConfig: {
              maxTokens: request.parameters.maxTokens,
              temperature: request.parameters.temperature,
              topP: request.parameters.topP,
            },
            toolConfig: {
              tools: [
                {
                  toolSpec: {
                    name: ANSWER_TOOL,
                    description: 'Give the answer in the required shape.',
                    inputSchema: { json: request.outputContract as never },
                  },
                },
              ],
              toolChoice: { tool: { name: ANSWER_TOOL } },
            },
          }),
          { abortSignal: abort.signal },
        );
        const content = out.output?.message?.content ?? [];
        const toolUse = content.find((block) => block.toolUse !== undefined)?.toolUse;
        const text =
          toolUse !== undefined ? JSON.stringify(toolUse.input) : content.map((block) => block.text ?? '').join('');
        const output = parseObject(text);
        return {
          kind: 'answered',
          text,
          output,
          tokensIn: tokens(out.usage?.inputTokens),
          tokensOut: tokens(out.usage?.outputTokens),
          error: output === null ? 'the answer is not a JSON object' : null,
        };
      } catch (error) {
        return bedrockFailure(error, abort.signal.aborted);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function bedrockFailure(error: unknown, timedOut: boolean): ProviderCallOutcome {
  if (timedOut) return { kind: 'transient', status: null, timedOut: true, retryAfterMs: null, error: 'timed out' };
  if (error instanceof BedrockRuntimeServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    if (status === 401 || status === 403) return { kind: 'unauthorised', status };
    const headers = (error.$response as { headers?: Record<string, string> } | undefined)?.headers ?? {};
    if (status === 429 || status >= 500)
      return {
        kind: 'transient',
        status,
        timedOut: false,
        retryAfterMs: retryAfterMs(headers['retry-after']),
        error: `answered ${status} (${error.name})`,
      };
    return { kind: 'failed', status, error: `answered ${status} (${error.name})` };
  }
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 401 || status === 403) return { kind: 'unauthorised', status };
  if (typeof status === 'number' && (status === 429 || status >= 500))
    return { kind: 'transient', status, timedOut: false, retryAfterMs: null, error: `answered ${status}` };
  return {
    kind: 'transient',
    status: status ?? null,
    timedOut: false,
    retryAfterMs: null,
    error: status ? `answered ${status}` : 'connection failed or unreadable answer',
  };
}
