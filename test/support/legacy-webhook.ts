// A webhook subscription as versions before sealed secrets wrote it: the signing secret in plain in the item.
import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '../../functions/domain/ids.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { keys } from '../../functions/store/keys.js';

/** Writes a subscription item holding `secret` in plain; answers its id and the secret. */
export async function putLegacyWebhook(
  store: GovernanceStore,
  input: { url: string; events: string[]; systemId: string },
): Promise<{ id: string; secret: string }> {
  const id = newId('whk');
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  await store.ctx.doc.send(
    new PutCommand({
      TableName: store.ctx.tableName,
      Item: {
        ...keys.webhook(id),
        ...keys.webhooksIndex(id),
        itemType: 'webhook',
        id,
        url: input.url,
        events: input.events,
        systemId: input.systemId,
        ownerTeam: null,
        description: null,
        createdAt: new Date(Date.now() - 60_000).toISOString(),
        createdBy: 'ada.admin',
        secret,
      },
    }),
  );
  return { id, secret };
}
