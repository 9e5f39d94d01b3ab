// A verifier worker: checks batch objects (hashing every line) and sends back their hashes and roots.
import { parentPort } from 'node:worker_threads';
import { checkBatch } from '../batch-codec.js';
import type { BatchJob } from './pool.js';

parentPort?.on('message', (job: BatchJob) => {
  const result = checkBatch(new Uint8Array(job.bytes), job.expect, job.strict);
  if (result.ok) {
    const hashes = new Uint8Array(result.hashes).buffer;
    const leaves = new Uint8Array(result.leaves).buffer;
    parentPort?.postMessage({ id: job.id, result: { ...result, hashes, leaves } }, [hashes, leaves]);
  } else {
    parentPort?.postMessage({ id: job.id, result });
  }
});
