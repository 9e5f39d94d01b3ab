// The single table, built from the same definition as DynamoDB Local (functions/store/table-definition.ts), plus
// what only AWS has: point-in-time recovery, deletion protection and a customer-managed key.
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { createTableInput, TTL_ATTRIBUTE } from '../../functions/store/table-definition.js';

export interface GovernanceTableProps {
  tableName: string;
  deletionProtection: boolean;
}

type TableInput = ReturnType<typeof createTableInput>;

/** The key attribute of a key schema, typed as the definition declares it. */
function keyOf(
  input: TableInput,
  schema: ReadonlyArray<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>,
  type: 'HASH' | 'RANGE',
) {
  const name = schema.find((key) => key.KeyType === type)?.AttributeName;
  const definition = input.AttributeDefinitions.find((attribute) => attribute.AttributeName === name);
  if (!name || !definition) throw new Error(`the table definition has no ${type} key`);
  const types = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
  return { name, type: types[definition.AttributeType] };
}

export class GovernanceTable extends Construct {
  readonly table: Table;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: GovernanceTableProps) {
    super(scope, id);
    const input = createTableInput(props.tableName);

    this.key = new Key(this, 'Key', {
      description: `Encrypts the governance table ${props.tableName}, its indexes, stream and backups`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new Table(this, 'Table', {
      tableName: input.TableName,
      partitionKey: keyOf(input, input.KeySchema, 'HASH'),
      sortKey: keyOf(input, input.KeySchema, 'RANGE'),
      billingMode: input.BillingMode === 'PAY_PER_REQUEST' ? BillingMode.PAY_PER_REQUEST : BillingMode.PROVISIONED,
      stream: StreamViewType[input.StreamSpecification.StreamViewType],
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of input.GlobalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: keyOf(input, index.KeySchema, 'HASH'),
        sortKey: keyOf(input, index.KeySchema, 'RANGE'),
        projectionType: ProjectionType[index.Projection.ProjectionType],
      });
    }
  }
}
