// Seeds the demo into a table that holds no system yet; a table that already has one is left alone, so `npm start`
// can call this on every start.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EvidenceStore } from '../functions/store/evidence-store.js';
import { createStore } from '../functions/store/index.js';
import { SeedClock } from './clock.js';
import { type DemoSummary, seedDemo } from './demo.js';
import { type ProviderDemoOptions, type ProviderDemoSummary, seedProviderDemo } from './provider-demo.js';

export interface SeedIfEmptyOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Where the demo's simulated eval runs keep their per-case evidence (the local stack's S3 stand-in). */
  evidence: EvidenceStore;
  log?: (line: string) => void;
  /** The clock the seed's history is written with; by default one that starts 21 days ago. */
  clock?: SeedClock;
  /** The local model server the provider story evaluates against; without it that story is left out. */
  providerDemo?: ProviderDemoOptions;
}

/** The demo's ids, and the provider story's when it was seeded. */
export type SeededDemo = DemoSummary & { providerDemo?: ProviderDemoSummary };

/** Seeds the demo when the table holds no system; returns its summary, or null when the table was not empty. */
export async function seedIfEmpty(options: SeedIfEmptyOptions): Promise<SeededDemo | null> {
  const log = options.log ?? (() => undefined);
  const clock = options.clock ?? new SeedClock();
  const store = createStore({ doc: options.doc, tableName: options.tableName, now: clock.now });
  const existing = await store.systems.listSystems({ limit: 1 });
  if (existing.items.length > 0) {
    log(`seed: table ${options.tableName} already holds systems; the demo is not seeded again`);
    return null;
  }
  log(`seed: seeding the demo into ${options.tableName}, history from ${clock.start.toISOString()}`);
  const summary: SeededDemo = await seedDemo(store, { evidence: options.evidence, log, clock });
  if (options.providerDemo) {
    const started = Date.now();
    summary.providerDemo = await seedProviderDemo(store, summary, {
      ...options.providerDemo,
      evidence: options.evidence,
      log,
    });
    log(`seed: the provider story took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    log('seed: no local model server given; the provider story is left out');
  }
  return summary;
}
