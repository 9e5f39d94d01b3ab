// Moves items out of the organisation-wide index partitions the store wrote before they were sharded
// (docs/adr/0020-sharded-index-partitions.md): each item's index key is rewritten to its shard, `<old>#<n>`, n from
// the id in its table key (the system's for an audit event) as functions/store/keys.ts computes it for new writes.
// Approval records lose the gsi1 keys no list read, and pending records of closed rounds leave the queue.
//
// It reads the old partitions by Query (never a Scan) and rewrites each item under a condition that it is still in
// the old partition, so a write of today's code in between wins and a second run finds nothing left: idempotent, and
// resumable after a crash (what is left is what the Queries find). Audit items are only re-keyed: the archiver and
// the event publisher take audit items from INSERT records, so these MODIFY records publish and archive nothing again.
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { APPROVAL_STATUSES, INCIDENT_STATUSES } from '../../domain/types.js';
import { shardedPartition } from '../keys.js';
import type { Migration, MigrationContext } from './index.js';

/** One partition the old layout wrote: on which index, and what becomes of its items. */
interface OldPartition {
  index: 'gsi1' | 'gsi2';
  partition: string;
  /** `shard`: into `<partition>#<n>`; `drop`: the index keys are removed (no list reads them). */
  to: 'shard' | 'drop';
}

/** Every organisation-wide partition as the store wrote them before the shards (the layout of that code, fixed). */
const OLD_PARTITIONS: readonly OldPartition[] = [
  { index: 'gsi1', partition: 'AUDIT', to: 'shard' },
  { index: 'gsi1', partition: 'SYSTEMS', to: 'shard' },
  { index: 'gsi1', partition: 'APPROVALS', to: 'drop' },
  ...(['PV', 'MC', 'DS', 'RC', 'RUN', 'RUNQ#unfinished', 'INCCLOCK#open'] as const).map((partition) => ({
    index: 'gsi2' as const,
    partition,
    to: 'shard' as const,
  })),
  ...APPROVAL_STATUSES.map((status) => ({ index: 'gsi2' as const, partition: `APRQ#${status}`, to: 'shard' as const })),
  { index: 'gsi2', partition: 'APRQ#closed', to: 'drop' },
  ...INCIDENT_STATUSES.map((status) => ({ index: 'gsi2' as const, partition: `INC#${status}`, to: 'shard' as const })),
];

/** Items rewritten at once: DynamoDB Local and a table on demand both take this comfortably. */
const PARALLEL_UPDATES = 25;

/** The id an item's shard follows: the one in its table key (`SYS#<id>#AUDIT`, `RC#<id>`, `INC#<id>` ...). */
function shardIdOf(item: Record<string, unknown>): string {
  return String(item.pk).split('#')[1] ?? '';
}

async function moveItem(context: MigrationContext, old: OldPartition, item: Record<string, unknown>): Promise<boolean> {
  const pkName = `${old.index}pk`;
  const skName = `${old.index}sk`;
  try {
    await context.doc.send(
      new UpdateCommand({
        TableName: context.tableName,
        Key: { pk: item.pk, sk: item.sk },
        ...(old.to === 'shard'
          ? {
              UpdateExpression: 'SET #ipk = :new',
              ExpressionAttributeValues: {
                ':old': old.partition,
                ':new': shardedPartition(old.partition, shardIdOf(item)),
              },
              ExpressionAttributeNames: { '#ipk': pkName },
            }
          : {
              UpdateExpression: 'REMOVE #ipk, #isk',
              ExpressionAttributeValues: { ':old': old.partition },
              ExpressionAttributeNames: { '#ipk': pkName, '#isk': skName },
            }),
        ConditionExpression: '#ipk = :old',
      }),
    );
    return true;
  } catch (error) {
    // Today's code wrote the item meanwhile (or the index answered a moment late): it is in the new shape already.
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

async function drain(context: MigrationContext, old: OldPartition): Promise<number> {
  let changed = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await context.doc.send(
      new QueryCommand({
        TableName: context.tableName,
        IndexName: old.index,
        KeyConditionExpression: '#ipk = :old',
        ExpressionAttributeNames: { '#ipk': `${old.index}pk` },
        ExpressionAttributeValues: { ':old': old.partition },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: start,
      }),
    );
    const items = out.Items ?? [];
    for (let i = 0; i < items.length; i += PARALLEL_UPDATES) {
      const moved = await Promise.all(items.slice(i, i + PARALLEL_UPDATES).map((item) => moveItem(context, old, item)));
      changed += moved.filter(Boolean).length;
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return changed;
}

export const shardIndexPartitions: Migration = {
  id: '0001-shard-index-partitions',
  description: 'moves items of the organisation-wide index partitions into their shards',
  async run(context) {
    let changed = 0;
    for (const old of OLD_PARTITIONS) {
      const moved = await drain(context, old);
      if (moved)
        context.log(`  ${old.index} ${old.partition}: ${moved} items ${old.to === 'shard' ? 'sharded' : 'unindexed'}`);
      changed += moved;
    }
    return { changed };
  },
};
