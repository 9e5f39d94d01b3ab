// The store of a Lambda container, from checked configuration (functions/store/config.ts).
import { sharedDocumentClient } from './client.js';
import { type Env, tableNameFromEnv } from './config.js';
import { createStore, type GovernanceStore } from './index.js';

/**
 * The container's one DocumentClient over the table TABLE_NAME names; a missing TABLE_NAME fails, naming it. List
 * cursors are sealed with CURSOR_SECRET when the function has it (the API functions do; others list nothing).
 */
export function storeFromEnv(env: Env, options: { onContentionRetry?: () => void } = {}): GovernanceStore {
  const cursorSecret = env.CURSOR_SECRET?.trim();
  return createStore({
    doc: sharedDocumentClient(),
    tableName: tableNameFromEnv(env),
    ...(cursorSecret ? { cursorSecret } : {}),
    ...options,
  });
}
