// Lambda entry: the audit archiver on the table's stream (event source filter itemType = audit,
// ReportBatchItemFailures). Env: AUDIT_BUCKET.
import { createArchiver } from './archiver.js';
import { archiveFromEnv } from './env.js';

let archive: ReturnType<typeof createArchiver> | undefined;

export const handler: ReturnType<typeof createArchiver> = (event) => {
  archive ??= createArchiver({
    archive: archiveFromEnv(),
    log: (line) => console.warn(line),
    onStats: (stats) => console.log(JSON.stringify({ auditArchiver: stats })),
  });
  return archive(event);
};
