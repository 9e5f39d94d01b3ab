// The rubric port of llm-rubric assertions (issue 17, ADR 0036): one judge config version grades one output. The
// judge config, the model config it calls and that config's pinned connection versions are read once per run (one
// port per run); each call renders the rubric prompt, calls the judge's model through the provider executor
// (connections, limits, retries, structured output in the judge's output schema) and reads the answer with the
// domain's rules (functions/domain/judges.ts). A judge that cannot be loaded, is not approved, fails, times out or
// answers outside its schema fails that one case with the reason: the port never throws for a case.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/hashing.js';
import { failedVerdict, type RubricVerdict, rubricVerdict } from '../domain/judges.js';
import {
  type ConnectionPin,
  type ProviderConnectionVersion,
  pinnedConnections,
} from '../domain/provider-connections.js';
import type { JudgeConfigVersion, ModelConfigVersion } from '../domain/types.js';
import { executeProviderCase, type ProviderRuntime } from './providers/executor.js';

/** What the port reads of the registry (the store's artefacts and provider connections). */
export interface JudgeSource {
  judgeConfig(id: string): Promise<JudgeConfigVersion>;
  modelConfig(id: string): Promise<ModelConfigVersion>;
  connectionVersions(
    pins: readonly ConnectionPin[],
  ): Promise<{ found: Map<string, ProviderConnectionVersion>; missing: ConnectionPin[] }>;
}

/** One llm-rubric check: the judge config VERSION, the assertion's criterion, the case's input and the output. */
interface RubricRequest {
  judge: string;
  rubric: string;
  input: unknown;
  output: unknown;
}

export type RubricPort = (request: RubricRequest) => Promise<RubricVerdict>;

interface LoadedJudge {
  judge: JudgeConfigVersion;
  modelConfig: ModelConfigVersion;
  connections: Map<string, ProviderConnectionVersion>;
}

type Loading = { ok: true; loaded: LoadedJudge } | { ok: false; reason: string };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function load(source: JudgeSource, id: string): Promise<Loading> {
  try {
    const judge = await source.judgeConfig(id);
    if (judge.status !== 'approved') {
      return { ok: false, reason: `judge config ${id} is ${judge.status}, not approved: it cannot grade` };
    }
    const modelConfig = await source.modelConfig(judge.modelConfigId);
    const { found, missing } = await source.connectionVersions(pinnedConnections(modelConfig.routingPolicy.routes));
    if (missing.length > 0) {
      const names = missing.map((m) => `${m.id} v${m.version}`).join(', ');
      return { ok: false, reason: `judge config ${id}: no provider connection version ${names}` };
    }
    return { ok: true, loaded: { judge, modelConfig, connections: found } };
  } catch (error) {
    return { ok: false, reason: `judge config ${id} could not be loaded: ${messageOf(error)}` };
  }
}

/** The text a placeholder receives: strings as they are, anything else as JSON. */
const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null));

/**
 * A rubric port for one run: judges are loaded on first use and kept for the run (a judge config version is
 * immutable once approved, so a run's cases are graded by one judge).
 */
export function createRubricPort(source: JudgeSource, runtime: ProviderRuntime): RubricPort {
  const judges = new Map<string, Promise<Loading>>();
  return async ({ judge: id, rubric, input, output }) => {
    let loading = judges.get(id);
    if (!loading) {
      loading = load(source, id);
      judges.set(id, loading);
    }
    const loaded = await loading;
    if (!loaded.ok) return failedVerdict(loaded.reason);
    const { judge, modelConfig, connections } = loaded.loaded;
    const vars = { rubric, input: asText(input), output: asText(output) };
    // The judge's "case id" draws a weighted route: the same grading takes the same route on a rerun.
    const caseId = `judge:${createHash('sha256')
      .update(canonicalJson({ id, ...vars }))
      .digest('hex')}`;
    try {
      const result = await executeProviderCase({
        evalCase: { caseId, input: vars, expectedLabel: null, expectedOutput: null, tags: [] },
        prompt: { template: judge.rubricPrompt, outputContract: judge.outputSchema },
        modelConfig,
        connections,
        runtime,
      });
      if (result.output === null) {
        if (result.timedOut) return failedVerdict(`the judge timed out: ${result.error ?? 'no answer'}`);
        return failedVerdict(`the judge did not answer: ${result.error ?? 'no JSON object'}`);
      }
      return rubricVerdict(judge, result.output);
    } catch (error) {
      // A refused credential fails a run of the candidate's own model; for a judge it fails the case, named.
      return failedVerdict(`the judge's call failed: ${messageOf(error)}`);
    }
  };
}
