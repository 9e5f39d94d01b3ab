// End to end: the EU AI Act report of the seeded support-triage assistant, downloaded over HTTP from the local stack
// and parsed as a PDF, holds the figures the API itself serves: the active release's eval run, the reviewers who
// approved, the incidents (with a serious incident's Art. 73 clock), and the audit chain's verification. Auditors
// may download it; others get a 404.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNumber } from '../../functions/domain/eval/verdict.js';
import type { AiSystem, AuditEvent, EvalRun, Incident, ReleaseCandidate } from '../../functions/domain/types.js';
import type { LocalStack } from '../../local/stack.js';
import { apiClient } from '../support/http.js';
import { startSeededStack } from '../support/seeded-stack.js';

type Page<T> = { items: T[]; nextCursor: string | null };

let stack: LocalStack;
let dataDir: string;
let system: AiSystem;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

async function download(token: string | undefined, systemId: string) {
  const res = await fetch(`${stack.url}/api/systems/${systemId}/reports/eu-ai-act`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function pdfText(bytes: Buffer): Promise<string> {
  const parsed = await new PDFParse({ data: new Uint8Array(bytes) }).getText();
  return parsed.text.replace(/\s+/g, ' ');
}

async function all<T>(client: ReturnType<typeof as>, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: { status: number; body: Page<T> } = await client.get<Page<T>>(
      `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-report-'));
  stack = (
    await startSeededStack({
      dataDir,
      tableName: `e2e-report-${Date.now()}`,
      auditDigestIntervalMs: 3_600_000,
    })
  ).stack;
  const found = await as('aud.auditor').get<Page<AiSystem>>('/api/systems?q=support%20triage');
  const triage = found.body.items.find((s) => s.name === 'Consumer Support Triage Assistant');
  if (!triage) throw new Error('the seed has no support-triage assistant');
  system = triage;
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the EU AI Act report of the seeded support-triage assistant', () => {
  it('is a PDF whose text holds the figures, people, incidents and chain status the API serves', async () => {
    const auditor = as('aud.auditor');
    const productionId = system.activeReleases.production;
    if (!productionId) throw new Error('the seeded triage assistant has no production release');
    const release = (await auditor.get<ReleaseCandidate>(`/api/release-candidates/${productionId}`)).body;
    const run = (await auditor.get<EvalRun>(`/api/eval-runs/${release.latestEvalRunId}`)).body;
    const incidents = await all<Incident>(auditor, `/api/incidents?systemId=${system.id}`);
    const events = await all<AuditEvent>(auditor, `/api/audit-events?systemId=${system.id}&order=asc`);
    const reviewers = [...new Set(events.filter((e) => e.action === 'approval.approved').map((e) => e.actor.name))];
    const verify = await auditor.get<{ table: { ok: boolean; events: number; headHash: string } }>(
      `/api/audit-events/verify?systemId=${system.id}`,
    );

    const res = await download(stack.tokens['aud.auditor']?.token, system.id);
    const text = await pdfText(res.bytes);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="eu-ai-act-report-${system.id}-\\d{4}-\\d{2}-\\d{2}\\.pdf"$`),
    );
    expect(res.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(text).toContain(system.name);
    expect(text).toContain(system.euAiActCategory);
    expect(text).toContain(`Active in production ${release.name} (${release.id})`);
    expect(run.metrics?.accuracy).toBeTypeOf('number');
    for (const v of run.thresholdVerdicts) {
      expect(text).toContain(
        `${v.metric} ${v.direction} ${formatNumber(v.threshold)} ${v.actual === null ? '-' : formatNumber(v.actual)}`,
      );
    }
    expect(text).toContain(formatNumber(run.metrics?.accuracy as number));
    expect(text).toContain(formatNumber(run.metrics?.costMeanUsd as number));
    expect(reviewers.length).toBeGreaterThanOrEqual(3);
    for (const name of reviewers) expect(text).toContain(name);
    expect(incidents.length).toBeGreaterThan(0);
    for (const incident of incidents) expect(text).toContain(incident.title);
    expect(verify.body.table.ok).toBe(true);
    expect(text).toContain('Table chain verification verified');
    expect(text).toContain(`Audit events ${verify.body.table.events}`);
    expect(text).toContain(`Head hash ${verify.body.table.headHash}`);
    expect(text).toContain(res.headers.get('x-report-content-hash') as string);
    // The governance policy in force (the seed runs under the genesis version) as GET /api/policies serves it
    const policies = await as('aud.auditor').get<{ active: { version: number; documentHash: string } }>(
      '/api/policies',
    );
    expect(text).toContain('Governance policy');
    expect(text).toContain(`Version in force v${policies.body.active.version}`);
    expect(text).toContain(`Document hash (SHA-256) ${policies.body.active.documentHash}`);
  }, 60_000);

  it('may be downloaded by an owner of the system, and not by a model owner of another team or a stranger', async () => {
    const other = await stack.mint({
      userId: 'olga.other',
      name: 'Olga Other',
      roles: ['model_owner'],
      teams: ['claims-ai'],
      systems: [],
    });

    const owner = await download(stack.tokens['omar.owner']?.token, system.id);
    const otherTeam = await download(other, system.id);
    const anonymous = await download(undefined, system.id);

    expect(owner.status).toBe(200);
    expect(otherTeam.status).toBe(404);
    expect(otherTeam.headers.get('content-type')).toContain('application/problem+json');
    expect(anonymous.status).toBe(401);
  }, 60_000);

  it("prints a serious incident's Art. 73 clock as the API recorded it", async () => {
    const awareAt = new Date(Date.now() - 3_600_000).toISOString();
    const opened = await as('omar.owner').post<Incident>('/api/incidents', {
      systemId: system.id,
      title: 'Health-related complaint routed as low priority',
      description: 'A ticket reporting a health risk waited two days in the general queue.',
      severity: 'low',
      seriousIncident: { category: 'health', awareAt, memberState: 'DE' },
    });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const deadline = opened.body.seriousIncident?.reportingDeadline as string;
    const printed = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

    const text = await pdfText((await download(stack.tokens['aud.auditor']?.token, system.id)).bytes);

    expect(deadline).toMatch(/^\d{4}-/);
    expect(text).toContain('Health-related complaint routed as low priority');
    expect(text).toContain('Serious incident (Art. 73) category health');
    expect(text).toContain(`Aware at ${printed(awareAt)}`);
    expect(text).toContain(`Reporting deadline ${printed(deadline)}`);
    expect(text).toContain('Reporting status due');
    expect(text).toContain('Member State DE');
  }, 60_000);
});
