// `npm run test:browser`: the dashboard in real Chromium (playwright-core, /usr/bin/chromium) against a local stack
// each test file starts itself (DynamoDB Local in memory, the seeded demo, the built dashboard).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
