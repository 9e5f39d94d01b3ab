// The store of a Lambda container, from checked configuration (functions/store/config.ts).
import { sharedDocumentClient } from './client.js';
import { type Env, tableNameFromEnv } from './config.js';
import { createStore, type GovernanceStore } from './index.js';

/** The container's one DocumentClient over the table TABLE_NAME names; a missing TABLE_NAME fails, naming it. */
export function storeFromEnv(env: Env, options: { onContentionRetry?: () => void } = {}): GovernanceStore {
  return createStore({ doc: sharedDocumentClient(), tableName: tableNameFromEnv(env), ...options });
}
