// How every function is bundled, as plain data: the function construct passes it to NodejsFunction and
// bench/bundles.ts passes the same values to esbuild, so the benchmark measures what is deployed.

/** Lambda's nodejs22.x runtime; esbuild targets the same Node version. */
const NODE_TARGET = 'node22';

/**
 * Modules left out of every bundle: none. The AWS SDK is bundled rather than taken from the nodejs22.x runtime, for
 * the version the tests ran against and a faster cold start than loading the runtime's CommonJS SDK (ADR 0004).
 */
const EXTERNAL_MODULES: string[] = [];
const BUNDLE_AWS_SDK = true;

/** ESM output needs `require` for the CommonJS dependencies that call it for Node built-ins. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Prefer packages' ES module builds, which tree-shake. */
const MAIN_FIELDS = ['module', 'main'];

export const BUNDLING = {
  minify: true,
  format: 'esm',
  target: NODE_TARGET,
  platform: 'node',
  sourceMap: true,
  /** The map points at files by path; the sources themselves stay out of the deployed asset. */
  sourcesContent: false,
  mainFields: MAIN_FIELDS,
  banner: ESM_REQUIRE_BANNER,
  externalModules: EXTERNAL_MODULES,
  bundleAwsSdk: BUNDLE_AWS_SDK,
  /** Set on every function: stack traces point at the TypeScript sources (costs ~15% of cold import, ADR 0004). */
  nodeOptions: '--enable-source-maps',
} as const;
