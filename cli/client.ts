// The API client of `govern`: bearer auth, an Idempotency-Key on every POST, bounded retries with backoff on
// network errors and 5xx (same key), and every failure turned into a CliError with an exit code and a message
// that says what to check.
import { causeOf } from './auth.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { canonicalBody, idempotencyKey } from './idempotency.js';

export interface ClientOptions {
  apiUrl: string;
  token: () => Promise<string>;
  /** The scope of derived idempotency keys (see idempotency.ts). */
  scope: string;
  /** Overrides the derived key of the (single) write of this invocation. */
  idempotencyKey?: string | undefined;
  retries: number;
  timeoutMs: number;
  /** Backoff base in ms: attempt n waits base * 2^n, with jitter. */
  backoffMs?: number;
  fetch?: typeof fetch;
  /** Where retries are announced (stderr). */
  log?: (line: string) => void;
}

export interface ApiReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  replayed: boolean;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  reasons?: { code: string; message: string }[];
  errors?: { path: string; message: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The exit code of an API error status (and problem type). */
export function exitCodeOf(status: number, problem: Problem | null): ExitCode {
  if (problem?.type?.endsWith('/gate-blocked')) return EXIT.blocked;
  // A 422, but not a malformed request: this key was spent on another write (a conflict of the caller's own making).
  if (problem?.code === 'IDEMPOTENCY_KEY_REUSED') return EXIT.rejected;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.usage;
  if (status >= 500) return EXIT.server;
  return EXIT.rejected;
}

/** Lines for humans: status and title, detail, code, then one line per reason and per field error. */
export function describeProblem(status: number, problem: Problem | null, fallback: string): string[] {
  const head = `${status} ${problem?.title ?? fallback}`.trim();
  const lines = [problem?.detail ? `${head}: ${problem.detail}` : head];
  if (problem?.code) lines.push(`code: ${problem.code}`);
  for (const reason of problem?.reasons ?? []) lines.push(`  ${reason.code}: ${reason.message}`);
  for (const error of problem?.errors ?? []) lines.push(`  ${error.path || '(body)'}: ${error.message}`);
  return lines;
}

export class GovernClient {
  private readonly fetchImpl: typeof fetch;
  private readonly base: URL;
  private keyUsed = false;

  constructor(private readonly options: ClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    try {
      this.base = new URL(options.apiUrl);
    } catch {
      throw new CliError(EXIT.usage, `--api / GOVERN_API_URL is not a URL: "${options.apiUrl}"`);
    }
  }

  get<T = unknown>(path: string, query: Record<string, string | undefined> = {}): Promise<ApiReply<T>> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
    const qs = params.toString();
    return this.send<T>('GET', qs ? `${path}?${qs}` : path, undefined);
  }

  /**
   * A write with a deterministic Idempotency-Key: the body as canonical JSON, or, for a route that takes none
   * (submit, request-approval), no body and no content-type at all: a strict proxy refuses even `{}` there.
   */
  post<T = unknown>(path: string, body?: unknown): Promise<ApiReply<T>> {
    return this.send<T>('POST', path, body);
  }

  patch<T = unknown>(path: string, body: unknown): Promise<ApiReply<T>> {
    return this.send<T>('PATCH', path, body);
  }

  /** A replacement (idempotent by its method: no Idempotency-Key). */
  put<T = unknown>(path: string, body: unknown): Promise<ApiReply<T>> {
    return this.send<T>('PUT', path, body);
  }

  /** A binary download (a PDF): the raw bytes. */
  async download(path: string): Promise<{ bytes: Buffer; contentType: string }> {
    const reply = await this.send<Buffer>('GET', path, undefined, true);
    return { bytes: reply.body, contentType: reply.headers.get('content-type') ?? '' };
  }

  private keyFor(method: string, path: string, body: unknown): string {
    if (this.options.idempotencyKey && !this.keyUsed) {
      this.keyUsed = true;
      return this.options.idempotencyKey;
    }
    return idempotencyKey(this.options.scope, method, path, body);
  }

  private async send<T>(method: string, path: string, body: unknown, binary = false): Promise<ApiReply<T>> {
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : `${this.base.href}/`);
    const token = await this.options.token();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = canonicalBody(body);
      headers['content-type'] = 'application/json';
    }
    if (method === 'POST') headers['idempotency-key'] = this.keyFor(method, url.pathname, body);
    const attempts = Math.max(1, this.options.retries + 1);
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method,
          headers,
          ...(payload !== undefined ? { body: payload } : {}),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
      } catch (error) {
        const cause = causeOf(error);
        if (!last) {
          await this.backoff(attempt, `${method} ${url.pathname}: ${cause}`);
          continue;
        }
        throw new CliError(EXIT.network, `could not reach the API at ${url.host} (${cause})`, [
          `check --api / GOVERN_API_URL (${this.base.origin}), that the API is running and that this machine can reach it`,
          `gave up after ${attempts} attempt(s)`,
        ]);
      }
      const retryable = response.status >= 500 || (response.status === 409 && (await isInProgress(response)));
      if (retryable && !last) {
        await response.body?.cancel().catch(() => undefined);
        await this.backoff(attempt, `${method} ${url.pathname}: ${response.status}`);
        continue;
      }
      return this.read<T>(method, url, response, binary);
    }
  }

  private async backoff(attempt: number, what: string) {
    const base = this.options.backoffMs ?? 250;
    const wait = Math.round(base * 2 ** attempt * (0.5 + Math.random() / 2));
    this.options.log?.(`retrying ${what} in ${wait} ms`);
    await sleep(wait);
  }

  private async read<T>(method: string, url: URL, response: Response, binary: boolean): Promise<ApiReply<T>> {
    const replayed = response.headers.get('idempotent-replayed') === 'true';
    const contentType = response.headers.get('content-type') ?? '';
    if (response.ok) {
      if (binary) {
        const bytes = Buffer.from(await response.arrayBuffer());
        return { status: response.status, headers: response.headers, body: bytes as T, replayed };
      }
      const text = await response.text();
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new CliError(
            EXIT.unexpected,
            `${method} ${url.pathname} answered ${response.status} with a non-JSON body`,
          );
        }
      }
      return { status: response.status, headers: response.headers, body: body as T, replayed };
    }
    const text = await response.text().catch(() => '');
    let problem: Problem | null = null;
    if (contentType.includes('json') && text) {
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = null;
      }
    }
    const code = exitCodeOf(response.status, problem);
    const lines = describeProblem(response.status, problem, response.statusText);
    if (code === EXIT.server) lines.push('the API failed; retry later, and report the request if it persists');
    if (code === EXIT.auth && response.status === 401) {
      lines.push('check GOVERN_TOKEN (expired? minted for this API?) or the OIDC audience (GOVERN_OIDC_AUDIENCE)');
    }
    throw new CliError(code, `${method} ${url.pathname} failed: ${lines[0]}`, lines.slice(1), problem ?? undefined);
  }
}

async function isInProgress(response: Response): Promise<boolean> {
  const copy = response.clone();
  const body = (await copy.json().catch(() => null)) as Problem | null;
  return body?.code === 'IDEMPOTENCY_IN_PROGRESS';
}
