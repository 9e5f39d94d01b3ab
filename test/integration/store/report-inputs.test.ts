// The report's inputs read from DynamoDB Local: every candidate, run, promotion and current approval record of the
// system; every approval decision of every round from the audit chain (a round closed by a request for changes
// leaves no record on the candidate); a chain longer than one page walked to its end and verified.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditEvent } from '../../../functions/domain/audit-chain.js';
import type { ReleaseCandidate } from '../../../functions/domain/types.js';
import { batchPut } from '../../../functions/store/batch-write.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import type { ReportStoreInputs } from '../../../functions/store/report-inputs.js';
import { auditItem } from '../../../functions/store/unit-of-work.js';
import {
  activeCandidate,
  approveAll,
  evaluatedCandidate,
  type GovernedSystem,
  governedSystem,
  owner,
  people,
} from '../../support/lifecycle.js';
import { actorOf, createTestStore } from '../../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
let base: GovernedSystem;
let first: ReleaseCandidate;
let second: ReleaseCandidate;
let inputs: ReportStoreInputs;
const FILLER = 150;

beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  base = await governedSystem(store, { system: { riskTier: 'medium' } });
  first = await activeCandidate(store, base, { name: 'release 1', evaluation: 'recorded' });
  // Release 2: the technical reviewer asks for changes (that round closes), a second round approves.
  const evaluated = await evaluatedCandidate(store, base, { name: 'release 2', evaluation: 'recorded' });
  const round1 = await store.candidates.requestApproval(owner, evaluated.id);
  const technical = round1.approvals.find((a) => a.role === 'technical');
  if (!technical) throw new Error('no technical approval');
  await store.approvals.decideApproval(people.technical, technical.id, 'changes_requested', 'Add German cases.');
  const round2 = await store.candidates.requestApproval(owner, evaluated.id);
  await approveAll(store, round2.approvals);
  ({ candidate: second } = await store.candidates.promoteCandidate(owner, evaluated.id, {
    expectedActiveCandidateId: first.id,
  }));
  await store.incidents.openIncident(actorOf(people.owner), {
    systemId: base.system.id,
    candidateId: second.id,
    title: 'Misrouted billing tickets',
    description: 'seen by agents',
    severity: 'low',
  });
  // More events than one page of the chain (100), appended with the chain builder and the head moved with them.
  const meta = await store.ctx.doc.send(
    new GetCommand({ TableName: store.ctx.tableName, Key: keys.system(base.system.id), ConsistentRead: true }),
  );
  let head = { seq: meta.Item?.auditSeq as number, hash: meta.Item?.auditHash as string };
  const filler = Array.from({ length: FILLER }, (_, i) => {
    const event = buildAuditEvent(head, {
      systemId: base.system.id,
      action: 'test.filler',
      entityType: 'system',
      entityId: base.system.id,
      actor: owner,
      at: new Date(Date.now() + i).toISOString(),
      before: null,
      after: { i },
      reason: null,
    });
    head = { seq: event.seq, hash: event.hash };
    return event;
  });
  await batchPut(store.ctx, filler.map(auditItem));
  await store.ctx.doc.send(
    new UpdateCommand({
      TableName: store.ctx.tableName,
      Key: keys.system(base.system.id),
      UpdateExpression: 'SET auditSeq = :s, auditHash = :h',
      ExpressionAttributeValues: { ':s': head.seq, ':h': head.hash },
    }),
  );
  inputs = await store.reports.reportInputs(base.system.id);
}, 120_000);

afterAll(async () => {
  await drop?.();
});

describe('the report inputs of a system', () => {
  it('hold every candidate with its runs, the promotions, the incident and the referenced versions', () => {
    expect(inputs.system.activeReleases.production).toBe(second.id);
    expect(inputs.candidates.map((c) => c.id).sort()).toEqual([first.id, second.id].sort());
    expect(inputs.evalRuns.map((r) => r.candidateId).sort()).toEqual([first.id, second.id].sort());
    expect(inputs.promotions.map((p) => p.candidateId)).toEqual([first.id, second.id]);
    expect(inputs.incidents.map((i) => i.title)).toEqual(['Misrouted billing tickets']);
    expect(inputs.datasets.map((d) => d.id)).toEqual([base.dataset.id]);
    expect(inputs.prompts.map((p) => p.id)).toEqual([base.prompt.id]);
    expect(inputs.modelConfigs.map((m) => m.id)).toEqual([base.config.id]);
  });

  it('take every decision of every approval round from the chain, including the round that was closed', () => {
    const decisions = inputs.audit.approvalDecisions.map((d) => [d.candidateId, d.role, d.decision, d.reviewerId]);

    expect(decisions).toContainEqual([second.id, 'technical', 'changes_requested', 'tessa.technical']);
    expect(decisions.filter(([c, , d]) => c === second.id && d === 'approved')).toHaveLength(2);
    expect(decisions.filter(([c, , d]) => c === first.id && d === 'approved')).toHaveLength(2);
    expect(inputs.audit.approvalDecisions.find((d) => d.decision === 'changes_requested')?.comment).toBe(
      'Add German cases.',
    );
    // The current round's records: two per candidate; the closed round's are not on the candidate any more.
    expect(inputs.approvals).toHaveLength(4);
  });

  it('walk the whole chain past its first page and verify it up to the recorded head', () => {
    expect(inputs.audit.events).toBeGreaterThan(100 + FILLER / 2);
    expect(inputs.audit.events).toBe(inputs.chain.events);
    expect(inputs.audit.byAction['test.filler']).toBe(FILLER);
    expect(inputs.chain).toMatchObject({ ok: true, brokenAt: null, headSeq: inputs.audit.events });
  });
});
