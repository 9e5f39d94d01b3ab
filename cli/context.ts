// What every command gets: the parsed global options, output that honours --json and --quiet, and a lazily
// authenticated API client.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import { resolveToken } from './auth.js';
import { GovernClient } from './client.js';
import { CliError, EXIT } from './exit-codes.js';
import { type Env, idempotencyScope } from './idempotency.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Env;
  cwd: string;
  fetch?: typeof fetch;
}

interface GlobalOptions {
  api?: string;
  json?: boolean;
  quiet?: boolean;
  oidc?: string;
  idempotencyKey?: string;
  retries?: string;
  timeout?: string;
}

const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export interface CommandContext {
  io: CliIo;
  options: GlobalOptions;
  client: GovernClient;
  /** Prints the result: `json` with --json, else `human` (a line, or lines) on stdout. */
  result: (json: unknown, human: string | string[]) => void;
  /** A progress or status message for humans on stderr (silent with --quiet or --json). */
  info: (line: string) => void;
  /** Reads a JSON file of the team's repository, relative to the working directory. */
  readJson: (file: string) => Promise<unknown>;
  /** Validates a request body with its contract before anything is sent. */
  validate: <S extends z.ZodType>(schema: S, value: unknown, what: string) => z.output<S>;
  /** Resolves a path for an output file. */
  path: (file: string) => string;
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(EXIT.usage, `${name} must be a non-negative integer`);
  return n;
}

export function createContext(command: Command, io: CliIo): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const { env } = io;
  const quiet = options.quiet === true || options.json === true;
  const info = (line: string) => {
    if (!quiet) io.stderr(line);
  };
  let token: Promise<string> | undefined;
  const client = new GovernClient({
    apiUrl: options.api ?? env.GOVERN_API_URL ?? DEFAULT_API_URL,
    token: () => {
      token ??= resolveToken({ oidc: options.oidc }, env, io.fetch);
      return token;
    },
    scope: idempotencyScope(env).scope,
    idempotencyKey: options.idempotencyKey,
    retries: integer(options.retries ?? env.GOVERN_RETRIES, '--retries', 3),
    timeoutMs: integer(options.timeout ?? env.GOVERN_TIMEOUT_MS, '--timeout', 30_000),
    backoffMs: integer(env.GOVERN_BACKOFF_MS, 'GOVERN_BACKOFF_MS', 250),
    ...(io.fetch ? { fetch: io.fetch } : {}),
    log: info,
  });
  return {
    io,
    options,
    client,
    info,
    result: (json, human) => {
      if (options.json) io.stdout(JSON.stringify(json, null, 2));
      else for (const line of Array.isArray(human) ? human : [human]) io.stdout(line);
    },
    readJson: async (file) => {
      let text: string;
      try {
        text = await readFile(resolve(io.cwd, file), 'utf8');
      } catch (error) {
        throw new CliError(EXIT.usage, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new CliError(EXIT.usage, `${file} is not valid JSON: ${(error as Error).message}`);
      }
    },
    validate: (schema, value, what) => {
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new CliError(
          EXIT.usage,
          `${what} does not match the API contract`,
          parsed.error.issues.map((issue) =>
            issue.path.length ? `  ${issue.path.join('.')}: ${issue.message}` : `  ${issue.message}`,
          ),
        );
      }
      return parsed.data;
    },
    path: (file) => resolve(io.cwd, file),
  };
}
