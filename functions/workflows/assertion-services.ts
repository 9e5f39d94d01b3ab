// The services the assertion scorer borrows from the workflow (functions/domain/eval/assertions.ts): `similarity`
// embeds the output and the reference text through the provider connection version the assertion names, with the
// provider executor's clients (secrets resolved once), allow-list and concurrency limits, and compares them by
// cosine. `rubric` grades through the judge configs the run's candidate pins in its snapshot, and only those, each
// through the provider runtime of its own model config (judges.ts, ADR 0039).
import { type AssertionServices, cosineSimilarity } from '../domain/eval/assertions.js';
import { unpinnedJudgeReason } from '../domain/judges.js';
import { connectionEndpoint, type ProviderConnectionVersion } from '../domain/provider-connections.js';
import type { ReleaseCandidate } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import { checkTarget } from './allowed-hosts.js';
import { createRubricPort, type JudgeSource } from './judges.js';
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
 * What the rubric port reads: a judge config version only when `candidate` pins it with the same content hash (a
 * newer version of the judge, or one the snapshot does not name, fails its cases with the reason), the model config
 * it calls and that config's connection versions.
 */
function pinnedJudgeSource(
  store: Pick<GovernanceStore, 'artefacts' | 'providerConnections'>,
  candidate: Pick<ReleaseCandidate, 'judgeConfigs'>,
): JudgeSource {
  return {
    judgeConfig: async (id) => {
      const before = unpinnedJudgeReason(candidate.judgeConfigs, { id });
      if (before) throw new Error(before);
      const judge = await store.artefacts.getJudgeConfig(id);
      const after = unpinnedJudgeReason(candidate.judgeConfigs, judge);
      if (after) throw new Error(after);
      return judge;
    },
    modelConfig: (id) => store.artefacts.getModelConfig(id),
    connectionVersions: (pins) => store.providerConnections.connectionVersions(pins),
  };
}

/**
 * The services a run scores with: those the composition root passed; else `similarity` through the provider runtime
 * when the process has one, and `rubric` through the judges `candidate` pins, called on the same runtime. Build it
 * once per run (a batch of the same run in the same process reuses it), so each judge is read once.
 */
export function assertionServicesFor(
  store: Pick<GovernanceStore, 'artefacts' | 'providerConnections'>,
  given: Partial<AssertionServices> | undefined,
  runtime: ProviderRuntime | undefined,
  candidate?: Pick<ReleaseCandidate, 'judgeConfigs'>,
): Partial<AssertionServices> {
  const services: Partial<AssertionServices> = { ...given };
  if (!services.similarity && runtime) services.similarity = similarityThroughConnections(store, runtime);
  if (!services.rubric && runtime && candidate)
    services.rubric = createRubricPort(pinnedJudgeSource(store, candidate), runtime);
  return services;
}
