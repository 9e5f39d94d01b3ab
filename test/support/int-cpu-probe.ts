// A measuring aid, not a test: an extra setup file of the stack tier (test/support/int-probe.config.ts) that writes,
// per test file, the CPU the file's worker spent (with the children it waited for, from /proc/self/stat) and the CPU
// its DynamoDB Local's JVM spent meanwhile (from /proc/<pid>/stat), from the file's start (after the seed wait) to
// its end. Load-independent enough to compare two versions of a file on one machine (docs/architecture/testing.md).
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';

const TICKS = 100; // USER_HZ on Linux

function cpuOf(pid: number | 'self'): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[11..14] are utime, stime, cutime, cstime (stat fields 14 to 17)
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0) / TICKS;
}

function jvmOf(endpoint: string | undefined): number | undefined {
  const port = endpoint ? new URL(endpoint).port : undefined;
  if (!port) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('-port');
      if (args[0]?.includes('java') && at >= 0 && args[at + 1] === port) return Number(entry);
    } catch {
      // a process that ended while listed
    }
  }
  return undefined;
}

const out = process.env.CPU_PROBE_OUT ?? '/tmp/cpu-probe.jsonl';
// Taken when this setup file runs: after the tier's setup file waited for the seed, before the test file's imports.
const jvm = jvmOf(process.env.DYNAMO_ENDPOINT);
const start = { worker: cpuOf('self'), jvm: jvm ? cpuOf(jvm) : 0, wall: performance.now() };

// Per test, from this file's beforeEach (before the test file's own) to its afterEach (after the file's own).
const tests: [string, number][] = [];
let testStart = 0;
const both = () => cpuOf('self') + (jvm ? cpuOf(jvm) : 0);
beforeEach(() => {
  testStart = both();
});
afterEach(({ task }) => {
  tests.push([task.name.slice(0, 60), Number((both() - testStart).toFixed(2))]);
});

afterAll(() => {
  const worker = cpuOf('self') - start.worker;
  const jvmCpu = jvm ? cpuOf(jvm) - start.jvm : Number.NaN;
  const line = {
    file: expect.getState().testPath ?? 'unknown',
    worker: Number(worker.toFixed(2)),
    jvm: Number(jvmCpu.toFixed(2)),
    total: Number((worker + jvmCpu).toFixed(2)),
    wall: Number(((performance.now() - start.wall) / 1000).toFixed(1)),
    tests,
  };
  appendFileSync(out, `${JSON.stringify(line)}\n`);
});
