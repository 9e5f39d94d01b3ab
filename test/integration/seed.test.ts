import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  APPROVAL_STATUSES,
  type ApprovalRecord,
  type AuditEvent,
  DATASET_KINDS,
  type EvalRun,
  type ModelConfigVersion,
  type ReleaseCandidate,
} from '../../functions/domain/types.js';
import type { GovernanceStore, Page } from '../../functions/store/index.js';
import { createMemoryEvidenceStore } from '../../functions/store/memory-evidence-store.js';
import { allPages } from '../../functions/store/pagination.js';
import { EVAL_SERVICE_ACTOR } from '../../functions/workflows/eval-steps.js';
import { SYSTEM_KEYS } from '../../seed/catalog.js';
import type { DemoSummary } from '../../seed/demo.js';
import { type SeededDemo, seedIfEmpty } from '../../seed/load.js';
import { DEMO_USERS, demoActor, demoPrincipal } from '../../seed/users.js';
import { rollbackAndWait } from '../support/check-runs.js';
import { restoreSeededItems, type SeededDemoDump, seededDemoDump } from '../support/seeded-demo.js';
import { createTestStore } from '../support/store.js';
import { snapshotTable, type TableSnapshot } from '../support/table-snapshot.js';

// The run's global setup seeded the demo once, through a local stack as `npm start` does (test/global-setup.ts);
// this file reads what that seed wrote, restored once into its own table, instead of seeding a second time. Both
// describes read that table; the judged story first puts back what the walkthrough cases below changed (a table
// snapshot that follows the writes: every write of this file goes through the store's client).
let store: GovernanceStore;
let tableName: string;
let drop: () => Promise<void>;
let dump: SeededDemoDump;
let restored: TableSnapshot;
beforeAll(async () => {
  ({ store, tableName, drop } = await createTestStore());
  dump = await seededDemoDump(inject('seededDemoDir'));
  await restoreSeededItems(store.ctx.doc, tableName, dump);
  restored = await snapshotTable(store.ctx.doc, tableName, { trackWrites: true });
}, 120_000);
afterAll(async () => drop?.());

describe('the demo seed', () => {
  let summary: DemoSummary;
  let systemIds: string[];
  let candidates: ReleaseCandidate[];
  let runs: EvalRun[];
  /** Ids of the provider story `npm start` seeds on top of the demo (README): this file counts the demo's own. */
  let providerStory: Set<string>;

  beforeAll(async () => {
    summary = dump.summary;
    systemIds = Object.values(summary.systems);
    const everyCandidate = (
      await Promise.all(systemIds.map((systemId) => allPages((p) => store.candidates.listCandidates({ systemId }, p))))
    ).flat();
    const provider = (dump.summary as SeededDemo).providerDemo;
    const providerCandidate = everyCandidate.find((c) => c.id === provider?.candidateId);
    providerStory = new Set(
      provider && providerCandidate
        ? [
            provider.candidateId,
            provider.evalRunId,
            providerCandidate.modelConfigId,
            // The Policy Summary Assistant's judged story (ADR 0039): its judge, the judge's model, dataset, run.
            ...Object.values(provider.judged),
          ]
        : [],
    );
    candidates = everyCandidate.filter((c) => !providerStory.has(c.id));
    runs = (
      await Promise.all(candidates.map((c) => allPages((p) => store.evalRuns.listEvalRuns({ candidateId: c.id }, p))))
    ).flat();
  }, 120_000);

  it('registers the four systems of the demo profile with their risk tiers and EU AI Act fields', async () => {
    const systems = await allPages((p) => store.systems.listSystems(p));
    expect(systems).toHaveLength(4);
    const byName = Object.fromEntries(systems.map((s) => [s.name, s]));
    expect(Object.fromEntries(systems.map((s) => [s.name, [s.riskTier, s.euAiActCategory, s.ownerTeam]]))).toEqual({
      'Consumer Support Triage Assistant': ['high', 'limited', 'support-ai'],
      'Policy Summary Assistant': ['medium', 'limited', 'docs-ai'],
      'Support Note Classifier': ['low', 'minimal', 'support-ai'],
      'Evidence Extractor': ['critical', 'high', 'claims-ai'],
    });
    for (const system of systems) {
      expect(system.intendedPurpose.length).toBeGreaterThan(40);
      expect(system.dataSources.length).toBeGreaterThan(0);
      expect(system.humanOversight.length).toBeGreaterThan(40);
    }
    expect(byName['Consumer Support Triage Assistant']?.id).toBe(summary.systems['support-triage']);
  });

  it('registers eight prompt versions and eight model configs, every config with its lineage', async () => {
    const prompts = (
      await Promise.all(
        systemIds.map((systemId) => allPages((p) => store.artefacts.listArtefacts('prompt', { systemId }, p))),
      )
    ).flat();
    const configs = (
      await Promise.all(
        systemIds.map((systemId) =>
          allPages(
            (p) => store.artefacts.listArtefacts('model_config', { systemId }, p) as Promise<Page<ModelConfigVersion>>,
          ),
        ),
      )
    ).flat();
    expect(prompts).toHaveLength(8);
    expect(configs.filter((c) => !providerStory.has(c.id))).toHaveLength(8);
    for (const config of configs) {
      expect(config.lineage.artifactUri).not.toBe('');
      expect(config.lineage.trainingDataVersion).not.toBe('');
      expect(config.lineage.codeCommit).toMatch(/^[0-9a-f]{7,40}$/);
    }
  });

  it('loads thirteen datasets with 80 cases of all five kinds from the JSONL files under evals/', async () => {
    const datasets = (
      await Promise.all(systemIds.map((systemId) => allPages((p) => store.datasets.listDatasets({ systemId }, p))))
    ).flat();
    const demoDatasets = datasets.filter((d) => !providerStory.has(d.id));
    expect(demoDatasets).toHaveLength(13);
    expect(demoDatasets.reduce((n, d) => n + d.caseCount, 0)).toBe(80);
    expect(new Set(datasets.map((d) => d.kind))).toEqual(new Set(DATASET_KINDS));
    const cases = (await Promise.all(demoDatasets.map((d) => store.datasets.allDatasetCases(d.id)))).flat();
    expect(cases).toHaveLength(80);
    expect(cases.some((c) => c.tags.includes('lang:en') && c.tags.includes('segment:enterprise'))).toBe(true);
  });

  it('leaves nine candidates judged by 21 eval runs, re-runs included', () => {
    expect(candidates).toHaveLength(9);
    expect(runs).toHaveLength(21);
    expect(runs.filter((r) => r.status === 'passed')).toHaveLength(13);
    expect(runs.filter((r) => r.status === 'failed')).toHaveLength(5);
    expect(runs.filter((r) => r.status === 'error')).toHaveLength(3);
    const runsPerCandidate = new Map<string, number>();
    for (const r of runs) runsPerCandidate.set(r.candidateId, (runsPerCandidate.get(r.candidateId) ?? 0) + 1);
    expect([...runsPerCandidate.values()].filter((n) => n > 1).length).toBeGreaterThanOrEqual(6);
  });

  it('records 18 approval decisions and requests: approved, rejected, changes requested and pending', async () => {
    const approvals: ApprovalRecord[] = [];
    for (const status of APPROVAL_STATUSES)
      approvals.push(...(await allPages((p) => store.approvals.listApprovals({ status }, p))));
    expect(approvals).toHaveLength(18);
    const byStatus = Object.fromEntries(
      APPROVAL_STATUSES.map((s) => [s, approvals.filter((a) => a.status === s).length]),
    );
    expect(byStatus).toEqual({ pending: 3, approved: 13, rejected: 1, changes_requested: 1, expired: 0 });
    const candidateAuthors = new Map(candidates.map((c) => [c.id, c.createdBy]));
    for (const a of approvals.filter((x) => x.reviewerId !== null)) {
      expect(a.reviewerId).not.toBe(candidateAuthors.get(a.candidateId));
    }
  });

  it('tracks three incidents, one of them resolved after the rollback', async () => {
    const incidents = (
      await Promise.all(systemIds.map((systemId) => allPages((p) => store.incidents.listIncidents({ systemId }, p))))
    ).flat();
    expect(incidents).toHaveLength(3);
    expect(incidents.every((i) => i.candidateId !== null)).toBe(true);
    const triage = await store.incidents.getIncident(summary.rollback.incidentId);
    expect([triage.severity, triage.status]).toEqual(['high', 'resolved']);
  });

  it("turns omar.owner's resolution of the blocking triage incident into a request that rahul.risk approved", async () => {
    const requests = await store.relaxations.listRelaxations({ systemId: summary.triage.systemId }, { limit: 10 });
    expect(requests.items).toHaveLength(1);
    expect(requests.items[0]).toMatchObject({
      kind: 'incident-resolution',
      subject: { type: 'incident', id: summary.rollback.incidentId },
      from: 'high',
      to: 'resolved',
      status: 'approved',
      requestedBy: { userId: 'omar.owner' },
      decidedBy: { userId: 'rahul.risk' },
    });
    const events = await allPages((p) => store.audit.listAuditEvents({ systemId: summary.triage.systemId }, p));
    const resolved = events.find((e) => e.action === 'incident.resolved');
    expect(resolved?.actor.userId).toBe('rahul.risk');
    expect(
      events
        .filter((e) => e.action.startsWith('relaxation.'))
        .map((e) => e.action)
        .sort(),
    ).toEqual(['relaxation.approved', 'relaxation.requested']);
  });

  it('declares the evidence incident a serious incident whose Art. 73 report the overview lists as coming due', async () => {
    const evidence = await store.incidents.getIncident(summary.incidents['evidence-currency']);
    const clock = evidence.seriousIncident;
    expect(clock).toMatchObject({ category: 'widespread_infringement', memberState: 'DE', initialReportAt: null });
    expect(Date.parse(clock?.reportingDeadline ?? '') - Date.parse(clock?.awareAt ?? '')).toBe(2 * 86_400_000);
    const overview = await store.overview.registrySummary({ systemIds: [], visible: () => true });
    expect(overview.reportingDeadlines.map((d) => [d.incidentId, d.systemName])).toEqual([
      [evidence.id, 'Evidence Extractor'],
    ]);
  });

  it('records four promotions and one rollback, which is itself a promotion event of kind rollback', async () => {
    const events = (await Promise.all(systemIds.map((id) => store.candidates.promotionHistory(id)))).flat();
    expect(events.filter((e) => e.kind === 'promote')).toHaveLength(4);
    expect(events.filter((e) => e.kind === 'rollback')).toHaveLength(1);
    const rollbacks = (await Promise.all(systemIds.map((id) => store.candidates.rollbackHistory(id)))).flat();
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({
      fromCandidateId: summary.candidates['triage-2'],
      toCandidateId: summary.candidates['triage-1'],
      incidentId: summary.rollback.incidentId,
    });
    expect((await store.candidates.getCandidate(summary.candidates['triage-2'])).status).toBe('rolled_back');
    expect((await store.systems.getSystem(summary.triage.systemId)).activeReleases.production).toBe(
      summary.candidates['triage-1'],
    );
  });

  it('writes at least 78 audit events and every system chain verifies', async () => {
    let total = 0;
    let providerEvents = 0;
    for (const systemId of systemIds) {
      const events: AuditEvent[] = await allPages((p) => store.audit.listAuditEvents({ systemId }, p));
      total += events.length;
      providerEvents += events.filter((e) => providerStory.has(e.entityId)).length;
      const chain = await store.audit.verifyStoredChain(systemId);
      expect(chain).toMatchObject({ ok: true, events: events.length, brokenAt: null });
    }
    expect(total).toBeGreaterThanOrEqual(78);
    expect(summary.counts.auditEvents).toBe(total - providerEvents);
  });

  it('spreads the history over the three weeks before now', async () => {
    const events = await allPages((p) =>
      store.audit.listAuditEvents({ systemId: summary.triage.systemId, order: 'asc' }, p),
    );
    const first = Date.parse(events[0]?.at ?? '');
    const last = Date.parse(events.at(-1)?.at ?? '');
    // The seed clock starts at 08:00 UTC 21 days before the seed ran; the first event is an hour later.
    const historyStart = Date.parse(summary.historyStart ?? '');
    expect(new Date(historyStart).toISOString()).toMatch(/T08:00:00\.000Z$/);
    expect(Math.round((Date.now() - historyStart) / 86_400_000)).toBeGreaterThanOrEqual(21);
    expect(Math.round((Date.now() - historyStart) / 86_400_000)).toBeLessThanOrEqual(22);
    expect(first).toBe(historyStart + 3_600_000);
    expect(last - first).toBeGreaterThan(18 * 86_400_000);
    expect(last).toBeLessThanOrEqual(Date.now());
    expect(events.map((e) => e.at)).toEqual([...events.map((e) => e.at)].sort());
  });

  it('acts only as the demo users, and never lets an author review their own work', async () => {
    const users = new Set<string>(DEMO_USERS.map((u) => u.id));
    const events = (
      await Promise.all(systemIds.map((systemId) => allPages((p) => store.audit.listAuditEvents({ systemId }, p))))
    ).flat();
    const actors = new Set(events.map((e) => e.actor.userId));
    expect([...actors].filter((a) => !users.has(a) && a !== EVAL_SERVICE_ACTOR.userId)).toEqual([]);
    expect(candidates.every((c) => c.createdBy === 'omar.owner' || c.createdBy === 'ci.pipeline')).toBe(true);
  });

  it('blocks the triage candidate whose latest eval failed on schemaValidRate and latencyP95Ms, approvals incomplete', async () => {
    const blocked = await store.candidates.getCandidate(summary.triage.blockedCandidateId);
    expect(blocked.status).toBe('eval_failed');
    const run = await store.evalRuns.getEvalRun(blocked.latestEvalRunId as string);
    expect(run.status).toBe('failed');
    expect(run.id).toBe(summary.triage.blockedEvalRunId);
    expect(
      run.thresholdVerdicts
        .filter((v) => !v.passed)
        .map((v) => v.metric)
        .sort(),
    ).toEqual(['latencyP95Ms', 'schemaValidRate']);
    expect(run.thresholdVerdicts.find((v) => v.metric === 'accuracy')?.passed).toBe(true);
    const gate = await store.candidates.candidateGate(blocked.id);
    expect(gate.promotable).toBe(false);
    expect(gate.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['EVAL_FAILED', 'APPROVALS_INCOMPLETE']));
  });

  it('does nothing when asked to seed a table that already holds systems', async () => {
    expect(await seedIfEmpty({ doc: store.ctx.doc, tableName, evidence: createMemoryEvidenceStore() })).toBeNull();
    expect(await allPages((p) => store.systems.listSystems(p))).toHaveLength(4);
  });

  it('lets the three required reviewers approve the awaiting triage candidate, which then replaces the active release', async () => {
    const id = summary.triage.awaitingApprovalCandidateId;
    const awaiting = await store.candidates.getCandidate(id);
    expect(awaiting.status).toBe('awaiting_approval');
    expect(awaiting.latestEvalStatus).toBe('passed');
    expect(Object.keys(summary.triage.pendingApprovalIds).sort()).toEqual(['product', 'risk', 'technical']);
    const reviewers = { technical: 'tessa.technical', product: 'priya.product', risk: 'rahul.risk' } as const;
    for (const [role, reviewer] of Object.entries(reviewers)) {
      const approvalId = summary.triage.pendingApprovalIds[role as keyof typeof reviewers] as string;
      await store.approvals.decideApproval(demoPrincipal(reviewer), approvalId, 'approved', 'Evidence reviewed.');
    }
    const active = (await store.systems.getSystem(summary.triage.systemId)).activeReleases.production;
    expect(active).toBe(summary.triage.activeReleaseId);
    expect((await store.candidates.candidateGate(id)).reasons).toEqual([]);
    await store.candidates.promoteCandidate(demoActor('omar.owner'), id, { expectedActiveCandidateId: active });
    expect((await store.systems.getSystem(summary.triage.systemId)).activeReleases.production).toBe(id);
    expect((await store.candidates.getCandidate(summary.triage.activeReleaseId)).status).toBe('superseded');
  });

  it('validates release 1 on the rollback-smoke set when the walkthrough rolls release 4 back, and lets it proceed', async () => {
    const id = summary.triage.awaitingApprovalCandidateId;
    const { settled } = await rollbackAndWait(store, demoActor('omar.owner'), id, { reason: 'walkthrough step 5' });
    expect(settled.targetCandidateId).toBe(summary.triage.activeReleaseId);
    expect(settled).toMatchObject({ status: 'rolled_back' });
    expect(settled.validation).toMatchObject({ status: 'passed', decision: 'proceed', mode: 'block' });
  });

  it('reports the counts it measured in its summary', () => {
    expect(summary.counts).toMatchObject({
      systems: 4,
      promptVersions: 8,
      modelConfigs: 8,
      datasets: 13,
      evalCases: 80,
      datasetKinds: [...DATASET_KINDS].sort(),
      candidates: 9,
      evalRuns: 21,
      approvals: 18,
      incidents: 3,
      promotionEvents: { promote: 4, rollback: 1 },
      rollbackRecords: 1,
    });
    expect(Object.keys(summary.counts.auditEventsBySystem).sort()).toEqual([...SYSTEM_KEYS].sort());
  });

  it('keeps the pasted-thread regression set, collected after the releases, out of every candidate', async () => {
    const triage = summary.systems['support-triage'];
    const datasets = await allPages((p) => store.datasets.listDatasets({ systemId: triage }, p));
    const late = datasets.find((d) => d.name === 'pasted-thread-regression');
    expect(late).toMatchObject({ kind: 'regression', caseCount: 16 });
    expect(candidates.filter((c) => c.datasetIds.includes(late?.id as string))).toEqual([]);
  });
});

describe('the judged story of the demo seed', () => {
  it('gates a Policy Summary candidate with the approved judge its dataset names, through the local model server', async () => {
    // Prepare
    await restored.restore();
    const judged = (dump.summary as SeededDemo).providerDemo?.judged;

    // Act
    const context = judged ? await store.candidates.candidateContext(judged.candidateId) : null;
    const run = judged ? await store.evalRuns.getEvalRun(judged.evalRunId) : null;

    // Assess
    expect(context?.candidate.systemId).toBe(dump.summary.systems['policy-summary']);
    expect(context?.sides[0]?.judgeConfigs.map((j) => [j.id, j.name, j.version, j.status])).toEqual([
      [judged?.judgeConfigId, 'policy-answer-judge', 1, 'approved'],
    ]);
    expect(run).toMatchObject({
      status: 'passed',
      metrics: { 'assert.no-legal-advice': 1, 'assert.no-guarantee': 1 },
    });
  });
});
