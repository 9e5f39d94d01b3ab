// Batch checks on worker threads, one per core: hashing dominates verification, and batches are independent.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BatchCheck, BatchExpectation } from '../batch-codec.js';
import { verifyBatch } from './fast-batch.js';

export interface BatchJob {
  id: number;
  bytes: ArrayBuffer;
  expect: BatchExpectation;
  strict: boolean;
}

export interface BatchChecker {
  check(bytes: Uint8Array, expect: BatchExpectation, strict: boolean): Promise<BatchCheck>;
  /** How many checks may usefully be in flight. */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** Checks on the calling thread. */
export function inlineChecker(): BatchChecker {
  return {
    parallelism: 1,
    check: async (bytes, expect, strict) => verifyBatch(bytes, expect, strict),
    close: async () => undefined,
  };
}

type WireCheck =
  | (Omit<Extract<BatchCheck, { ok: true }>, 'hashes' | 'leaves'> & { hashes: ArrayBuffer; leaves: ArrayBuffer })
  | Extract<BatchCheck, { ok: false }>;

/** A pool of `size` workers (default: every core). */
export function workerChecker(size = availableParallelism()): BatchChecker {
  const entry = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  const boot = new URL('./worker-boot.mjs', import.meta.url);
  const pending = new Map<number, { resolve: (r: BatchCheck) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  // Each job goes to the worker with the fewest in flight (batches differ in size; workers share cores with others).
  const load: number[] = [];
  const workers = Array.from({ length: Math.max(1, size) }, (_, index) => {
    const worker = new Worker(boot, { workerData: { entry } });
    load[index] = 0;
    worker.on('message', ({ id, result }: { id: number; result: WireCheck }) => {
      load[index] = (load[index] ?? 1) - 1;
      const waiter = pending.get(id);
      pending.delete(id);
      if (!waiter) return;
      waiter.resolve(
        result.ok ? { ...result, hashes: Buffer.from(result.hashes), leaves: Buffer.from(result.leaves) } : result,
      );
    });
    worker.on('error', (error) => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
    return worker;
  });
  return {
    parallelism: workers.length,
    check: (bytes, expect, strict) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        // A copy the worker owns (transferred, not cloned): the caller's buffer may be a slice of a larger one, or an
        // archive's own (an in-memory store), which a transfer would detach. One memcpy per batch is cheap.
        const owned = new Uint8Array(bytes).buffer;
        let index = 0;
        for (let i = 1; i < workers.length; i++) if ((load[i] ?? 0) < (load[index] ?? 0)) index = i;
        load[index] = (load[index] ?? 0) + 1;
        const worker = workers[index] as Worker;
        worker.postMessage({ id, bytes: owned, expect, strict } satisfies BatchJob, [owned]);
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
