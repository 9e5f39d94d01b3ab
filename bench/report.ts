// EU AI Act report generation for a system with a long history: 50 releases (each with its gate run, three approvals
// and a promotion), monitoring runs, incidents and 1,000 audit events, loaded into DynamoDB Local with the store's own
// key builders and chain builder. Measures reading the inputs, building the model and rendering the PDF (median of a
// few runs), and the PDF's size and page count.
import { CreateTableCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { buildAuditEvent } from '../functions/domain/audit-chain.js';
import { buildComplianceReport } from '../functions/domain/compliance-report.js';
import { newId } from '../functions/domain/ids.js';
import type {
  AuditEvent,
  EvalRun,
  Incident,
  Metrics,
  PromotionEvent,
  ReleaseCandidate,
  ReviewerRole,
} from '../functions/domain/types.js';
import { renderEuAiActPdf } from '../functions/reports/eu-ai-act-pdf.js';
import { batchPut } from '../functions/store/batch-write.js';
import { createDocumentClient } from '../functions/store/client.js';
import { incidentItem } from '../functions/store/incidents.js';
import { createStore, type GovernanceStore } from '../functions/store/index.js';
import { keys } from '../functions/store/keys.js';
import { getItem } from '../functions/store/query.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { auditItem } from '../functions/store/unit-of-work.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { cases, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';

const RELEASES = 50;
const AUDIT_EVENTS = 1000;
const MONITORING_RUNS = 20;
const INCIDENTS = 6;
const RUNS = 5;

const owner = { userId: 'omar.owner', name: 'Omar Owner', roles: ['model_owner' as const] };
const REVIEWERS: Record<ReviewerRole, { userId: string; name: string }> = {
  technical: { userId: 'tessa.technical', name: 'Tessa Technical' },
  product: { userId: 'priya.product', name: 'Priya Product' },
  risk: { userId: 'rahul.risk', name: 'Rahul Risk' },
  governance: { userId: 'greta.governance', name: 'Greta Governance' },
};

const at = (base: number, minutes: number) => new Date(base + minutes * 60_000).toISOString();

function metrics(i: number): Metrics {
  return {
    accuracy: 0.86 + (i % 10) / 100,
    macroF1: 0.84 + (i % 10) / 100,
    schemaValidRate: 0.99,
    latencyMeanMs: 400 + i,
    latencyP95Ms: 700 + 2 * i,
    costMeanUsd: 0.0031 + i / 100_000,
    timeoutRate: 0,
    fallbackSuccessRate: 1,
    sliceAccuracyGap: 0.04,
  };
}

/** One system with RELEASES releases, their runs, approvals and promotions, incidents and AUDIT_EVENTS events. */
async function loadHistory(store: GovernanceStore): Promise<string> {
  const { system } = await store.systems.createSystem(owner, systemInput({ riskTier: 'high' }));
  const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
  const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
  const dataset = await store.datasets.createDataset(owner, {
    systemId: system.id,
    name: 'baseline',
    kind: 'baseline',
    description: 'bench',
    cases: cases(20),
  });
  const meta = await getItem(store.ctx, keys.system(system.id));
  let head = { seq: meta?.auditSeq as number, hash: meta?.auditHash as string };
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  const items: Record<string, unknown>[] = [];
  const audits: AuditEvent[] = [];
  const audit = (
    action: string,
    entityType: string,
    entityId: string,
    when: string,
    after: Record<string, unknown>,
  ) => {
    const actor = entityType === 'approval' ? { ...REVIEWERS[after.role as ReviewerRole], roles: [] } : owner;
    const event = buildAuditEvent(head, {
      systemId: system.id,
      action,
      entityType,
      entityId,
      actor,
      at: when,
      before: null,
      after,
      reason: entityType === 'approval' ? 'Evidence reviewed.' : null,
    });
    head = { seq: event.seq, hash: event.hash };
    audits.push(event);
  };
  let previous: string | null = null;
  const roles: ReviewerRole[] = ['technical', 'product', 'risk'];
  for (let i = 0; i < RELEASES; i++) {
    const id = newId('rc');
    const runId = newId('run');
    const t = i * 24 * 60;
    const last = i === RELEASES - 1;
    const candidate: ReleaseCandidate = {
      id,
      systemId: system.id,
      name: `release ${i + 1}`,
      environment: 'production',
      promptVersionId: prompt.id,
      promptContentHash: prompt.contentHash,
      modelConfigId: config.id,
      modelConfigContentHash: config.contentHash,
      datasetIds: [dataset.id],
      thresholds: [],
      snapshotHash: `sha256:${String(i).padStart(64, '0')}`,
      status: last ? 'active' : 'superseded',
      latestEvalRunId: runId,
      latestEvalStatus: 'passed',
      requiredRoles: roles,
      approvalIds: [],
      policyVersion: 1,
      notes: '',
      createdAt: at(base, t),
      createdBy: 'ci.pipeline',
      submittedAt: at(base, t + 1),
      activatedAt: at(base, t + 60),
      deactivatedAt: last ? null : at(base, t + 24 * 60 + 60),
      version: 8,
    };
    const m = metrics(i);
    const run: EvalRun = {
      id: runId,
      systemId: system.id,
      candidateId: id,
      snapshotHash: candidate.snapshotHash,
      executor: 'simulated',
      status: 'passed',
      totalCases: 200,
      casesDone: 200,
      metrics: m,
      slices: ['lang:en', 'lang:de', 'lang:fr', 'lang:es'].map((slice) => ({
        slice,
        cases: 50,
        accuracy: m.accuracy ?? 0,
      })),
      thresholdVerdicts: (['accuracy', 'macroF1', 'latencyP95Ms', 'costMeanUsd'] as const).map((metric) => ({
        metric,
        direction: metric === 'accuracy' || metric === 'macroF1' ? 'min' : 'max',
        threshold: metric === 'latencyP95Ms' ? 1500 : metric === 'costMeanUsd' ? 0.01 : 0.8,
        actual: m[metric],
        passed: true,
      })),
      comparisons: previous
        ? [
            {
              baseline: 'active',
              candidateId: previous,
              evalRunId: 'run_prev',
              deltas: [{ metric: 'accuracy', baseline: 0.87, actual: m.accuracy, tolerance: 0.02, passed: true }],
              passed: true,
            },
          ]
        : [],
      failureReasons: [],
      error: null,
      createdAt: at(base, t + 2),
      createdBy: 'ci.pipeline',
      startedAt: at(base, t + 2),
      finishedAt: at(base, t + 10),
      purpose: 'gate',
    };
    const promotion: PromotionEvent = {
      id: newId('prm'),
      systemId: system.id,
      environment: 'production',
      kind: 'promote',
      candidateId: id,
      previousCandidateId: previous,
      actor: 'omar.owner',
      reason: `release ${i + 1}`,
      at: at(base, t + 60),
    };
    items.push(
      { ...keys.candidate(id), ...keys.candidateIndexes(system.id, id), itemType: 'candidate', ...candidate },
      { ...keys.evalRun(runId), ...keys.evalRunIndexes(id, runId), itemType: 'eval_run', ...run },
      { ...keys.promotion(system.id, promotion.id), itemType: 'promotion', ...promotion },
    );
    if (i < MONITORING_RUNS) {
      const monitoringId = newId('run');
      items.push({
        ...keys.evalRun(monitoringId),
        ...keys.evalRunIndexes(id, monitoringId),
        itemType: 'eval_run',
        ...run,
        id: monitoringId,
        purpose: 'monitoring',
        createdAt: at(base, t + 12 * 60),
        finishedAt: at(base, t + 12 * 60 + 5),
      });
    }
    audit('candidate.created', 'candidate', id, candidate.createdAt, { status: 'draft' });
    audit('eval_run.queued', 'eval_run', runId, run.createdAt, { status: 'queued' });
    for (const [k, role] of roles.entries()) {
      audit('approval.approved', 'approval', newId('apr'), at(base, t + 20 + k), {
        status: 'approved',
        role,
        candidateId: id,
      });
    }
    audit('release.promoted', 'candidate', id, promotion.at, { status: 'active', environment: 'production' });
    previous = id;
  }
  for (let i = 0; i < INCIDENTS; i++) {
    const incident: Incident = {
      id: newId('inc'),
      systemId: system.id,
      candidateId: null,
      title: `Bench incident ${i + 1}`,
      description: 'Misrouted tickets reported by agents.',
      severity: 'medium',
      status: 'resolved',
      resolution: 'Prompt wording fixed in the next release.',
      createdAt: at(base, i * 7 * 24 * 60),
      createdBy: 'omar.owner',
      updatedAt: at(base, i * 7 * 24 * 60 + 60),
      resolvedAt: at(base, i * 7 * 24 * 60 + 60),
      version: 2,
    };
    items.push(incidentItem(incident));
  }
  // Fill the chain up to AUDIT_EVENTS with the reads and notes a busy system accumulates.
  while (head.seq < AUDIT_EVENTS) audit('incident.updated', 'incident', 'inc_bench', at(base, 80_000 + head.seq), {});
  await batchPut(store.ctx, [...items, ...audits.map(auditItem)]);
  await store.ctx.doc.send(
    new UpdateItemCommand({
      TableName: store.ctx.tableName,
      Key: { pk: { S: keys.system(system.id).pk }, sk: { S: 'META' } },
      UpdateExpression: 'SET auditSeq = :seq, auditHash = :hash, activeReleases.production = :active',
      ExpressionAttributeValues: {
        ':seq': { N: String(head.seq) },
        ':hash': { S: head.hash },
        ':active': { S: previous as string },
      },
    }),
  );
  return system.id;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => Number(x.toFixed(1));

/** Runs the report benchmark on a DynamoDB Local of its own. */
export async function benchReport(): Promise<Record<string, unknown>> {
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench-report')));
    const store = createStore({ doc, tableName: 'bench-report' });
    const loadStarted = performance.now();
    const systemId = await loadHistory(store);
    const loadMs = performance.now() - loadStarted;
    const read: number[] = [];
    const build: number[] = [];
    const render: number[] = [];
    const total: number[] = [];
    let pdf: Buffer = Buffer.alloc(0);
    let chain = { ok: false, events: 0 };
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      const inputs = await store.reports.reportInputs(systemId);
      const t1 = performance.now();
      const report = buildComplianceReport({
        ...inputs,
        archive: { status: 'not_configured' },
        generatedAt: new Date().toISOString(),
        generatedBy: 'bench',
      });
      const t2 = performance.now();
      pdf = await renderEuAiActPdf(report);
      const t3 = performance.now();
      chain = inputs.chain;
      if (i === 0) continue; // warm-up: module loading and JIT
      read.push(t1 - t0);
      build.push(t2 - t1);
      render.push(t3 - t2);
      total.push(t3 - t0);
    }
    const pages = pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length ?? 0;
    return {
      system: { releases: RELEASES, auditEvents: chain.events, chainVerified: chain.ok, loadMs: ms(loadMs) },
      runs: RUNS,
      medianMs: {
        readInputs: ms(median(read)),
        buildModel: ms(median(build)),
        renderPdf: ms(median(render)),
        total: ms(median(total)),
      },
      pdf: { bytes: pdf.length, kib: Number((pdf.length / 1024).toFixed(1)), pages },
    };
  } finally {
    await dynamo.stop();
  }
}
