// Signed verification statements in the single table (docs/adr/0013-incremental-verification.md): one item per
// system's checkpoint and one for the archive's last full verification, under a partition of their own. A checkpoint
// only moves forward (a conditional put on its digest seq); the statements are signed, so the table's writers can
// delete or spoil one (the route then verifies in full), not forge one.
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ITEM_TYPE_ATTRIBUTE } from '../../store/table-definition.js';
import type { CheckpointStore } from './checkpoint.js';

const PK = 'AUDIT#VERIFICATION';
const ITEM_TYPE = 'audit_verification';

const checkpointKey = (systemId: string) => ({ pk: PK, sk: `CHECKPOINT#${systemId}` });
const fullResultKey = () => ({ pk: PK, sk: 'FULL' });

export class TableCheckpointStore implements CheckpointStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async text(key: { pk: string; sk: string }): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const body = out.Item?.statement;
    return typeof body === 'string' ? body : undefined;
  }

  getCheckpoint(systemId: string) {
    return this.text(checkpointKey(systemId));
  }

  async putCheckpoint(systemId: string, digestSeq: number, text: string) {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...checkpointKey(systemId), [ITEM_TYPE_ATTRIBUTE]: ITEM_TYPE, digestSeq, statement: text },
          ConditionExpression: 'attribute_not_exists(pk) OR digestSeq <= :seq',
          ExpressionAttributeValues: { ':seq': digestSeq },
        }),
      );
    } catch (error) {
      // A later checkpoint is stored already (a concurrent verification got further): keep it.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  getFullResult() {
    return this.text(fullResultKey());
  }

  async putFullResult(text: string) {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...fullResultKey(), [ITEM_TYPE_ATTRIBUTE]: ITEM_TYPE, statement: text },
      }),
    );
  }
}
