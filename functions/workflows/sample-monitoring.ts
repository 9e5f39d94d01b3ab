// Post-market monitoring on production traffic (issue 17, item 4; ADR 0042): a release's window of posted samples is
// scored with its label-free assertions in the monitoring pass (the outputs exist already: nothing is executed, so
// no state machine is needed), recorded as a monitoring eval run, and handed to the continuation every monitoring
// run has (monitor.ts recordMonitoringRun), judged against the approval-time run's `assert.*` metrics. Too few
// samples: the pass says so and nothing is written or done.
import type { AssertionServices } from '../domain/eval/assertions.js';
import type { MonitoringPolicy } from '../domain/policy.js';
import {
  type SampleMonitoringPolicy,
  sampleAssertions,
  sampleJudgingPolicy,
  sampleMonitoringOf,
  sampleWindow,
  scoreSampleWindow,
} from '../domain/sample-scoring.js';
import type { EvalRun } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import type { CheckRunOutcome } from '../store/monitoring.js';
import { assertionServicesFor } from './assertion-services.js';
import { MONITOR_ACTOR } from './check-run.js';
import type { ProviderRuntime } from './providers/executor.js';

export type SampleWindowRun =
  /** Samples exist but the window cannot be judged (too few, nothing to score them with): said, not acted upon. */
  | { status: 'skipped'; samples: number; note: string }
  /** A recorded monitoring run and its scores, to be judged under `judgePolicy` by the continuation. */
  | {
      status: 'scored';
      run: EvalRun;
      outcome: CheckRunOutcome;
      judgePolicy: (policy: MonitoringPolicy) => MonitoringPolicy;
      note: string;
    };

function describeWindow(n: number, settings: SampleMonitoringPolicy): string {
  return `${n} production sample${n === 1 ? '' : 's'} in the last ${settings.windowHours} h`;
}

/**
 * Scores the window of samples of `releaseId` (the policy in force says the window, the minimum and the maximum),
 * or says why it does not; null when the release has no sample in the window (it is not sample-monitored).
 */
export async function scoreSampleWindowRun(
  store: GovernanceStore,
  input: { systemId: string; releaseId: string; services: Partial<AssertionServices>; providers?: ProviderRuntime },
): Promise<SampleWindowRun | null> {
  const policy = await store.policies.systemPolicy(input.systemId);
  const settings = sampleMonitoringOf(policy.monitoring);
  const window = sampleWindow(store.ctx.now(), settings.windowHours);
  const samples = await store.samples.samplesInWindow(input.systemId, input.releaseId, window, settings.maxSamples);
  if (samples.length === 0) return null;
  const seen = describeWindow(samples.length, settings);
  if (samples.length < settings.minSamples) {
    return {
      status: 'skipped',
      samples: samples.length,
      note: `${seen}, fewer than the ${settings.minSamples} the policy needs: not judged, nothing done`,
    };
  }
  const release = await store.candidates.getCandidate(input.releaseId);
  // The release's own pinned judges grade llm-rubric (ADR 0039), through the process's provider runtime when it has one.
  const services = assertionServicesFor(store, input.services, input.providers, release);
  const datasets = await Promise.all(release.datasetIds.map((id) => store.datasets.getDataset(id)));
  const { assertions, skipped } = sampleAssertions(datasets, { judge: services.rubric !== undefined });
  const left = skipped.length > 0 ? `; not scored: ${skipped.join(', ')}` : '';
  if (assertions.length === 0) {
    return {
      status: 'skipped',
      samples: samples.length,
      note: `${seen}, but the release's datasets define no named assertion a sample can be scored with${left}`,
    };
  }
  const names = [...new Set(assertions.map((a) => a.name as string))].sort();
  const score = await scoreSampleWindow(samples, assertions, services);
  const run = await store.samples.startSampleRun(MONITOR_ACTOR, {
    candidateId: input.releaseId,
    window,
    samples: samples.length,
    assertions: names,
  });
  const outcome: CheckRunOutcome = {
    // The run's status says whether every sample passed its assertions; the verdict (drift) is the continuation's.
    passed: score.failures.length === 0,
    metrics: score.metrics,
    slices: [],
    thresholdVerdicts: [],
    failureReasons: score.failures,
  };
  return {
    status: 'scored',
    run,
    outcome,
    judgePolicy: (monitoring) => sampleJudgingPolicy(monitoring, names),
    note: `${seen}, scored with ${names.join(', ')}${left}`,
  };
}
