// The table's side of the reconciler: the organisation chain (when its head exists) and the systems from the systems
// GSI's shards (never a Scan), each chain's head from its META item, and a range of a chain by Query on its audit
// partition. The organisation chain's head has no index keys (it is no system), so it is named here explicitly.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AUDIT_HASHED_FIELDS, ORGANISATION_CHAIN_ID } from '../domain/audit-chain.js';
import type { AuditEvent } from '../domain/types.js';
import { keys, queries } from '../store/keys.js';

export interface AuditTableSource {
  /** Every chain of the table: the organisation chain's id first (once its head exists), then every system's. */
  systemIds(): AsyncIterable<string>;
  head(systemId: string): Promise<{ seq: number; hash: string } | undefined>;
  /** Events fromSeq..toSeq in seq order. */
  events(systemId: string, fromSeq: number, toSeq: number): AsyncIterable<AuditEvent>;
}

const seqKey = (seq: number) => keys.auditEvent('x', seq).sk;

export function createTableSource(doc: DynamoDBDocumentClient, tableName: string): AuditTableSource {
  return {
    async *systemIds() {
      const organisation = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.system(ORGANISATION_CHAIN_ID),
          ConsistentRead: true,
          ProjectionExpression: 'pk',
        }),
      );
      if (organisation.Item) yield ORGANISATION_CHAIN_ID;
      // Every shard of the systems index, one after another: the reconciler needs each system once, in no order.
      const { index, shards } = queries.systems();
      for (const partition of shards) {
        let start: Record<string, unknown> | undefined;
        do {
          const out = await doc.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: index,
              KeyConditionExpression: `${index}pk = :pk`,
              ExpressionAttributeValues: { ':pk': partition },
              ProjectionExpression: 'pk',
              ExclusiveStartKey: start,
            }),
          );
          for (const item of out.Items ?? []) {
            const pk = String(item.pk);
            if (pk.startsWith('SYS#')) yield pk.slice(4);
          }
          start = out.LastEvaluatedKey;
        } while (start);
      }
    },
    async head(systemId) {
      const out = await doc.send(
        new GetCommand({ TableName: tableName, Key: keys.system(systemId), ConsistentRead: true }),
      );
      const seq = out.Item?.auditSeq as number | undefined;
      const hash = out.Item?.auditHash as string | undefined;
      return seq && hash ? { seq, hash } : undefined;
    },
    async *events(systemId, fromSeq, toSeq) {
      if (toSeq < fromSeq) return;
      let start: Record<string, unknown> | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': keys.auditPartition(systemId),
              ':from': seqKey(fromSeq),
              ':to': seqKey(toSeq),
            },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          const event: Record<string, unknown> = {};
          for (const field of AUDIT_HASHED_FIELDS) event[field] = item[field] ?? null;
          event.hash = item.hash;
          yield event as unknown as AuditEvent;
        }
        start = out.LastEvaluatedKey;
      } while (start);
    },
  };
}
