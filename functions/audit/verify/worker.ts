// A verifier worker: checks batch objects (hashing every line) and sends back their hashes and roots.
import { parentPort } from 'node:worker_threads';
import { verifyBatch } from './fast-batch.js';
import type { BatchJob } from './pool.js';

parentPort?.on('message', (job: BatchJob) => {
  const result = verifyBatch(new Uint8Array(job.bytes), job.expect, job.strict);
  if (result.ok) {
    // Copies only when the buffers are slices of Node's pool (small batches); otherwise handed over whole.
    const own = (b: Buffer) =>
      b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : new Uint8Array(b).buffer;
    const hashes = own(result.hashes);
    const leaves = own(result.leaves);
    parentPort?.postMessage({ id: job.id, result: { ...result, hashes, leaves } }, [hashes, leaves]);
  } else {
    parentPort?.postMessage({ id: job.id, result });
  }
});
