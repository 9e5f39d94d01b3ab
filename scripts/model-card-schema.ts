// Writes docs/schemas/model-card.schema.json, the model card's JSON Schema generated from its zod contract
// (functions/contracts/model-card.ts), as GET /api/schemas/model-card.json serves it. `--check` exits 1 when the
// committed file differs; test/unit/domain/model-card-schema.test.ts does the same inside `npm test`.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { modelCardJsonSchema } from '../functions/contracts/model-card.js';

export const MODEL_CARD_SCHEMA_FILE = fileURLToPath(new URL('../docs/schemas/model-card.schema.json', import.meta.url));

/** The schema as the committed file holds it. */
export function renderModelCardSchema(): string {
  return `${JSON.stringify(modelCardJsonSchema(), null, 2)}\n`;
}

async function main(): Promise<void> {
  const expected = renderModelCardSchema();
  if (process.argv.includes('--check')) {
    const actual = await readFile(MODEL_CARD_SCHEMA_FILE, 'utf8').catch(() => '');
    if (actual !== expected) {
      console.error('docs/schemas/model-card.schema.json is stale: run `npx tsx scripts/model-card-schema.ts`');
      process.exit(1);
    }
    console.log('docs/schemas/model-card.schema.json matches functions/contracts/model-card.ts');
    return;
  }
  await writeFile(MODEL_CARD_SCHEMA_FILE, expected);
  console.log('wrote docs/schemas/model-card.schema.json');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
