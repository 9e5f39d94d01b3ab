// Worker entry: under tsx (the CLI, tests) it registers the TypeScript loader first, since Node 20 workers do not
// inherit the parent's loader hooks; a bundled build points `entry` at JavaScript and skips it.
import { workerData } from 'node:worker_threads';

if (String(workerData.entry).endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
