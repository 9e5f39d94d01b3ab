// The provider executor's process-wide parts, built once by a composition root: one SDK client per connection
// version (its secret read once through the SecretResolver; the client is rebuilt when the secret changes) and one
// concurrency limiter shared by every batch this process runs.
import type { ProviderConnectionVersion, ProviderKind } from '../../domain/provider-connections.js';
import { anthropicClient } from './anthropic.js';
import { bedrockClient } from './bedrock.js';
import type { ProviderRuntime } from './executor.js';
import { type ConnectionLimiter, createConnectionLimiter } from './limiter.js';
import { openaiClient } from './openai.js';
import type { SecretResolver } from './secrets.js';
import type { ProviderClient, ProviderClientFactory } from './types.js';

/** The official SDK of each provider. */
const PROVIDER_CLIENTS: Readonly<Record<ProviderKind, ProviderClientFactory>> = {
  openai: openaiClient,
  anthropic: anthropicClient,
  bedrock: bedrockClient,
};

export interface ProviderRuntimeOptions {
  resolveSecret: SecretResolver;
  allowedHosts: readonly string[];
  limiter?: ConnectionLimiter;
  clients?: Partial<Record<ProviderKind, ProviderClientFactory>>;
  sleep?: (ms: number) => Promise<void>;
}

export function createProviderRuntime(options: ProviderRuntimeOptions): ProviderRuntime & {
  /** Reads every connection's secret once, so a missing one fails the run before any case is called. */
  check: (connections: Iterable<ProviderConnectionVersion>) => Promise<void>;
} {
  const clients = new Map<string, { secret: string | null; client: ProviderClient }>();
  const clientFor = async (connection: ProviderConnectionVersion) => {
    const secret = await options.resolveSecret(connection);
    const key = `${connection.id}#${connection.version}`;
    const cached = clients.get(key);
    if (cached && cached.secret === secret) return cached.client;
    const factory = options.clients?.[connection.provider] ?? PROVIDER_CLIENTS[connection.provider];
    const client = factory(connection, secret);
    clients.set(key, { secret, client });
    return client;
  };
  return {
    clientFor,
    limiter: options.limiter ?? createConnectionLimiter(),
    allowedHosts: options.allowedHosts,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    async check(connections) {
      for (const connection of connections) await clientFor(connection);
    },
  };
}
