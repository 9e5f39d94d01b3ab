// `npm run monitor [-- --endpoint URL] [--table NAME] [--data-dir DIR] [--json]`: one monitoring pass over the local
// stack's table, as the scheduled Lambda does in AWS. Without --endpoint (or DYNAMO_ENDPOINT) it reads the running
// stack's endpoint from <data-dir>/stack.json, which `npm start` writes. The runs go through the eval state machine
// in the local interpreter of this process, on the executor each release was gated with, and this command waits
// for them and their continuations (ADR 0032), evidence in the stack's S3 stand-in. Progress goes to stderr, the
// summary to stdout.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../functions/store/client.js';
import { createEvidenceStore } from '../functions/store/evidence-store.js';
import { createStore } from '../functions/store/index.js';
import { createMemoryEvidenceStore } from '../functions/store/memory-evidence-store.js';
import { DEFAULT_TABLE_NAME } from '../functions/store/table-definition.js';
import { type ReleaseMonitoring, runMonitoring } from '../functions/workflows/monitor.js';
import { createProviderRuntime } from '../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../functions/workflows/providers/secrets.js';
import { createS3Client } from './s3-standin.js';
import { createSfnEvalRunner } from './sfn-eval-runner.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE =
  'usage: npm run monitor -- [--endpoint URL] [--table NAME] [--data-dir DIR] [--system SYS_ID]... [--json]';
const STACK_FILE = 'stack.json';

interface StackInfo {
  pid: number;
  dynamoEndpoint: string;
  tableName: string;
  evidence?: { endpoint: string; bucket: string };
  evalAllowedHosts?: string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function runningStack(dataDir: string): Promise<StackInfo | null> {
  try {
    const info = JSON.parse(await readFile(join(dataDir, STACK_FILE), 'utf8')) as StackInfo;
    return typeof info.dynamoEndpoint === 'string' && alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

async function main(argv: string[]): Promise<number> {
  let values: {
    endpoint?: string;
    table?: string;
    'data-dir'?: string;
    system?: string[];
    json?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        endpoint: { type: 'string' },
        table: { type: 'string' },
        'data-dir': { type: 'string' },
        system: { type: 'string', multiple: true },
        json: { type: 'boolean' },
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
  const dataDir = resolve(values['data-dir'] ?? process.env.DATA_DIR ?? '.data');
  let endpoint = values.endpoint ?? process.env.DYNAMO_ENDPOINT;
  let tableName = values.table;
  let stackInfo: StackInfo | null = null;
  if (!endpoint) {
    const stack = await runningStack(dataDir);
    if (!stack) {
      process.stderr.write(
        `no running local stack found in ${dataDir} (start it with npm start), and no --endpoint given\n${USAGE}\n`,
      );
      return 1;
    }
    endpoint = stack.dynamoEndpoint;
    tableName ??= stack.tableName;
    stackInfo = stack;
  }
  tableName ??= DEFAULT_TABLE_NAME;
  const doc = createDocumentClient({ endpoint });
  const store = createStore({ doc, tableName });
  process.stderr.write(`monitor: DynamoDB at ${endpoint}, table ${tableName}\n`);
  // Without a running stack's S3 stand-in the runs' per-case evidence is kept in memory only.
  const evidence = stackInfo?.evidence
    ? createEvidenceStore({ s3: createS3Client(stackInfo.evidence.endpoint), bucket: stackInfo.evidence.bucket })
    : createMemoryEvidenceStore();
  const allowedHosts = stackInfo?.evalAllowedHosts ?? [];
  const judged = new Map<string, ReleaseMonitoring>();
  const providers = createProviderRuntime({ resolveSecret: localSecretResolver({ dataDir }), allowedHosts });
  const runner = createSfnEvalRunner(store, {
    evidence,
    allowedHosts,
    providers,
    continuation: { onMonitored: (r) => r.runId && judged.set(r.runId, r) },
  });
  try {
    const summary = await runMonitoring(store, {
      runner,
      providers,
      wait: async () => {
        await runner.idle();
        return judged;
      },
      log: (line) => process.stderr.write(`monitor: ${line}\n`),
      ...(values.system?.length ? { systemIds: values.system } : {}),
    });
    const { clean, failed, skipped, error } = summary.counts;
    process.stderr.write(`monitor: ${clean} clean, ${failed} failed, ${skipped} skipped, ${error} error\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      for (const r of summary.releases) {
        const notes = [
          ...r.incidentsOpened.map((i) => `opened ${i}`),
          ...r.incidentsExisting.map((i) => `open ${i}`),
          // What the policy's monitoring.onFailure made the run do besides its incident.
          ...(r.rollbackId ? [`rolled back to ${r.rolledBackTo} (${r.rollbackId})`] : []),
          ...(r.rollbackRequestId ? [`rollback request ${r.rollbackRequestId}`] : []),
          ...(r.rollbackRequested ? [`rollback requested${r.fallbackReason ? `: ${r.fallbackReason}` : ''}`] : []),
        ];
        process.stdout.write(
          `${r.systemName} ${r.environment} ${r.releaseId}: ${r.status}${notes.length ? ` (${notes.join(', ')})` : ''}\n`,
        );
      }
    }
    return error > 0 ? 1 : 0;
  } finally {
    doc.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`monitor failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
