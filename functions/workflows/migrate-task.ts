// The data migrations Lambda: runs, in order, the migrations of functions/store/migrations that the table named by
// TABLE_NAME has not recorded (lib/constructs/migrations.ts runs it after each deploy that changes it; operators may
// invoke it again, docs/runbooks/data-migrations.md). Each migration is idempotent and resumable, so a run cut off
// by the function's timeout is finished by the next invocation.

import { createObservability, infoLines, observed } from '../observability/index.js';
import { MIGRATIONS } from '../store/migrations/all.js';
import { runMigrations } from '../store/migrations/index.js';
import { storeFromEnv } from '../store/store-from-env.js';

const { logger, metrics } = createObservability('migrations');

/** Runs what is pending; answers the ids it ran (none when the table is up to date). */
export const handler = observed(
  async (_event: unknown): Promise<{ ran: string[] }> => {
    const { ctx } = storeFromEnv(process.env);
    const ran = await runMigrations({ doc: ctx.doc, tableName: ctx.tableName, log: infoLines(logger) }, MIGRATIONS);
    logger.info('data migrations done', { ran });
    return { ran };
  },
  { logger, metrics, correlationId: () => undefined },
);
