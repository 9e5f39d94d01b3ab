// The control plane on one machine: DynamoDB Local, the table from the shared definition, the demo seed, the
// same Lambda handlers behind a local HTTP server, development tokens verified by the production code path.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pipelinePrincipalFromGithubClaims, type TrustedRepository } from '../functions/api/auth/github-oidc.js';
import { createMultiIssuerVerifier } from '../functions/api/auth/verify-token.js';
import type { Deps } from '../functions/api/deps.js';
import { createHttpHandler } from '../functions/api/http.js';
import { API_MODULES } from '../functions/api/routes.js';
import type { Principal } from '../functions/domain/types.js';
import type { RetryPolicy } from '../functions/events/dispatcher.js';
import { LOCAL_WEBHOOK_ALLOWED_HOSTS } from '../functions/events/target.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createEvidenceStore, type EvidenceStore } from '../functions/store/evidence-store.js';
import { createStore, type GovernanceStore } from '../functions/store/index.js';
import { MIGRATIONS } from '../functions/store/migrations/all.js';
import { runMigrations } from '../functions/store/migrations/index.js';
import { createTableInput, DEFAULT_TABLE_NAME } from '../functions/store/table-definition.js';
import { aesGcmSecretCipherFromKeyText } from '../functions/store/webhook-secrets.js';
import { LOCAL_ALLOWED_HOSTS } from '../functions/workflows/allowed-hosts.js';
import type { EvalRunner } from '../functions/workflows/eval-runner.js';
import { createProviderRuntime } from '../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../functions/workflows/providers/secrets.js';
import type { DemoSummary } from '../seed/demo.js';
import { type LocalAuditArchive, startLocalAuditArchive } from './audit-archive.js';
import { createLocalAuditExports, LOCAL_EXPORT_BUCKET, type LocalAuditExports } from './audit-exports.js';
import {
  DEV_PIPELINE_ISSUER,
  DEV_PIPELINE_REF,
  DEV_PIPELINE_REPOSITORY,
  loadOrCreateDevKeys,
  mintToken,
} from './dev-keys.js';
import { type DynamoDbLocalHandle, onUnexpectedExit, startDynamoDbLocal } from './dynamodb.js';
import { type LocalEvents, startLocalEvents } from './event-bus.js';
import { createLocalGateRunner, type LocalGateRunner, type LocalGateRunnerOptions } from './gate-runner.js';
import { createLocalServer, listen } from './http-adapter.js';
import { dashboardHost } from './landing.js';
import { type ModelServer, startModelServer } from './model-server.js';
import { createLocalPolicyDryRuns, type LocalPolicyDryRuns } from './policy-dry-runs.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from './s3-standin.js';
import { createSfnEvalRunner, type SfnEvalRunnerOptions } from './sfn-eval-runner.js';
import { demoIdentities, devKeysDir } from './token.js';
import { newRefreshToken } from './token-endpoint.js';

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
  /** Hosts the `http` executor may call (`host`, `host:port`, `host:*`); default 127.0.0.1 and localhost, any port. */
  evalAllowedHosts?: readonly string[];
  /**
   * The local model server (local/model-server.ts): its HTTP port (default any free one; `npm start` asks for 4010
   * so the seeded connection's base URL still answers after a restart), or false for none.
   */
  modelServer?: { port?: number } | false;
  /** Options of the local eval-run state machine (tests: batch size, task wrappers). */
  evalRunnerOptions?: Omit<SfnEvalRunnerOptions, 'evidence' | 'allowedHosts'>;
  /** Restart the executions of eval runs left queued or running (default true). */
  resumeEvalRuns?: boolean;
  /** Options of the local release-gate state machine (tests: a tiny approval timeout, small retry intervals). */
  gateRunnerOptions?: LocalGateRunnerOptions;
  /** Give every approval round still waiting in DynamoDB a live release gate at start (default true). */
  resumeGates?: boolean;
  /** The built dashboard served at `/` (default dashboard/dist); without it, a landing page says how to build it. */
  dashboardDir?: string;
  /** Interval of the audit archive's digests (default 60 s, or AUDIT_DIGEST_INTERVAL_MS). */
  auditDigestIntervalMs?: number;
  /** Hosts webhooks may be delivered to (`host`, `host:port`, `host:*`); default 127.0.0.1 and localhost, any port. */
  webhookAllowedHosts?: readonly string[];
  /** Webhook retry policy (tests: small intervals) and per-attempt timeout. */
  webhookRetry?: RetryPolicy;
  webhookTimeoutMs?: number;
  /** Options of the policy dry run job (tests: a few systems per step, so a job takes several). */
  policyDryRunOptions?: { systemsPerStep?: number };
  /**
   * How long the ID tokens the local token endpoint issues on a refresh last, in seconds (default 3600, the user
   * pool's ID token validity in lib/constructs/identity.ts).
   */
  refreshedTokenSeconds?: number;
  /** Options of the audit export job (tests: small parts, so an export takes the multipart path). */
  auditExportOptions?: { partBytes?: number };
}

export interface LocalStack {
  url: string;
  port: number;
  dynamoEndpoint: string;
  tableName: string;
  store: GovernanceStore;
  doc: DynamoDBDocumentClient;
  evalRunner: EvalRunner;
  /** The evidence store of eval runs: the S3 stand-in's bucket. */
  evidence: EvidenceStore;
  evidenceEndpoint: string;
  evidenceBucket: string;
  /** The audit archive: stream pump, archiver, digests, in the S3 stand-in's audit bucket. */
  auditArchive: LocalAuditArchive;
  /** Governance events: the stream pump publishing audit events to the in-process bus, and webhook deliveries. */
  events: LocalEvents;
  /** Eval runs whose execution was started again at start. */
  resumedEvalRuns: string[];
  /** The release gates of approval rounds (statemachines/release-gate.asl.json in the local interpreter). */
  gateRunner: LocalGateRunner;
  /** Approval rounds whose release gate was started again at start. */
  resumedGates: number;
  /** The policy dry run jobs started in this process. */
  policyDryRuns: LocalPolicyDryRuns;
  /** The audit export jobs started in this process, writing to the S3 stand-in's export bucket. */
  auditExports: LocalAuditExports;
  seeded: boolean;
  /** What the seed wrote, when this start seeded the demo. */
  seedSummary: DemoSummary | null;
  /** A signed development token for each demo identity, by user id. */
  /** Each demo identity's ID token, and the refresh token the local token endpoint takes for it. */
  tokens: Record<string, { principal: Principal; token: string; refreshToken: string }>;
  mint: (principal: Principal) => Promise<string>;
  stop: () => Promise<void>;
}

/** The file in the data folder that names the running stack's endpoints (see local/monitor.ts). */
const STACK_FILE = 'stack.json';

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
  let s3: S3StandInHandle | undefined;
  let auditArchive: LocalAuditArchive | undefined;
  try {
    // Evidence of eval runs (JSONL batch objects) goes to the S3 stand-in, under the data folder or a temporary one.
    const s3Dir = options.inMemory ? undefined : join(dataDir, 's3');
    log(`starting the S3 stand-in (${s3Dir ? `data in ${s3Dir}` : 'temporary folder'}) …`);
    s3 = await startS3StandIn({
      ...(s3Dir ? { dataDir: s3Dir } : {}),
      buckets: [LOCAL_EVIDENCE_BUCKET, LOCAL_EXPORT_BUCKET],
    });
    const evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: LOCAL_EVIDENCE_BUCKET });
    const doc = createDocumentClient({ endpoint });
    if (await ensureTable(doc, tableName)) log(`created table ${tableName}`);
    const keysDir = devKeysDir(dataDir);
    const keys = await loadOrCreateDevKeys(keysDir);
    // Cursors are sealed with a secret kept under .data/keys, as the secret CURSOR_SECRET_ARN names seals them in AWS.
    const cursorSecret = await loadOrCreateSecret(join(keysDir, 'cursor-secret'));
    // Webhook signing secrets are sealed with a key kept under .data/keys, as the webhook secrets KMS key seals them
    // in AWS (AES-GCM, bound to the subscription id as KMS's encryption context binds it).
    const webhookSecrets = aesGcmSecretCipherFromKeyText(
      await loadOrCreateSecret(join(keysDir, 'webhook-secrets.key')),
    );
    // Items an older version wrote are brought into today's shape before anything reads them.
    await runMigrations({ doc, tableName, log, webhookSecrets }, MIGRATIONS);
    const store = createStore({ doc, tableName, cursorSecret });
    // The audit archive: DynamoDB Local's stream -> the archiver -> the stand-in's audit bucket; digests on a timer.
    const audit = await startLocalAuditArchive({
      dynamoEndpoint: endpoint,
      tableName,
      s3Endpoint: s3.endpoint,
      createBucket: s3.bucket,
      dataDir,
      ...(options.auditDigestIntervalMs ? { digestIntervalMs: options.auditDigestIntervalMs } : {}),
      log,
    });
    auditArchive = audit;
    cleanup.push(() => audit.stop());
    // Governance events: audit items of the same stream -> in-process bus -> webhook deliveries (docs/events.md).
    const events = await startLocalEvents({
      dynamoEndpoint: endpoint,
      tableName,
      store,
      webhookSecrets,
      dataDir,
      allowedHosts: options.webhookAllowedHosts ?? LOCAL_WEBHOOK_ALLOWED_HOSTS,
      ...(options.webhookRetry ? { retry: options.webhookRetry } : {}),
      ...(options.webhookTimeoutMs ? { timeoutMs: options.webhookTimeoutMs } : {}),
      log,
    });
    cleanup.push(() => events.stop());
    // People's tokens of the development issuer, and pipelines' tokens of the local stand-in for GitHub Actions'
    // issuer, mapped by the same claim mapping as in AWS (github-oidc.ts); the trust list is filled below, once the
    // systems are known, as a deployment's trust list names system ids.
    const pipelineTrust: TrustedRepository[] = [];
    const verifyToken = createMultiIssuerVerifier([
      { issuer: keys.issuer, audience: keys.audience, jwks: { keys: [keys.publicJwk] } },
      {
        issuer: DEV_PIPELINE_ISSUER,
        audience: keys.audience,
        jwks: { keys: [keys.publicJwk] },
        toPrincipal: (claims) => pipelinePrincipalFromGithubClaims(claims, pipelineTrust),
      },
    ]);
    // Eval runs execute statemachines/eval-run.asl.json in the local interpreter, as Step Functions does in AWS.
    // Provider connections' secrets: `env:NAME` from this process's environment, `file:NAME` from
    // <data dir>/provider-secrets/NAME (Secrets Manager in AWS); one client and one limit per connection version.
    const evalAllowedHosts = options.evalAllowedHosts ?? LOCAL_ALLOWED_HOSTS;
    const providers = createProviderRuntime({
      resolveSecret: localSecretResolver({ dataDir }),
      allowedHosts: evalAllowedHosts,
    });
    const evalRunner = createSfnEvalRunner(store, {
      ...options.evalRunnerOptions,
      evidence,
      allowedHosts: evalAllowedHosts,
      providers,
    });
    // Approval rounds are gated by statemachines/release-gate.asl.json, with a local task-token registry standing
    // in for SendTaskSuccess / SendTaskFailure.
    const gateRunner = createLocalGateRunner(store, { log, ...options.gateRunnerOptions });
    // Refused promotions whose audit record waits in the outbox (ADR 0037): drained every minute in this process, as
    // the refusal-outbox schedule drains it every 15 minutes in AWS.
    const refusalOutbox = setInterval(() => {
      store.refusals
        .drainRefusalOutbox()
        .then((report) => {
          if (report.recorded + report.duplicates + report.failed > 0) log(`refusal outbox: ${JSON.stringify(report)}`);
        })
        .catch((error: Error) => log(`refusal outbox not drained: ${error.name}`));
    }, 60_000);
    refusalOutbox.unref();
    cleanup.push(async () => clearInterval(refusalOutbox));
    // Policy dry runs: the job's handler, started in this process as the EventBridge rule starts it in AWS.
    const policyDryRuns = createLocalPolicyDryRuns(store, { log, ...options.policyDryRunOptions });
    // Audit exports: the job's handler, started in this process as the EventBridge rule starts it in AWS.
    const auditExports = createLocalAuditExports(store, createS3Client(s3.endpoint), {
      log,
      ...options.auditExportOptions,
    });
    // The local stack's composition root: the dependencies every route gets, chosen here and passed in.
    const deps: Deps = {
      store,
      verifyToken,
      evidence,
      evalRunner,
      gateRunner,
      gateCallbacks: gateRunner.callbacks,
      auditArchive: audit.statusReader,
      webhookSecrets,
      startPolicyDryRun: policyDryRuns.start,
      auditExports,
      evalAllowedHosts,
      checkDependencies: async () => ({ evalRunner: 'ok', tokenKeys: 'ok' }),
    };

    // The local model server (OpenAI, Anthropic and Bedrock wire formats on 127.0.0.1), its API key in
    // <data dir>/provider-secrets/local-model-server, which the seeded connection references (never the value).
    let modelServer: ModelServer | undefined;
    if (options.modelServer !== false) {
      await mkdir(join(dataDir, 'provider-secrets'), { recursive: true });
      const apiKey = await loadOrCreateSecret(join(dataDir, 'provider-secrets', 'local-model-server'));
      const started = await startModelServer({ apiKey, port: options.modelServer?.port ?? 0 });
      modelServer = started;
      cleanup.push(() => started.stop());
      log(`model server (OpenAI chat completions) on ${started.baseUrl('openai')}`);
    }

    let seedSummary: DemoSummary | null = null;
    if (options.seed !== false) {
      const { seedIfEmpty } = await import('../seed/load.js');
      const started = Date.now();
      seedSummary = await seedIfEmpty({
        doc,
        tableName,
        evidence,
        log,
        ...(modelServer
          ? {
              providerDemo: {
                baseUrl: modelServer.baseUrl('openai'),
                secretRef: 'file:local-model-server',
                providers,
              },
            }
          : {}),
      });
      const seeded = seedSummary !== null;
      if (seeded) log(`seeded the demo in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    // One handler over every route, as one router: the adapter stands in for API Gateway's routes and sends what
    // none matches to the same handler as the `$default` route, which answers 404 or 405 as AWS does.
    const apiRoutes = Object.values(API_MODULES).flatMap((m) => m.routes);
    const api = createHttpHandler(apiRoutes, () => deps);
    const routes = apiRoutes.map((r) => ({ method: r.method, path: r.path, handler: api }));
    // Filled in once the tokens are minted below; GET /local/identities serves them to the dashboard's sign-in.
    const tokens: LocalStack['tokens'] = {};
    const mint = (principal: Principal, seconds?: number, shape?: 'access') =>
      mintToken({
        keys,
        userId: principal.userId,
        name: principal.name,
        roles: principal.roles,
        teams: principal.teams,
        systems: principal.systems,
        ...(principal.githubLogin ? { githubLogin: principal.githubLogin } : {}),
        ...(seconds !== undefined ? { expiresIn: `${seconds}s` } : {}),
        ...(shape ? { shape } : {}),
      });
    // One refresh token per demo identity, held for the stack's life as Cognito holds a session's.
    const refreshTokens = new Map<string, Principal>();
    const tokenSeconds = options.refreshedTokenSeconds ?? 3600;
    const fallback = dashboardHost({
      distDir: options.dashboardDir ?? fileURLToPath(new URL('../dashboard/dist/', import.meta.url)),
      identities: () => Object.values(tokens),
      tokenEndpoint: {
        clientId: keys.audience,
        principalOf: (refreshToken) => refreshTokens.get(refreshToken),
        mint: async (principal) => ({
          idToken: await mint(principal, tokenSeconds),
          accessToken: await mint(principal, tokenSeconds, 'access'),
          expiresIn: tokenSeconds,
        }),
      },
    });
    const server: Server = createLocalServer({
      routes,
      defaultHandler: api,
      maxBodyBytes: 6 * 1024 * 1024,
      fallback,
      log,
    });
    const port = await listen(server, options.port ?? 3000);
    cleanup.push(
      () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
    );

    // Where tools of this machine (npm run monitor) find the running stack; removed again by stop().
    const stackFile = join(dataDir, STACK_FILE);
    await writeFile(
      stackFile,
      `${JSON.stringify(
        {
          pid: process.pid,
          url: `http://127.0.0.1:${port}`,
          dynamoEndpoint: endpoint,
          tableName,
          audit: { endpoint: audit.endpoint, bucket: audit.bucket, publicKeyFile: audit.publicKeyFile },
          // npm run monitor runs its check runs in its own process (ADR 0032): evidence here, hosts as the stack's.
          evidence: { endpoint: s3.endpoint, bucket: LOCAL_EVIDENCE_BUCKET },
          evalAllowedHosts,
        },
        null,
        2,
      )}\n`,
    );
    cleanup.push(() => rm(stackFile, { force: true }));

    const systems = await store.systems.listSystems({ limit: 100 });
    const identities = demoIdentities(systems.items.map((s) => s.id));
    pipelineTrust.push({
      repository: DEV_PIPELINE_REPOSITORY,
      refs: [DEV_PIPELINE_REF],
      systems: systems.items.map((s) => s.id),
    });
    for (const principal of identities) {
      const refreshToken = newRefreshToken();
      refreshTokens.set(refreshToken, principal);
      tokens[principal.userId] = { principal, token: await mint(principal), refreshToken };
    }

    const resumedEvalRuns = options.resumeEvalRuns === false ? [] : await resumeEvalRuns(store, evalRunner, log);
    // DynamoDB is the source of truth: every round still waiting for decisions gets a live gate again.
    const resumedGates = options.resumeGates === false ? 0 : await gateRunner.resume();
    if (resumedGates > 0) log(`resumed the release gate of ${resumedGates} approval round(s)`);

    return {
      url: `http://127.0.0.1:${port}`,
      port,
      dynamoEndpoint: endpoint,
      tableName,
      store,
      doc,
      evalRunner,
      evidence,
      evidenceEndpoint: s3.endpoint,
      evidenceBucket: LOCAL_EVIDENCE_BUCKET,
      auditArchive: audit,
      events,
      resumedEvalRuns,
      gateRunner,
      resumedGates,
      policyDryRuns,
      auditExports,
      seeded: seedSummary !== null,
      seedSummary,
      tokens,
      mint,
      stop: async () => {
        for (const fn of cleanup.reverse()) await fn();
        await gateRunner.stop().catch(() => undefined);
        await policyDryRuns.idle().catch(() => undefined);
        await auditExports.idle().catch(() => undefined);
        await evalRunner.idle().catch(() => undefined);
        await s3?.stop();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await auditArchive?.stop().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    await dynamo?.stop();
    throw error;
  }
}

/** The bucket of eval evidence in the S3 stand-in. */
const LOCAL_EVIDENCE_BUCKET = 'governance-evidence';

/**
 * DynamoDB is the source of truth: eval runs left queued or running by a stopped stack get their execution started
 * again. Batches already recorded are skipped by the batch step, so nothing is scored twice. Submitted runs wait
 * for the pipeline's outputs and are left alone until they are aggregating.
 */
async function resumeEvalRuns(
  store: GovernanceStore,
  evalRunner: EvalRunner,
  log: (line: string) => void,
): Promise<string[]> {
  const resumed: string[] = [];
  for (const id of await store.evalRuns.unfinishedEvalRunIds()) {
    const run = await store.evalRuns.getEvalRun(id).catch(() => null);
    if (!run) continue;
    // A submitted run is the runner's once every case is posted (aggregating); before that it waits for the pipeline.
    const waiting =
      run.executor === 'submitted' ? run.status !== 'aggregating' : !['queued', 'running'].includes(run.status);
    if (waiting) continue;
    await evalRunner.start(run.id);
    resumed.push(run.id);
  }
  if (resumed.length > 0) log(`resumed ${resumed.length} unfinished eval run(s): ${resumed.join(', ')}`);
  return resumed;
}
