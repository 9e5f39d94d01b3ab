// `npm run audit:reconcile -- [--full] [--dry-run] [--bucket B --endpoint URL] [--dynamo-endpoint URL --table T]`
// Compares each system's chain in the table with the audit archive and back-fills missing events. Without flags it
// uses the running local stack (its stack.json).
import { parseArgs } from 'node:util';
import { reconcile } from '../functions/audit/reconciler.js';
import { createTableSource } from '../functions/audit/table-source.js';
import { isOrganisationChain } from '../functions/domain/audit-chain.js';
import { createDocumentClient } from '../functions/store/client.js';
import { runningStack, s3Archive } from '../local/audit-cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    bucket: { type: 'string' },
    endpoint: { type: 'string' },
    'dynamo-endpoint': { type: 'string' },
    table: { type: 'string' },
  },
});
const stack = await runningStack();
const bucket = values.bucket ?? stack.audit?.bucket;
const endpoint = values.endpoint ?? (values.bucket ? undefined : stack.audit?.endpoint);
const dynamoEndpoint = values['dynamo-endpoint'] ?? stack.dynamoEndpoint;
const tableName = values.table ?? stack.tableName;
if (!bucket || !tableName) {
  console.error('no running local stack found: pass --bucket and --table (and the endpoints for local services)');
  process.exit(2);
}
const report = await reconcile({
  archive: s3Archive(bucket, endpoint),
  table: createTableSource(createDocumentClient(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}), tableName),
  full: values.full,
  dryRun: values['dry-run'],
  log: (line) => console.error(line),
});
const organisation = report.perSystem.some((s) => isOrganisationChain(s.systemId));
console.log(
  `Reconciled ${report.systems - (organisation ? 1 : 0)} systems${organisation ? ' and the organisation chain' : ''} (${values.full ? 'every event' : 'events after the last digest'}): checked ${report.checked}, missing ${report.missing}, back-filled ${report.backFilled}, raw duplicates ${report.rawDuplicates}, conflicts ${report.conflicts}, bad batches ${report.badBatches}`,
);
process.exit(report.conflicts || report.badBatches ? 1 : 0);
