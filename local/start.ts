// `npm start`: the control plane on 127.0.0.1 with the seeded demo. Flags: --in-memory, --reset, --port N,
// --data-dir DIR, --model-server-port N (default 4010; 0 for any free port). Ctrl-C stops everything.
import { parseArgs } from 'node:util';
import { startLocalStack } from './stack.js';

// Node 20 is supported here until the SDK drops it; its notice would bury the tokens printed below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    reset: { type: 'boolean', default: false },
    port: { type: 'string' },
    'model-server-port': { type: 'string', default: process.env.MODEL_SERVER_PORT ?? '4010' },
    'data-dir': { type: 'string', default: process.env.DATA_DIR ?? '.data' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: npm start -- [--in-memory] [--reset] [--port N] [--data-dir DIR] [--model-server-port N]');
  process.exit(0);
}

const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not ${values.port ?? process.env.PORT}`);
  process.exit(2);
}

const modelServerPort = Number(values['model-server-port']);
if (!Number.isInteger(modelServerPort) || modelServerPort < 0 || modelServerPort > 65535) {
  console.error(`--model-server-port must be a port number, not ${values['model-server-port']}`);
  process.exit(2);
}

const log = (line: string) => console.log(line);
let stopping = false;

try {
  const stack = await startLocalStack({
    port,
    dataDir: values['data-dir'],
    inMemory: values['in-memory'],
    reset: values.reset,
    // The seeded provider connection names this port, so it must stay the same across restarts.
    modelServer: { port: modelServerPort },
    log: (line) =>
      line.startsWith('GET ') || line.startsWith('POST ') || line.startsWith('PATCH ') ? log(`  ${line}`) : log(line),
    onDynamoCrash: (output) => {
      if (stopping) return;
      console.error(`\nDynamoDB Local stopped unexpectedly; the control plane cannot go on.\n${output}`);
      process.exit(1);
    },
  });
  const summary = await stack.store.systems.listSystems({ limit: 100 });
  log('');
  log(`Governance control plane listening on ${stack.url}  (API under ${stack.url}/api)`);
  log(
    `API reference at ${stack.url}/api/docs (OpenAPI 3.1: ${stack.url}/api/openapi.json); the dashboard at ${stack.url}/`,
  );
  log(
    `DynamoDB Local at ${stack.dynamoEndpoint}, table ${stack.tableName}; ${summary.items.length} systems${stack.seeded ? ' (demo just seeded)' : ''}`,
  );
  log(
    `Eval evidence (JSONL per batch) in the S3 stand-in at ${stack.evidenceEndpoint}, ${stack.evidence.describe()} (${values['in-memory'] ? 'temporary folder' : `files under ${values['data-dir']}/s3`})`,
  );
  log('');
  log('Development tokens (valid 12 h; `npm run token -- --role ROLE` mints more):');
  for (const { principal, token } of Object.values(stack.tokens)) {
    log(`  ${principal.roles.join(',').padEnd(20)} ${principal.userId.padEnd(18)} ${token}`);
  }
  log('');
  log('Local differences from AWS: DynamoDB Local listens on all interfaces (only loopback traffic is sent to it);');
  log('eval runs execute statemachines/eval-run.asl.json with a local interpreter. Ctrl-C stops everything.');
  const audit = stack.auditArchive;
  log(
    `Audit archive: bucket ${audit.bucket} in the S3 stand-in at ${audit.endpoint}, fed by the stream pump from DynamoDB Local's stream; signed digests every ${Math.round(Number(process.env.AUDIT_DIGEST_INTERVAL_MS ?? 60_000) / 1000)} s; public key ${audit.publicKeyFile}.`,
  );
  log(
    `  Verify: npm run audit:verify -- --bucket ${audit.bucket} --endpoint ${audit.endpoint} --public-key ${audit.publicKeyFile}`,
  );
  log(
    "  The stand-in holds the locked bucket's rules (a checksum on every put, no overwrite, no delete, no retention change); the retention period and versioning are enforced only in AWS (ADR 0012).",
  );
  log(
    'Governance events: every committed audit event goes to an in-process bus; webhooks (POST /api/webhooks) are delivered to 127.0.0.1 and localhost only (docs/events.md).',
  );
  log(`Pipeline CLI: GOVERN_API_URL=${stack.url} GOVERN_TOKEN=<a token above> npx govern --help (docs/cli.md).`);

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping …`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  console.error(`\nThe control plane could not start: ${(error as Error).message}`);
  process.exit(1);
}
