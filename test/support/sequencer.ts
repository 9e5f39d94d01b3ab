// The order a run starts its files in. vitest sorts the files of a project by the durations it cached on an
// earlier run, longest first, so a long file does not start last and run alone at the end; a clean clone (CI,
// `.ci/run`) has no such cache, and vitest then keeps the files in the order it found them, which left
// `integration/monitoring/monitoring-actions` (the longest file) starting in the run's last quarter and ending
// it alone. Without a cache for every file of a project, this sequencer starts the files measured longest first,
// in the order below, then the others in vitest's order; with one, it keeps vitest's order (durations measured on
// this machine beat a list). See docs/architecture/testing.md.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files, longest first, from a whole-suite run's per-file walls (docs/architecture/testing.md). A
 * stale entry only moves a file forward; a file missing here starts in vitest's order.
 */
const LONGEST_FIRST = [
  'test/integration/monitoring/monitoring-actions.test.ts',
  'test/integration/store/conditions.test.ts',
  'test/integration/eval-http-executor.test.ts',
  'test/integration/model-cards.test.ts',
  'test/integration/monitoring/rollback-validation.test.ts',
  'test/integration/store/judge-configs.test.ts',
  'test/integration/eval-submitted-runs.test.ts',
  'test/integration/store/concurrency.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/authorization.test.ts',
  'test/integration/store/index-shards.test.ts',
  'test/e2e/ci-script.test.ts',
  'test/integration/dynamodb-local.test.ts',
  'test/e2e/openapi-responses.test.ts',
  'test/e2e/relaxations.test.ts',
  'test/integration/eval-assertions.test.ts',
  'test/integration/eval-state-machine.test.ts',
  'dashboard/src/test/downloads.test.tsx',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const pathOf = (file: TestSpecification) => relative(root, file.moduleId).split('\\').join('/');
    // The key vitest caches a file's results under (its BaseSequencer's).
    const cached = (file: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`) !== undefined;
    const uncached = new Set(base.filter((file) => !cached(file)).map((file) => file.project.name));
    const position = new Map(base.map((file, i) => [file, i]));
    const at = (file: TestSpecification) => position.get(file) ?? 0;
    const rank = (file: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(pathOf(file));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // vitest's order between projects stays; within a project without a full cache the list leads.
    return [...base].sort((a, b) => {
      if (a.project.name !== b.project.name || !uncached.has(a.project.name)) return at(a) - at(b);
      return rank(a) - rank(b) || at(a) - at(b);
    });
  }
}
