// Every data migration, in the order they run (functions/store/migrations/index.ts). Append; never reorder or remove
// one that has shipped: a table records each id it has run.
import { shardIndexPartitions } from './0001-shard-index-partitions.js';
import type { Migration } from './index.js';

export const MIGRATIONS: readonly Migration[] = [shardIndexPartitions];
