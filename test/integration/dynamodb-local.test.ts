import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { type DynamoDbLocalHandle, onUnexpectedExit, startDynamoDbLocal } from '../../local/dynamodb.js';
import { dynamoEndpoint } from '../support/store.js';

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}

async function tableNames(endpoint: string): Promise<string[]> {
  const client = clientFor(endpoint);
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// The instances these cases start are tuned as the run's own are (`shortLived`: serial collector, client compiler
// only): the cases prove starting, answering, stopping and persisting, which the JVM's tuning does not change.
async function withInstance<T>(
  options: Parameters<typeof startDynamoDbLocal>[0],
  use: (handle: DynamoDbLocalHandle) => Promise<T>,
): Promise<T> {
  const handle = await startDynamoDbLocal(options);
  try {
    return await use(handle);
  } finally {
    await handle.stop();
  }
}

describe('DynamoDB Local', () => {
  it("is shared with every test through the global setup, one of the run's per worker", async () => {
    const endpoint = dynamoEndpoint();
    expect(inject('dynamoEndpoints')).toContain(endpoint);
    const client = clientFor(endpoint);
    const name = `shared-${Date.now()}`;

    try {
      await createTable(client, name);
    } finally {
      client.destroy();
    }

    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.DYNAMO_ENDPOINT).toBe(endpoint);
    expect(await tableNames(endpoint)).toContain(name);
  });

  it('starts in memory on a free port, answers ListTables and stops without being reported as a crash', async () => {
    const handle = await startDynamoDbLocal({ heapMb: 256, shortLived: true });
    const crashes: unknown[] = [];
    onUnexpectedExit(handle, (exit) => crashes.push(exit));

    const tables = await tableNames(handle.endpoint);
    await handle.stop();
    await handle.stop();

    expect(tables).toEqual([]);
    expect(crashes).toEqual([]);
    expect(handle.endpoint).toBe(`http://127.0.0.1:${handle.port}`);
    expect(handle.process.exitCode !== null || handle.process.signalCode !== null).toBe(true);
    expect(await isListening(handle.port)).toBe(false);
  });

  it('keeps its tables across restarts when given a data folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dynamodb-local-'));
    try {
      await withInstance({ dataDir, heapMb: 256, shortLived: true }, async (handle) => {
        const client = clientFor(handle.endpoint);
        await createTable(client, 'persisted');
        client.destroy();
      });

      const tables = await withInstance({ dataDir, heapMb: 256, shortLived: true }, (handle) =>
        tableNames(handle.endpoint),
      );

      expect(tables).toEqual(['persisted']);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
