#!/usr/bin/env node
// `npx govern` in the repository: runs the CLI from its TypeScript source through tsx (a dev dependency).
// Pipelines use the bundle instead (`npm run build:cli` -> cli/dist/govern.mjs), which needs nothing but Node.
import { register } from 'tsx/esm/api';

register();
await import('../main.ts');
