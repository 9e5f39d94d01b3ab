// Seeds the demo into a table that holds no system yet; a table that already has one is left alone, so `npm start`
// can call this on every start.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EvidenceStore } from '../functions/store/evidence-store.js';
import { createStore } from '../functions/store/index.js';
import { SeedClock } from './clock.js';
import { type DemoSummary, seedDemo } from './demo.js';

export interface SeedIfEmptyOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Where the demo's simulated eval runs keep their per-case evidence (the local stack's S3 stand-in). */
  evidence: EvidenceStore;
  log?: (line: string) => void;
  /** The clock the seed's history is written with; by default one that starts 21 days ago. */
  clock?: SeedClock;
}

/** Seeds the demo when the table holds no system; returns its summary, or null when the table was not empty. */
export async function seedIfEmpty(options: SeedIfEmptyOptions): Promise<DemoSummary | null> {
  const log = options.log ?? (() => undefined);
  const clock = options.clock ?? new SeedClock();
  const store = createStore({ doc: options.doc, tableName: options.tableName, now: clock.now });
  const existing = await store.systems.listSystems({ limit: 1 });
  if (existing.items.length > 0) {
    log(`seed: table ${options.tableName} already holds systems; the demo is not seeded again`);
    return null;
  }
  log(`seed: seeding the demo into ${options.tableName}, history from ${clock.start.toISOString()}`);
  return seedDemo(store, { evidence: options.evidence, log, clock });
}
