// The control plane on one machine: DynamoDB Local, the table from the shared definition, the demo seed, the
// same Lambda handlers behind a local HTTP server, development tokens verified by the production code path.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTokenVerifier } from '../functions/api/auth/verify-token.js';
import { configureDeps } from '../functions/api/deps.js';
import { API_MODULES } from '../functions/api/routes.js';
import type { Principal } from '../functions/domain/types.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createStore, type GovernanceStore } from '../functions/store/index.js';
import { configureCursorSecret } from '../functions/store/pagination.js';
import { createTableInput, DEFAULT_TABLE_NAME } from '../functions/store/table-definition.js';
import type { EvalRunner } from '../functions/workflows/eval-runner.js';
import { loadOrCreateDevKeys, mintToken } from './dev-keys.js';
import { type DynamoDbLocalHandle, onUnexpectedExit, startDynamoDbLocal } from './dynamodb.js';
import { createLocalServer, listen } from './http-adapter.js';
import { landingPage } from './landing.js';
import { createSfnEvalRunner } from './sfn-eval-runner.js';
import { demoIdentities, devKeysDir } from './token.js';

export interface LocalStackOptions {
  port?: number;
  dataDir?: string;
  /** Keep DynamoDB's data in memory: nothing persists. */
  inMemory?: boolean;
  /** Delete the data folder's database first. */
  reset?: boolean;
  /** Use a DynamoDB (Local) that is already running instead of starting one. */
  dynamoEndpoint?: string;
  tableName?: string;
  seed?: boolean;
  log?: (line: string) => void;
  /** Called when DynamoDB Local dies under the running stack. */
  onDynamoCrash?: (output: string) => void;
}

export interface LocalStack {
  url: string;
  port: number;
  dynamoEndpoint: string;
  tableName: string;
  store: GovernanceStore;
  doc: DynamoDBDocumentClient;
  evalRunner: EvalRunner;
  seeded: boolean;
  /** A signed development token for each demo identity, by user id. */
  tokens: Record<string, { principal: Principal; token: string }>;
  mint: (principal: Principal) => Promise<string>;
  stop: () => Promise<void>;
}

/** Creates the table from the shared definition unless it exists. */
export async function ensureTable(doc: DynamoDBDocumentClient, tableName: string): Promise<boolean> {
  try {
    await doc.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException')
      throw error;
  }
  await doc.send(new CreateTableCommand(createTableInput(tableName)));
  return true;
}

/** A random secret kept in a file (mode 0600), created on first use. */
async function loadOrCreateSecret(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

/** Starts the local stack; `stop()` undoes everything it started. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir ?? '.data');
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const dbDir = join(dataDir, 'dynamodb');
  if (options.reset) await rm(dbDir, { recursive: true, force: true });
  await mkdir(options.inMemory ? dataDir : dbDir, { recursive: true });

  let dynamo: DynamoDbLocalHandle | undefined;
  let endpoint = options.dynamoEndpoint;
  if (!endpoint) {
    log(`starting DynamoDB Local (${options.inMemory ? 'in memory' : `data in ${dbDir}`}) …`);
    dynamo = await startDynamoDbLocal(options.inMemory ? {} : { dataDir: dbDir });
    endpoint = dynamo.endpoint;
    const crashed = dynamo;
    onUnexpectedExit(crashed, ({ output }) => options.onDynamoCrash?.(output));
  }
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const doc = createDocumentClient({ endpoint });
    if (await ensureTable(doc, tableName)) log(`created table ${tableName}`);
    const store = createStore({ doc, tableName });
    const keys = await loadOrCreateDevKeys(devKeysDir(dataDir));
    configureCursorSecret(await loadOrCreateSecret(join(devKeysDir(dataDir), 'cursor-secret')));
    const verifyToken = createTokenVerifier({
      issuer: keys.issuer,
      audience: keys.audience,
      jwks: { keys: [keys.publicJwk] },
    });
    // Eval runs execute statemachines/eval-run.asl.json in the local interpreter, as Step Functions does in AWS.
    const evalRunner = createSfnEvalRunner(store);
    configureDeps({
      store,
      verifyToken,
      evalRunner,
      checkDependencies: async () => ({ evalRunner: 'ok', tokenKeys: 'ok' }),
    });

    let seeded = false;
    if (options.seed !== false) {
      const { seedIfEmpty } = await import('../seed/load.js');
      const started = Date.now();
      const summary = await seedIfEmpty({ doc, tableName, log });
      seeded = summary !== null;
      if (seeded) log(`seeded the demo in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    const routes = Object.values(API_MODULES).flatMap((m) =>
      m.routes.map((r) => ({ method: r.method, path: r.path, handler: m.handler })),
    );
    const server: Server = createLocalServer({ routes, maxBodyBytes: 6 * 1024 * 1024, fallback: landingPage, log });
    const port = await listen(server, options.port ?? 3000);
    cleanup.push(
      () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
    );

    const systems = await store.systems.listSystems({ limit: 100 });
    const identities = demoIdentities(systems.items.map((s) => s.id));
    const mint = (principal: Principal) =>
      mintToken({
        keys,
        userId: principal.userId,
        name: principal.name,
        roles: principal.roles,
        teams: principal.teams,
        systems: principal.systems,
      });
    const tokens: LocalStack['tokens'] = {};
    for (const principal of identities) tokens[principal.userId] = { principal, token: await mint(principal) };

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      dynamoEndpoint: endpoint,
      tableName,
      store,
      doc,
      evalRunner,
      seeded,
      tokens,
      mint,
      stop: async () => {
        for (const fn of cleanup.reverse()) await fn();
        await evalRunner.idle().catch(() => undefined);
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
}
