// The single table, defined once: the CDK stateful stack and the local stack both build it from this module.
// Keep this file free of imports so that lib/ can import it without pulling runtime code.

export const DEFAULT_TABLE_NAME = 'governance';

export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Generic GSIs: gsi1 lists children of a parent (versions of a system, runs of a candidate); gsi2 holds queues. */
export const GLOBAL_INDEXES: readonly IndexDefinition[] = [
  { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
];

/** Attribute that expires idempotency records. */
export const TTL_ATTRIBUTE = 'ttl';

/** Item type attribute; the audit archiver's stream filter matches `itemType = audit`. */
export const ITEM_TYPE_ATTRIBUTE = 'itemType';
export const AUDIT_ENTITY_TYPE = 'audit';

/** CreateTable input for DynamoDB Local and tests (on-demand, stream of new images). */
export function createTableInput(tableName: string) {
  const attributes = new Set<string>([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey]);
  for (const index of GLOBAL_INDEXES) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: GLOBAL_INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' as const },
  };
}
