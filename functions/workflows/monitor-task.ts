import { storeFromEnv } from '../store/store-from-env.js';
import { type MonitoringSummary, runMonitoring } from './monitor.js';

/** Runs monitoring once; the summary is the result (visible in the scheduler's and the function's logs). */
export async function handler(): Promise<MonitoringSummary> {
  const store = storeFromEnv(process.env);
  const summary = await runMonitoring(store, { log: (line) => console.log(line) });
  console.log(JSON.stringify({ monitoring: summary.counts }));
  // A failed monitoring pass (some release could not be judged) should be visible to alarms on errors.
  if (summary.counts.error > 0) throw new Error(`monitoring could not judge ${summary.counts.error} release(s)`);
  return summary;
}
