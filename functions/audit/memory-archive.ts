// An archive in memory: tests, the tamper suite, benchmarks. Same semantics as the bucket (put-if-absent, ordered
// listing), plus direct access to the objects so that a test can tamper with them.
import type { ArchiveStore, PutOutcome } from './ports.js';

export class MemoryArchive implements ArchiveStore {
  readonly objects = new Map<string, Buffer>();

  async putIfAbsent(key: string, body: Uint8Array): Promise<PutOutcome> {
    if (this.objects.has(key)) return 'exists';
    this.objects.set(key, Buffer.from(body));
    return 'created';
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (!startAfter || k > startAfter));
    yield* keys.sort();
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const slash = key.indexOf('/', prefix.length);
      if (slash >= 0) folders.add(key.slice(0, slash + 1));
    }
    return [...folders].sort();
  }

  /** A copy whose objects can be changed without touching this one. */
  clone(): MemoryArchive {
    const copy = new MemoryArchive();
    for (const [key, value] of this.objects) copy.objects.set(key, value);
    return copy;
  }
}
