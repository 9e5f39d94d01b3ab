// `npx tsx seed/cli.ts --endpoint http://127.0.0.1:PORT --table NAME [--create-table]`: seeds the demo into a
// table of a running DynamoDB (Local) when it holds no system yet, and prints the summary as JSON.
import { parseArgs } from 'node:util';
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/store/client.js';
import { createMemoryEvidenceStore } from '../functions/store/memory-evidence-store.js';
import { createTableInput, DEFAULT_TABLE_NAME } from '../functions/store/table-definition.js';
import { seedIfEmpty } from './load.js';

const USAGE = 'usage: npx tsx seed/cli.ts [--endpoint URL] [--table NAME] [--create-table]';

async function main(argv: string[]): Promise<number> {
  let values: { endpoint?: string; table?: string; 'create-table'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        endpoint: { type: 'string' },
        table: { type: 'string' },
        'create-table': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const endpoint = values.endpoint ?? process.env.DYNAMO_ENDPOINT;
  const tableName = values.table ?? DEFAULT_TABLE_NAME;
  const doc = createDocumentClient(endpoint ? { endpoint } : {});
  try {
    await doc.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    if (!values['create-table']) {
      process.stderr.write(`table ${tableName} does not exist; pass --create-table to create it\n`);
      return 1;
    }
    await doc.send(new CreateTableCommand(createTableInput(tableName)));
  }
  const started = Date.now();
  // Seeding alone keeps the demo runs' per-case evidence in this process only, as before (the table keeps their
  // aggregates and verdicts); `npm start` seeds with its S3 stand-in, where the API reads the evidence back.
  const summary = await seedIfEmpty({
    doc,
    tableName,
    evidence: createMemoryEvidenceStore(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (summary) {
    process.stderr.write(`seed: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  }
  doc.destroy();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`seed failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
