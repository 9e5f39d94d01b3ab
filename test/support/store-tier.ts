// The store-only integration files (ADR 0047): they talk to DynamoDB Local (and the in-process S3 stand-in) through
// tables and stores of their own, and change nothing a module or the process keeps: no `process.env`, no
// `vi.mock`, spies, stubs or fake timers, no local stack or model server, no port of their own choosing. vitest.config.ts
// runs them in the `store` project on workers that share one module graph between files (`isolate: false`), as the
// unit and infra tiers do, instead of a fresh fork and import per file. A file joins by its path here;
// test/unit/store-tier.test.ts reads every file listed for what would leak into the next file of its worker.

/** The folder whose every file belongs (new store files join by being written there). */
export const STORE_FOLDER = 'test/integration/store/';

export const STORE_TIER = [
  `${STORE_FOLDER}**/*.test.ts`,
  'test/integration/api/refused-promotions.test.ts',
  'test/integration/api/samples-api.test.ts',
  'test/integration/audit/audit-fault-injection.test.ts',
  'test/integration/audit/old-data-folder.test.ts',
  'test/integration/audit/organisation-chain.test.ts',
  'test/integration/eval-assertions.test.ts',
  'test/integration/eval-run-names.test.ts',
  'test/integration/eval-submitted-runs.test.ts',
  'test/integration/events/catalogue.test.ts',
  'test/integration/evidence-store.test.ts',
  'test/integration/providers/connections.test.ts',
  'test/integration/s3-standin-presigned.test.ts',
  'test/integration/stream-pump.test.ts',
  'test/integration/workflows/audit-export.test.ts',
  'test/integration/workflows/execution-closed.test.ts',
];
