// Lambda entry: the reconciler, on an EventBridge schedule. Env: AUDIT_BUCKET, TABLE_NAME.

import { sharedDocumentClient } from '../store/client.js';
import { tableNameFromEnv } from '../store/config.js';
import { archiveFromEnv } from './env.js';
import { reconcile } from './reconciler.js';
import { createTableSource } from './table-source.js';

export const handler = async () => {
  const report = await reconcile({
    archive: archiveFromEnv(),
    table: createTableSource(sharedDocumentClient(), tableNameFromEnv(process.env)),
    log: (line) => console.warn(line),
  });
  const { perSystem: _perSystem, ...totals } = report;
  console.log(JSON.stringify({ auditReconcile: totals }));
  return totals;
};
