// The policy's `monitoring.samples` settings with their defaults (ADR 0042): apart from the scoring, so that what
// only reads the settings (the loosening rules, the store through them) does not reach the assertions and ajv.
import type { MonitoringPolicy } from './policy.js';

/** The sample monitoring settings of the policy (`monitoring.samples`), defaults filled in. */
export interface SampleMonitoringPolicy {
  /** Hours back from the pass that the window covers. */
  windowHours: number;
  /** Fewer samples in the window and the run says so and does not judge or act. */
  minSamples: number;
  /** How far an assertion's pass rate may drop below the approval-time run's (absolute, 0..1). */
  tolerance: number;
  /** At most this many samples (the newest) are scored per window. */
  maxSamples: number;
}

const DEFAULT_SAMPLE_MONITORING: SampleMonitoringPolicy = Object.freeze({
  windowHours: 24,
  minSamples: 50,
  tolerance: 0.1,
  maxSamples: 2_000,
});

/** The policy's sample settings, or the defaults. */
export function sampleMonitoringOf(policy: Pick<MonitoringPolicy, 'samples'>): SampleMonitoringPolicy {
  return { ...DEFAULT_SAMPLE_MONITORING, ...(policy.samples ?? {}) };
}
