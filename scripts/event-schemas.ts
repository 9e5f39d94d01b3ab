// Writes the JSON Schemas of governance events to docs/events/schemas/: envelope.json and one <type>.json per event
// type, generated from functions/contracts/events.ts. `--check` exits 1 when the files differ from the code (the
// unit test test/unit/events/schemas-files.test.ts does the same inside `npm test`).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventJsonSchemas } from '../functions/contracts/events.js';

export const SCHEMAS_DIR = fileURLToPath(new URL('../docs/events/schemas/', import.meta.url));

/** The files the schemas directory must hold, by name. */
export function schemaFiles(): Map<string, string> {
  const { envelope, types } = eventJsonSchemas();
  const files = new Map<string, string>([['envelope.json', `${JSON.stringify(envelope, null, 2)}\n`]]);
  for (const [type, schema] of Object.entries(types)) files.set(`${type}.json`, `${JSON.stringify(schema, null, 2)}\n`);
  return files;
}

/** Names of files that are missing, different or not generated (stale). */
export async function differences(dir = SCHEMAS_DIR): Promise<string[]> {
  const wanted = schemaFiles();
  const present = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = present.filter((name) => name.endsWith('.json') && !wanted.has(name));
  for (const [name, content] of wanted) {
    const current = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (current !== content) out.push(name);
  }
  return out;
}

async function main() {
  if (process.argv.includes('--check')) {
    const diff = await differences();
    if (diff.length) {
      console.error(`docs/events/schemas is out of date (${diff.join(', ')}): run npx tsx scripts/event-schemas.ts`);
      process.exit(1);
    }
    console.log('docs/events/schemas is up to date');
    return;
  }
  await mkdir(SCHEMAS_DIR, { recursive: true });
  const wanted = schemaFiles();
  for (const name of await readdir(SCHEMAS_DIR))
    if (name.endsWith('.json') && !wanted.has(name)) await rm(join(SCHEMAS_DIR, name));
  for (const [name, content] of wanted) await writeFile(join(SCHEMAS_DIR, name), content);
  console.log(`wrote ${wanted.size} schemas to docs/events/schemas/`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
