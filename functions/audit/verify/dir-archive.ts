// An archive downloaded to a folder (`aws s3 sync s3://<bucket>/audit ./archive/audit`): keys are paths under it.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { ArchiveStore, PutOutcome } from '../ports.js';

export class DirArchive implements ArchiveStore {
  constructor(readonly root: string) {}

  /** Creates the file unless it exists (benchmarks, tests; an auditor's copy is only read). */
  async putIfAbsent(key: string, body: Uint8Array): Promise<PutOutcome> {
    const file = join(this.root, ...key.split('/'));
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(file, body, { flag: 'wx' });
      return 'created';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (key.split('/').includes('..')) return undefined;
    try {
      return await readFile(join(this.root, ...key.split('/')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    // Every key here is under a folder prefix ('.../'): read that folder (recursively) and sort the keys as S3 does.
    const slash = prefix.lastIndexOf('/');
    const folder = prefix.slice(0, slash + 1);
    let names: string[];
    try {
      names = (
        await readdir(join(this.root, ...folder.split('/').filter(Boolean)), { recursive: true, withFileTypes: true })
      )
        .filter((d) => d.isFile())
        .map((d) => {
          const base = join(this.root, ...folder.split('/').filter(Boolean));
          const rel = join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(base.length + 1);
          return folder + rel.split(sep).join('/');
        });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const keys = names.filter((k) => k.startsWith(prefix) && (!startAfter || k > startAfter)).sort();
    yield* keys;
  }

  async listFolders(prefix: string): Promise<string[]> {
    try {
      const entries = await readdir(join(this.root, ...prefix.split('/').filter(Boolean)), { withFileTypes: true });
      return entries
        .filter((d) => d.isDirectory())
        .map((d) => `${prefix}${d.name}/`)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
