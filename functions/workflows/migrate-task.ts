// The data migrations Lambda: runs, in order, the migrations of functions/store/migrations that need only the table
// named by TABLE_NAME and that it has not recorded (operators invoke it after a deploy that brings one,
// docs/runbooks/data-migrations.md). A migration that needs another service runs where that service is granted.
// Each migration is idempotent and resumable, so a run cut off by the function's timeout is finished by the next.
import { createObservability, infoLines, observed } from '../observability/index.js';
import { shardIndexPartitions } from '../store/migrations/0001-shard-index-partitions.js';
import { openIncidentsBySeverity } from '../store/migrations/0003-open-incidents-by-severity.js';
import { policyGenesisMigration } from '../store/migrations/0004-policy-genesis.js';
import { type Migration, runMigrations } from '../store/migrations/index.js';
import { storeFromEnv } from '../store/store-from-env.js';

const { logger, metrics } = createObservability('migrations');

/** The migrations of all.ts that need nothing but the table, in the same order. */
const TABLE_MIGRATIONS: readonly Migration[] = [shardIndexPartitions, openIncidentsBySeverity, policyGenesisMigration];

/** Runs what is pending; answers the ids it ran (none when the table is up to date). */
export const handler = observed(
  async (_event: unknown): Promise<{ ran: string[] }> => {
    const { ctx } = storeFromEnv(process.env);
    const ran = await runMigrations(
      { doc: ctx.doc, tableName: ctx.tableName, log: infoLines(logger) },
      TABLE_MIGRATIONS,
    );
    logger.info('data migrations done', { ran });
    return { ran };
  },
  { logger, metrics, correlationId: () => undefined },
);
