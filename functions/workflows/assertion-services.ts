// The services the assertion scorer borrows from the workflow (functions/domain/eval/assertions.ts): `similarity`
// embeds the output and the reference text through the provider connection version the assertion names, with the
// provider executor's clients (secrets resolved once), allow-list and concurrency limits, and compares them by
// cosine. `rubric` is the judge config's (issue 17, item 2): a composition root passes it in.
import { type AssertionServices, cosineSimilarity } from '../domain/eval/assertions.js';
import { connectionEndpoint, type ProviderConnectionVersion } from '../domain/provider-connections.js';
import type { GovernanceStore } from '../store/index.js';
import { checkTarget } from './http-executor.js';
import { connectionLabel, type ProviderRuntime } from './providers/executor.js';

/** How long one embeddings call may take. */
const EMBEDDING_TIMEOUT_MS = 30_000;

/**
 * `similarity` through the provider executor's runtime: the connection version is read once per process, its
 * endpoint must be on the allow-list, and the call takes a slot of the connection's concurrency limit. Every failure
 * throws with a reason that names the connection, never its secret; the scorer turns it into a failed assertion.
 */
export function similarityThroughConnections(
  store: Pick<GovernanceStore, 'providerConnections'>,
  runtime: ProviderRuntime,
): AssertionServices['similarity'] {
  const versions = new Map<string, Promise<ProviderConnectionVersion>>();
  const versionOf = (pin: { id: string; version: number }) => {
    const key = `${pin.id}#${pin.version}`;
    let found = versions.get(key);
    if (!found) {
      found = store.providerConnections.connectionVersions([pin]).then(({ found: map }) => {
        const version = map.get(key);
        if (!version) throw new Error(`no provider connection version ${pin.id} v${pin.version}`);
        return version;
      });
      // A failed read is not cached: the next case tries again.
      found.catch(() => versions.delete(key));
      versions.set(key, found);
    }
    return found;
  };
  return async ({ connection, model, a, b }) => {
    const version = await versionOf(connection);
    const allowed = checkTarget(connectionEndpoint(version), runtime.allowedHosts);
    if (!allowed.ok) throw new Error(`provider connection ${connectionLabel(version)}: ${allowed.reason}`);
    const client = await runtime.clientFor(version);
    const embed = client.embed?.bind(client);
    if (!embed)
      throw new Error(`provider connection ${connectionLabel(version)} (${version.provider}) has no embeddings`);
    const [va, vb] = await runtime.limiter.run(`${version.id}#${version.version}`, version.concurrencyLimit, () =>
      embed({ model, inputs: [a, b], timeoutMs: EMBEDDING_TIMEOUT_MS }),
    );
    if (!va || !vb) throw new Error('the embeddings answer has the wrong number of vectors');
    return cosineSimilarity(va, vb);
  };
}

/**
 * The services a batch scores with: those the composition root passed, and `similarity` through the provider runtime
 * when it passed none and the process has one.
 */
export function assertionServicesFor(
  store: Pick<GovernanceStore, 'providerConnections'>,
  given: Partial<AssertionServices> | undefined,
  runtime: ProviderRuntime | undefined,
): Partial<AssertionServices> {
  const services: Partial<AssertionServices> = { ...given };
  if (!services.similarity && runtime) services.similarity = similarityThroughConnections(store, runtime);
  return services;
}
