// Batch checks on worker threads, one per core: hashing dominates verification, and batches are independent.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type BatchCheck, type BatchExpectation, checkBatch } from '../batch-codec.js';

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
    check: async (bytes, expect, strict) => checkBatch(bytes, expect, strict),
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
  let turn = 0;
  const workers = Array.from({ length: Math.max(1, size) }, () => {
    const worker = new Worker(boot, { workerData: { entry } });
    worker.on('message', ({ id, result }: { id: number; result: WireCheck }) => {
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
        // A copy the worker owns (transferred, not cloned); the caller's buffer may be a slice of a larger one.
        const owned = new Uint8Array(bytes).buffer;
        const worker = workers[turn++ % workers.length] as Worker;
        worker.postMessage({ id, bytes: owned, expect, strict } satisfies BatchJob, [owned]);
      }),
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
