// The organisation-level audit chain's head (ORGANISATION_CHAIN_ID): a META item at keys.system('org') holding
// auditSeq and auditHash like a system's, so that runUnitOfWork chains organisation transitions with the same
// optimistic lock. It has no index keys: it is not a system and no list of systems shows it.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { GENESIS_HASH, ORGANISATION_CHAIN_ID } from '../domain/audit-chain.js';
import { keys } from './keys.js';
import type { StoreContext } from './unit-of-work.js';

/** Creates the organisation chain's head at seq 0 when it does not exist; true when this call created it. */
export async function ensureOrganisationChain(ctx: StoreContext): Promise<boolean> {
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: {
          ...keys.system(ORGANISATION_CHAIN_ID),
          itemType: 'OrganisationChain',
          auditSeq: 0,
          auditHash: GENESIS_HASH,
          createdAt: ctx.now().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
