// The store of a Lambda container, from checked configuration (functions/store/config.ts).
import { sharedDocumentClient } from './client.js';
import { type Env, tableNameFromEnv } from './config.js';
import { createStore, type GovernanceStore } from './index.js';
import { cachedSecretValue } from './secret-value.js';

/**
 * The container's one DocumentClient over the table TABLE_NAME names; a missing TABLE_NAME fails, naming it. List
 * cursors are sealed with the Secrets Manager secret CURSOR_SECRET_ARN names when the function has it (the API
 * functions that list do; others list nothing a caller sees): its value is read when a list first needs it and
 * cached for a bounded time (secret-value.ts), never held in the environment.
 */
export function storeFromEnv(env: Env, options: { onContentionRetry?: () => void } = {}): GovernanceStore {
  const cursorSecretArn = env.CURSOR_SECRET_ARN?.trim();
  return createStore({
    doc: sharedDocumentClient(),
    tableName: tableNameFromEnv(env),
    ...(cursorSecretArn ? { cursorSecret: cachedSecretValue(cursorSecretArn) } : {}),
    ...options,
  });
}
