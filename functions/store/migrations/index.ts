// Data migrations of the single table: each changes items written in an older shape into the current one. They run
// in order, each once per table: a marker item (pk MIGRATION, sk its id) is written with a condition after the run
// succeeds, so a run that dies part-way is run again, and every migration must therefore be idempotent (re-running
// it over items already in the new shape changes nothing). `npm start` runs them on an existing .data/ before it
// serves; docs/deploy.md says how they run in AWS.

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/** What a migration gets: the table, and whatever services the composition root provides. */
export interface MigrationContext {
  doc: DynamoDBDocumentClient;
  tableName: string;
  log: (line: string) => void;
}

/** One migration: a stable id (ordered, e.g. `0001-shard-audit-index`), what it does, and the idempotent work. */
export interface Migration<C extends MigrationContext = MigrationContext> {
  id: string;
  description: string;
  /** Changes what is in the old shape; answers how many items it changed. */
  run: (context: C) => Promise<{ changed: number }>;
}

const MARKER_PK = 'MIGRATION';

/** Runs, in order, the migrations this table has not yet recorded; answers the ids it ran. */
export async function runMigrations<C extends MigrationContext>(
  context: C,
  migrations: readonly Migration<C>[],
): Promise<string[]> {
  const ran: string[] = [];
  for (const migration of migrations) {
    const marker = await context.doc.send(
      new GetCommand({
        TableName: context.tableName,
        Key: { pk: MARKER_PK, sk: migration.id },
        ConsistentRead: true,
      }),
    );
    if (marker.Item) continue;
    const started = Date.now();
    const { changed } = await migration.run(context);
    try {
      await context.doc.send(
        new PutCommand({
          TableName: context.tableName,
          Item: {
            pk: MARKER_PK,
            sk: migration.id,
            itemType: 'Migration',
            description: migration.description,
            changed,
            appliedAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Another runner recorded it first: its work and ours were the same idempotent change.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
    context.log(`migration ${migration.id}: ${migration.description} (${changed} items, ${Date.now() - started} ms)`);
    ran.push(migration.id);
  }
  return ran;
}
