// Lambda entry: the reconciler, on an EventBridge schedule. Env: AUDIT_BUCKET, TABLE_NAME.
import { sharedDocumentClient } from '../store/client.js';
import { DEFAULT_TABLE_NAME } from '../store/table-definition.js';
import { archiveFromEnv } from './env.js';
import { reconcile } from './reconciler.js';
import { createTableSource } from './table-source.js';

export const handler = async () => {
  const report = await reconcile({
    archive: archiveFromEnv(),
    table: createTableSource(sharedDocumentClient(), process.env.TABLE_NAME ?? DEFAULT_TABLE_NAME),
    log: (line) => console.warn(line),
  });
  const { perSystem: _perSystem, ...totals } = report;
  console.log(JSON.stringify({ auditReconcile: totals }));
  return totals;
};
