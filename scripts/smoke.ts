// npm run smoke -- --api URL [--system sys_...] [--candidate rc_...]: proves a deployment answers as the local stack
// does. The operator passes a token in GOVERN_TOKEN (a Cognito ID token of a reader of the system, or a pipeline's).
// Checks, each printed with pass or fail: the API is ready (the table answers), a read (systems), the audit archive
// of a system (the table's chain and the archive verify), and a release gate read. Exits 1 when any check fails.
import { pathToFileURL } from 'node:url';

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SmokeOptions {
  /** The API's base URL (the HTTP API's endpoint, or the CloudFront domain that serves /api/*). */
  api: string;
  token: string;
  /** The system whose archive and gate are read; by default the first system the token can read. */
  systemId?: string;
  /** The candidate whose gate is read; by default the system's newest candidate. */
  candidateId?: string;
  fetchImpl?: typeof fetch;
  /** Milliseconds each request may take. */
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

/** Runs the checks in order; a check that needs an earlier one's answer fails with the reason when it has none. */
export async function runSmoke(options: SmokeOptions): Promise<SmokeCheck[]> {
  const base = options.api.replace(/\/+$/, '');
  const fetchImpl = options.fetchImpl ?? fetch;
  const get = async (path: string, auth = true): Promise<{ status: number; body: Json }> => {
    const res = await fetchImpl(`${base}${path}`, {
      headers: auth ? { authorization: `Bearer ${options.token}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let body: Json = {};
    try {
      body = text ? (JSON.parse(text) as Json) : {};
    } catch {
      body = { text: text.slice(0, 200) };
    }
    return { status: res.status, body };
  };
  const checks: SmokeCheck[] = [];
  const check = async (name: string, run: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await run() });
    } catch (error) {
      checks.push({ name, ok: false, detail: (error as Error).message ?? String(error) });
    }
  };
  const answered = (what: string, res: { status: number; body: Json }, status = 200) => {
    if (res.status !== status) {
      const problem = [res.body.code, res.body.detail ?? res.body.title].filter(Boolean).join(': ');
      throw new Error(`${what} answered ${res.status}${problem ? ` (${problem})` : ''}`);
    }
    return res.body;
  };

  await check('health: the API is ready and its table answers', async () => {
    const body = answered('GET /health/ready', await get('/health/ready', false));
    return `status ${String(body.status)}`;
  });

  let systemId = options.systemId;
  await check('read: the token lists systems', async () => {
    const body = answered('GET /api/systems', await get('/api/systems?limit=5'));
    const items = (body.items ?? []) as Json[];
    systemId ??= items[0]?.id as string | undefined;
    if (!systemId) throw new Error('the token can read no system: pass --system');
    return `${items.length} system(s) on the first page; checking ${systemId}`;
  });

  await check('archive: the audit chain and its archive verify', async () => {
    if (!systemId) throw new Error('no system to check');
    const body = answered(
      'GET /api/audit-events/verify',
      await get(`/api/audit-events/verify?systemId=${encodeURIComponent(systemId)}`),
    );
    const table = body.table as { status?: string; brokenAt?: unknown; headSeq?: number } | undefined;
    const archive = body.archive as { status?: string; detail?: string; brokenAt?: { message?: string } } | undefined;
    if (table?.brokenAt) throw new Error(`the table's chain is broken: ${JSON.stringify(table.brokenAt)}`);
    if (archive?.status !== 'ok')
      throw new Error(
        `the archive is ${archive?.status ?? 'missing'}: ${archive?.brokenAt?.message ?? archive?.detail ?? ''}`,
      );
    return `chain head ${String(table?.headSeq ?? '?')}, archive ok`;
  });

  await check('gate: a release candidate gate answers with its reasons', async () => {
    let candidateId = options.candidateId;
    if (!candidateId) {
      if (!systemId) throw new Error('no system to read a candidate of');
      const page = answered(
        'GET /api/release-candidates',
        await get(`/api/release-candidates?systemId=${encodeURIComponent(systemId)}&limit=1`),
      );
      candidateId = ((page.items ?? []) as Json[])[0]?.id as string | undefined;
      if (!candidateId) throw new Error(`${systemId} has no release candidate: pass --candidate`);
    }
    const gate = answered(
      'GET /api/release-candidates/{id}/gate',
      await get(`/api/release-candidates/${encodeURIComponent(candidateId)}/gate`),
    );
    if (!Array.isArray(gate.reasons)) throw new Error('the gate answered without reasons');
    const codes = (gate.reasons as { code?: string }[]).map((r) => r.code).join(', ');
    return `${candidateId}: ${gate.promotable ? 'promotable' : `blocked (${codes})`}`;
  });
  return checks;
}

/** The options of the command line: --api URL, --system ID, --candidate ID; the token from GOVERN_TOKEN. */
export function smokeOptions(argv: string[], env: NodeJS.ProcessEnv): SmokeOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const api = value('--api');
  if (!api) throw new Error('usage: npm run smoke -- --api URL [--system sys_...] [--candidate rc_...]');
  const token = env.GOVERN_TOKEN;
  if (!token) throw new Error('set GOVERN_TOKEN to a token of a user who may read the system');
  const systemId = value('--system');
  const candidateId = value('--candidate');
  return { api, token, ...(systemId ? { systemId } : {}), ...(candidateId ? { candidateId } : {}) };
}

async function main(): Promise<number> {
  let options: SmokeOptions;
  try {
    options = smokeOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const checks = await runSmoke(options);
  for (const c of checks) process.stdout.write(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(
    failed ? `${failed} of ${checks.length} checks failed\n` : `all ${checks.length} checks passed\n`,
  );
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
