// Every data migration, in the order they run (functions/store/migrations/index.ts). Append; never reorder or remove
// one that has shipped: a table records each id it has run. The context type is what the composition root must
// provide to all of them (today the table and the cipher of webhook secrets). In AWS the table-only ones run in the
// migrations function (functions/workflows/migrate-task.ts) and the webhook one in the dispatcher.
import { shardIndexPartitions } from './0001-shard-index-partitions.js';
import { openIncidentsBySeverity } from './0003-open-incidents-by-severity.js';
import { policyGenesisMigration } from './0004-policy-genesis.js';
import { encryptWebhookSecrets, type WebhookSecretsMigrationContext } from './encrypt-webhook-secrets.js';
import type { Migration } from './index.js';

export const MIGRATIONS: readonly Migration<WebhookSecretsMigrationContext>[] = [
  shardIndexPartitions,
  encryptWebhookSecrets,
  openIncidentsBySeverity,
  policyGenesisMigration,
];
