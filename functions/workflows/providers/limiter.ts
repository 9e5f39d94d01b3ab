// One concurrency limit per connection version in one process: every batch of every run that this process executes
// (the Map's parallel batches run in the same process locally; in AWS each batch is its own Lambda invocation, so
// the limit holds per container and the effective ceiling is the limit times the Map's concurrency, documented in
// docs/architecture/evaluation.md).
export interface ConnectionLimiter {
  /** Runs `fn` when fewer than `limit` calls of `key` are in flight. */
  run<T>(key: string, limit: number, fn: () => Promise<T>): Promise<T>;
  /** The most calls of `key` that were in flight at once (for tests and the benchmark). */
  peak(key: string): number;
}

export function createConnectionLimiter(): ConnectionLimiter {
  const slots = new Map<string, { active: number; peak: number; waiting: (() => void)[] }>();
  const slot = (key: string) => {
    let s = slots.get(key);
    if (!s) {
      s = { active: 0, peak: 0, waiting: [] };
      slots.set(key, s);
    }
    return s;
  };
  return {
    async run(key, limit, fn) {
      const s = slot(key);
      while (s.active >= Math.max(1, limit)) await new Promise<void>((resolve) => s.waiting.push(resolve));
      s.active++;
      s.peak = Math.max(s.peak, s.active);
      try {
        return await fn();
      } finally {
        s.active--;
        s.waiting.shift()?.();
      }
    },
    peak: (key) => slots.get(key)?.peak ?? 0,
  };
}
