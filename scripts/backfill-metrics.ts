// `npm run backfill:metrics -- [--dynamo-endpoint URL --table T] [--system sys_...]`
// Builds the daily metric rollups from the audit chains, existing history included (ADR 0043). Resumable (each
// system's checkpoint) and safe beside the rollup consumer: an event counts once, whoever applies it first. Without
// flags it uses the running local stack (its stack.json); with --table and AWS credentials it runs against a
// deployed table (or invoke the rollup consumer Lambda with {"backfill": true}, docs/architecture/metrics.md).
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../functions/store/client.js';
import { backfillRollups } from '../functions/store/rollups.js';
import { runningStack } from '../local/audit-cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    'dynamo-endpoint': { type: 'string' },
    table: { type: 'string' },
    system: { type: 'string', multiple: true },
  },
});
const stack = values.table ? undefined : await runningStack();
const dynamoEndpoint = values['dynamo-endpoint'] ?? stack?.dynamoEndpoint;
const tableName = values.table ?? stack?.tableName;
if (!tableName) {
  console.error('no running local stack found: pass --table (and --dynamo-endpoint for DynamoDB Local)');
  process.exit(2);
}
const progress = await backfillRollups(
  {
    doc: createDocumentClient(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}),
    tableName,
    now: () => new Date(),
  },
  { ...(values.system ? { systemIds: values.system } : {}), log: (line) => console.error(line) },
);
console.log(
  `Back-filled the metric rollups of ${progress.systems} systems: read ${progress.events} events, applied ${progress.applied}, already applied ${progress.duplicates}`,
);
