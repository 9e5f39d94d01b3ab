// Webhook signing secrets written before they were sealed are encrypted in place under their subscription's
// context (they cannot be re-issued: receivers hold them). Idempotent: an item already sealed is left alone, so a
// second run changes nothing. `npm start` runs it with the other migrations; in AWS the dispatcher runs it on its
// first invocation (docs/runbooks/webhook-secrets.md).
import type { SecretCipher } from '../webhook-secrets.js';
import { encryptPlaintextSecrets } from '../webhooks.js';
import type { Migration, MigrationContext } from './index.js';

/** What this migration needs besides the table: the cipher of webhook secrets. */
export interface WebhookSecretsMigrationContext extends MigrationContext {
  webhookSecrets: SecretCipher;
}

export const encryptWebhookSecrets: Migration<WebhookSecretsMigrationContext> = {
  id: '0002-encrypt-webhook-secrets',
  description: 'seal webhook signing secrets stored in plain with the webhook secrets key',
  run: async (context) => ({
    changed: await encryptPlaintextSecrets(
      { doc: context.doc, tableName: context.tableName, now: () => new Date() },
      context.webhookSecrets,
    ),
  }),
};
