import { BatchGetCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../../functions/domain/audit-chain.js';
import { keys } from '../../../functions/store/keys.js';
import { runUnitOfWork, type StoreContext } from '../../../functions/store/unit-of-work.js';

const TABLE = 'governance-unit';
const SYSTEM_ID = 'sys_01J9Z3Q8X4K7M2N5P6R7S8T9V0';
const actor = { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin' as const] };

/** A document client whose first `conflicts` transactions lose a race, as when another change committed first. */
function racingClient(conflicts: number) {
  let transactions = 0;
  const send = async (command: unknown) => {
    if (command instanceof BatchGetCommand) {
      const meta = { ...keys.system(SYSTEM_ID), auditSeq: 0, auditHash: GENESIS_HASH };
      return { Responses: { [TABLE]: [meta] } };
    }
    if (command instanceof TransactWriteCommand) {
      transactions++;
      if (transactions <= conflicts)
        throw Object.assign(new Error('conflict'), { name: 'TransactionConflictException' });
      return {};
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  return { doc: { send } as unknown as DynamoDBDocumentClient, transactions: () => transactions };
}

describe('the unit of work under contention', () => {
  it('tells the contention hook of every retry and commits once the race is won', async () => {
    const { doc, transactions } = racingClient(2);
    let retries = 0;
    const ctx: StoreContext = { doc, tableName: TABLE, now: () => new Date(), onContentionRetry: () => retries++ };

    const { events } = await runUnitOfWork(ctx, SYSTEM_ID, actor, [], (tx) => {
      tx.audit({ action: 'system.updated', entityType: 'system', entityId: SYSTEM_ID });
    });

    expect(retries).toBe(2);
    expect(transactions()).toBe(3);
    expect(events.map((e) => e.seq)).toEqual([1]);
  });

  it('does not call the hook when the first attempt commits', async () => {
    const { doc } = racingClient(0);
    let retries = 0;
    const ctx: StoreContext = { doc, tableName: TABLE, now: () => new Date(), onContentionRetry: () => retries++ };

    await runUnitOfWork(ctx, SYSTEM_ID, actor, [], (tx) => {
      tx.audit({ action: 'system.updated', entityType: 'system', entityId: SYSTEM_ID });
    });

    expect(retries).toBe(0);
  });
});
