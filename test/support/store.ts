// A fresh table on one of the run's DynamoDB Locals for each test file (or test), built from the shared definition.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { Actor, Principal, PrincipalRole } from '../../functions/domain/types.js';
import { createDocumentClient } from '../../functions/store/client.js';
import { createStore, type GovernanceStore, type RequestMeter } from '../../functions/store/index.js';
import { createTableInput } from '../../functions/store/table-definition.js';

/** This worker's DynamoDB Local: the run's are shared out among workers by pool id (test/global-setup.ts). */
export function dynamoEndpoint(): string {
  const endpoints = inject('dynamoEndpoints');
  if (!endpoints?.length) return inject('dynamoEndpoint') ?? (process.env.DYNAMO_ENDPOINT as string);
  const pool = Number(process.env.VITEST_POOL_ID ?? '1');
  return endpoints[(Number.isInteger(pool) && pool > 0 ? pool - 1 : 0) % endpoints.length] as string;
}

/** Creates a uniquely named table and a store over it; `drop()` deletes the table. */
export async function createTestStore(
  options: { now?: () => Date; maxAttempts?: number; meter?: RequestMeter; queuePerSystem?: boolean } = {},
): Promise<{
  store: GovernanceStore;
  tableName: string;
  drop: () => Promise<void>;
  /** Another store over the same table, as a second process (Lambda container) would have. */
  peer: (peerOptions?: { queuePerSystem?: boolean }) => GovernanceStore;
}> {
  const doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  const tableName = `test-${randomUUID()}`;
  await doc.send(new CreateTableCommand(createTableInput(tableName)));
  const store = createStore({ doc, tableName, ...options });
  return {
    store,
    tableName,
    drop: async () => void (await doc.send(new DeleteTableCommand({ TableName: tableName }))),
    peer: (peerOptions = {}) => createStore({ doc, tableName, ...peerOptions }),
  };
}

export function principal(userId: string, roles: PrincipalRole[], extra: Partial<Principal> = {}): Principal {
  return { userId, name: userId, roles, teams: [], systems: [], ...extra };
}

export function actorOf(p: Principal): Actor {
  return { userId: p.userId, name: p.name, roles: p.roles };
}
