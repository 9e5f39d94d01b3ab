import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';
import { STORE_TIER } from './test/support/store-tier.js';

// Tiers (docs/architecture/testing.md): `unit` is pure code (no DynamoDB Local, no Java, no CDK) and runs with
// `npm run test:unit`; `infra` is the CDK assertion tests (synthesis, cdk-nag; offline) with `npm run test:infra`;
// `stack` (integration, e2e, and the one infra test that reads a table) shares the run's DynamoDB Locals and one
// seeded demo template, both started by its global setup; `store` is the store-only part of the integration files,
// on the same DynamoDB Locals, with a shared module graph per worker (ADR 0047). `npm test` runs all four.
const STACK_TIER = ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/infra/report-bundling.test.ts'];

/** What the two DynamoDB Local projects share: one global setup (its JVMs and seed start once for both). */
const DYNAMO_TIER = {
  globalSetup: ['test/global-setup.ts'],
  setupFiles: ['test/support/worker-dynamo.ts'],
  // Bounded, but generous enough for a loaded machine (two suites side by side on 2 cores): a stack test
  // waits on conditions, so a slow machine makes it slow, not wrong.
  testTimeout: 120_000,
  hookTimeout: 300_000,
};

export default defineConfig({
  test: {
    environment: 'node',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // vitest's default on 2 cores is one worker; the stack tier waits on I/O (DynamoDB Local, HTTP), so three
    // forks keep both cores busy (measured in docs/architecture/testing.md).
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The longest files start first on a clean clone too (vitest orders by its cache of durations, which a fresh
    // checkout lacks), so the run does not end on one long file (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts'],
      thresholds: {
        'functions/domain/**': { lines: 95 },
        lines: 80,
      },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // The pure tier holds no module state between files worth a fresh module graph each: sharing it saves
          // most of the import time.
          isolate: false,
          include: ['test/unit/**/*.test.ts', 'dashboard/src/**/*.test.tsx'],
          exclude: ['node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          // Shared module graph as in `unit`: the files of one worker also share the synthesised dev app
          // (test/support/dev-app.ts) and pay for importing aws-cdk-lib once.
          isolate: false,
          include: ['test/infra/**/*.test.ts'],
          exclude: ['test/infra/report-bundling.test.ts', 'node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'store',
          // One module graph per worker across these files (ADR 0047): each file makes its own tables and stores.
          isolate: false,
          include: STORE_TIER,
          exclude: ['node_modules/**'],
          ...DYNAMO_TIER,
        },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: STACK_TIER,
          exclude: [...STORE_TIER, 'node_modules/**'],
          ...DYNAMO_TIER,
        },
      },
    ],
  },
});
