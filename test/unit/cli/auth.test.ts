// The GitHub Actions OIDC token fetch of `govern`, against a fake token endpoint on 127.0.0.1.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchGithubOidcToken, resolveToken } from '../../../cli/auth.js';
import { CliError, EXIT } from '../../../cli/exit-codes.js';

/** A port on 127.0.0.1 nothing listens on: one the system handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

let server: Server;
let base: string;
const seen: { url: string; authorization: string | undefined }[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{"value":"oidc-token"}' };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const actionsEnv = () => ({
  ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/token?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-secret',
});

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('fetching the GitHub Actions OIDC token', () => {
  it('asks the endpoint for the audience with the request token and returns the token value', async () => {
    answer = { status: 200, body: '{"value":"oidc-token"}' };
    seen.length = 0;
    const token = await fetchGithubOidcToken(actionsEnv(), 'governance-control-plane');
    expect(token).toBe('oidc-token');
    expect(seen).toHaveLength(1);
    const url = new URL(seen[0]?.url ?? '', base);
    expect(url.searchParams.get('api-version')).toBe('2.0');
    expect(url.searchParams.get('audience')).toBe('governance-control-plane');
    expect(seen[0]?.authorization).toBe('bearer request-secret');
  });

  it('uses GOVERN_OIDC_AUDIENCE when --oidc github is asked for', async () => {
    answer = { status: 200, body: '{"value":"another"}' };
    seen.length = 0;
    const token = await resolveToken({ oidc: 'github' }, { ...actionsEnv(), GOVERN_OIDC_AUDIENCE: 'my-api' });
    expect(token).toBe('another');
    expect(new URL(seen[0]?.url ?? '', base).searchParams.get('audience')).toBe('my-api');
  });

  it('refuses with the auth exit code when the endpoint answers an error or no token', async () => {
    answer = { status: 403, body: '{"message":"no"}' };
    expect((await failure(fetchGithubOidcToken(actionsEnv(), 'a'))).exitCode).toBe(EXIT.auth);
    answer = { status: 200, body: '{}' };
    expect((await failure(fetchGithubOidcToken(actionsEnv(), 'a'))).message).toMatch(/no token/);
  });

  it('says how to get a token when the job has no id-token permission', async () => {
    const error = await failure(resolveToken({}, { GOVERN_OIDC: 'github' }));
    expect(error.exitCode).toBe(EXIT.auth);
    expect(error.lines.join('\n')).toMatch(/id-token: write/);
  });

  it('reports an unreachable token endpoint as a network failure', async () => {
    const error = await failure(
      fetchGithubOidcToken(
        {
          ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${await closedPort()}/token`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
        },
        'a',
      ),
    );
    expect(error.exitCode).toBe(EXIT.network);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});

describe('choosing the credentials', () => {
  it('takes GOVERN_TOKEN when no OIDC provider is asked for', async () => {
    expect(await resolveToken({}, { GOVERN_TOKEN: ' dev-token \n' })).toBe('dev-token');
  });

  it('names both ways to authenticate when there are no credentials', async () => {
    const error = await failure(resolveToken({}, {}));
    expect(error.exitCode).toBe(EXIT.auth);
    expect(error.message).toMatch(/GOVERN_TOKEN/);
    expect(error.message).toMatch(/--oidc github/);
  });

  it('refuses an unknown OIDC provider as a usage error', async () => {
    expect((await failure(resolveToken({ oidc: 'gitlab' }, {}))).exitCode).toBe(EXIT.usage);
  });
});
