// The order a run starts its files in. vitest sorts the files of a project by the durations it cached on an
// earlier run, longest first, so a long file does not start last and run alone at the end; a clean clone (CI,
// `.ci/run`) has no such cache, and vitest then keeps the files in the order it found them, which left
// `integration/monitoring/monitoring-actions` (the longest file) starting in the run's last quarter and ending
// it alone. Without a cache for every file of a project, this sequencer starts the files measured longest first,
// in the order below, then the others in vitest's order; with one, it keeps vitest's order (durations measured on
// this machine beat a list). The `store` and `stack` projects are ordered as one (ADR 0047): vitest puts a run's
// projects one after another by name, which would start the store files, conditions among them, after every stack
// file. See docs/architecture/testing.md.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files, longest first, from the per-file walls of session 25's whole run after its merges (vitest's JSON,
 * docs/architecture/testing.md), over the `stack` and `store` projects together. A stale entry only moves a file
 * forward; a file missing here starts in vitest's order.
 */
const LONGEST_FIRST = [
  'test/e2e/promptfoo.test.ts',
  'test/integration/release-gate.test.ts',
  'test/e2e/policy-dry-runs.test.ts',
  'test/e2e/monitoring-rollback.test.ts',
  'test/integration/monitoring/monitoring.test.ts',
  'test/integration/store/conditions.test.ts',
  'test/e2e/cli.test.ts',
  'test/integration/store/judge-configs.test.ts',
  'test/integration/model-cards.test.ts',
  'test/e2e/release-gate.test.ts',
  'test/integration/providers/cost-controls.test.ts',
  'test/integration/eval-state-machine.test.ts',
  'test/e2e/openapi-responses.test.ts',
  'test/integration/eval-http-executor.test.ts',
  'test/integration/workflows/gate-resume.test.ts',
  'test/e2e/ci-script.test.ts',
  'test/e2e/lifecycle.test.ts',
  'test/integration/store/policies.test.ts',
  'test/e2e/idempotency.test.ts',
  'test/integration/audit/audit-fault-injection.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/cost-controls.test.ts',
  'test/integration/providers/provider-runs.test.ts',
  'test/e2e/eval-runs.test.ts',
  'test/integration/monitoring/rollback-validation.test.ts',
  'test/integration/store/registry-summary.test.ts',
  'test/integration/dynamodb-local.test.ts',
  'test/e2e/relaxations.test.ts',
  'test/integration/store/metric-rollups.test.ts',
  'test/e2e/smoke.test.ts',
  'test/e2e/token-shapes.test.ts',
  'test/integration/store/concurrency.test.ts',
  'test/e2e/production-samples.test.ts',
  'test/integration/judged-runs.test.ts',
];

/**
 * Projects whose files share the run's DynamoDB Locals and are ordered as one: the `store` project holds the
 * store-only integration files the `stack` project held before ADR 0047, and the list's order spans both.
 */
const ORDERED_TOGETHER: Record<string, string> = { store: 'stack' };

/** The files in an order drawn from `seed` (Fisher-Yates over a 32-bit generator): the same seed, the same order. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // A configured sequencer replaces vitest's random one, so `--sequence.shuffle` alone would shuffle the tests of
    // each file and never the files: with a seed (`--sequence.shuffle` sets one; `--sequence.shuffle.files` needs
    // `--sequence.seed=N`) the files run in an order drawn from it, which is what finds a file that leaks into the
    // next file of its worker (ADR 0047).
    const { seed } = this.ctx.config.sequence;
    if (seed !== undefined) return shuffled(files, seed);
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const pathOf = (file: TestSpecification) => relative(root, file.moduleId).split('\\').join('/');
    const groupOf = (file: TestSpecification) => ORDERED_TOGETHER[file.project.name] ?? file.project.name;
    // The key vitest caches a file's results under (its BaseSequencer's).
    const cached = (file: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`) !== undefined;
    const uncached = new Set(base.filter((file) => !cached(file)).map(groupOf));
    const position = new Map(base.map((file, i) => [file, i]));
    const at = (file: TestSpecification) => position.get(file) ?? 0;
    // Where a group's files start in vitest's order (projects come one after another there, by name).
    const groupStart = new Map<string, number>();
    for (const [i, file] of base.entries()) if (!groupStart.has(groupOf(file))) groupStart.set(groupOf(file), i);
    const rank = (file: TestSpecification) => {
      if (!uncached.has(groupOf(file))) return 0;
      const i = LONGEST_FIRST.indexOf(pathOf(file));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // vitest's order between groups stays; within a group without a full cache the list leads.
    const key = (file: TestSpecification) => [groupStart.get(groupOf(file)) ?? 0, rank(file), at(file)];
    return [...base].sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] ?? 0) - (kb[i] ?? 0);
      return 0;
    });
  }
}
