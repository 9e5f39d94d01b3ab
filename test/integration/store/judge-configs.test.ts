// Judge configs in the store (issue 17, ADR 0036): versioned, content-hashed and reviewed like prompt versions, each
// transition audited; a candidate pins approved judges of its system by id and hash, its authors include theirs and
// those of the model configs they call, and a candidate without judges is built exactly as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, ValidationError } from '../../../functions/domain/errors.js';
import { judgeConfigContentHash, snapshotHash } from '../../../functions/domain/snapshot.js';
import { DEFAULT_JUDGE_OUTPUT_SCHEMA, DEFAULT_RUBRIC_PROMPT } from '../../../functions/domain/types.js';
import type { JudgeConfigInput } from '../../../functions/store/artefacts.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { modelConfigInput } from '../../support/fixtures.js';
import {
  approveAll,
  approveArtefact,
  candidateAwaitingApproval,
  draftCandidate,
  type GovernedSystem,
  governedSystem,
  owner,
  people,
} from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const judgeInput = (base: GovernedSystem, overrides: Partial<JudgeConfigInput> = {}): JudgeConfigInput => ({
  systemId: base.system.id,
  name: 'no-legal-advice',
  modelConfigId: base.config.id,
  rubricPrompt: DEFAULT_RUBRIC_PROMPT,
  outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA,
  passThreshold: null,
  changeSummary: 'first judge',
  ...overrides,
});

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

describe('judge configs in the store', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
  });
  afterAll(async () => drop());

  it('registers numbered versions with their content hash and audits create, submit and approve', async () => {
    // Prepare
    const base = await governedSystem(store);

    // Act
    const first = await store.artefacts.createArtefact(owner, 'judge_config', judgeInput(base));
    const second = await store.artefacts.createArtefact(
      owner,
      'judge_config',
      judgeInput(base, { passThreshold: 0.8 }),
    );
    await approveArtefact(store, 'judge_config', first.id);
    const events = await store.audit.listAuditEvents({ systemId: base.system.id, order: 'asc' }, { limit: 100 });

    // Assess
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(first.id).toMatch(/^jc_/);
    expect(first.contentHash).toBe(judgeConfigContentHash(judgeInput(base)));
    expect(second.contentHash).not.toBe(first.contentHash);
    expect(await store.artefacts.getJudgeConfig(first.id)).toMatchObject({
      status: 'approved',
      reviewedBy: 'tessa.technical',
    });
    expect(events.items.filter((e) => e.entityId === first.id).map((e) => e.action)).toEqual([
      'judge_config.created',
      'judge_config.submitted',
      'judge_config.approved',
    ]);
  });

  it('refuses the author of a judge config its review', async () => {
    // Prepare
    const base = await governedSystem(store);
    const authorAsReviewer = principal('tessa.technical', ['reviewer:technical']);
    const judge = await store.artefacts.createArtefact(actorOf(authorAsReviewer), 'judge_config', judgeInput(base));
    await store.artefacts.transitionArtefact(actorOf(authorAsReviewer), 'judge_config', judge.id, 'in_review', null);

    // Act
    const error = await refusal(
      store.artefacts.transitionArtefact(actorOf(authorAsReviewer), 'judge_config', judge.id, 'approved', 'mine'),
    );

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ detail: { code: 'SEPARATION_OF_DUTIES' } });
  });

  it('pins approved judges sorted by id with their hashes and model configs, and hashes them into the snapshot', async () => {
    // Prepare
    const base = await governedSystem(store);
    const a = await store.artefacts.createArtefact(owner, 'judge_config', judgeInput(base));
    const b = await store.artefacts.createArtefact(owner, 'judge_config', judgeInput(base, { name: 'tone' }));
    await approveArtefact(store, 'judge_config', a.id);
    await approveArtefact(store, 'judge_config', b.id);

    // Act
    const judged = await draftCandidate(store, base, { judgeConfigIds: [b.id, a.id, b.id] });
    const plain = await draftCandidate(store, base);

    // Assess
    expect(judged.judgeConfigs).toEqual(
      [a, b]
        .sort((x, y) => (x.id < y.id ? -1 : 1))
        .map((j) => ({ id: j.id, contentHash: j.contentHash, modelConfigId: base.config.id })),
    );
    expect(judged.snapshotHash).toBe(snapshotHash(judged));
    expect(judged.snapshotHash).not.toBe(plain.snapshotHash);
    expect(plain).not.toHaveProperty('judgeConfigs');
    expect(await store.candidates.getCandidate(plain.id)).not.toHaveProperty('judgeConfigs');
    expect(plain.snapshotHash).toBe(snapshotHash({ ...plain, judgeConfigs: undefined }));
  });

  it('refuses a judge that does not exist, belongs to another system or is not approved, naming judgeConfigIds', async () => {
    // Prepare
    const base = await governedSystem(store);
    const other = await governedSystem(store, { system: { name: 'Other system' } });
    const foreign = await store.artefacts.createArtefact(owner, 'judge_config', judgeInput(other));
    await approveArtefact(store, 'judge_config', foreign.id);
    const draft = await store.artefacts.createArtefact(owner, 'judge_config', judgeInput(base));

    // Act
    const missing = await refusal(draftCandidate(store, base, { judgeConfigIds: ['jc_01JBQ6ZC2W0000000000000000'] }));
    const elsewhere = await refusal(draftCandidate(store, base, { judgeConfigIds: [foreign.id] }));
    const unapproved = await refusal(draftCandidate(store, base, { judgeConfigIds: [draft.id] }));

    // Assess
    for (const error of [missing, elsewhere]) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ detail: { field: 'judgeConfigIds' } });
    }
    expect(unapproved).toBeInstanceOf(ConflictError);
    expect(unapproved).toMatchObject({ detail: { code: 'SNAPSHOT_INELIGIBLE', field: 'judgeConfigIds' } });
    const candidates = await store.candidates.listCandidates({ systemId: base.system.id }, { limit: 10 });
    expect(candidates.items).toEqual([]);
  });

  it("refuses an approval by the judge's author or the author of the model config the judge calls", async () => {
    // Prepare: tessa (technical) wrote the judge; priya (product) wrote the model config it calls
    const base = await governedSystem(store, { system: { riskTier: 'high' } });
    const judgeModel = await store.artefacts.createModelConfig(
      actorOf(people.product),
      modelConfigInput(base.system.id, { name: 'judge-model' }),
    );
    await approveArtefact(store, 'model_config', judgeModel.id);
    const judge = await store.artefacts.createArtefact(
      actorOf(people.technical),
      'judge_config',
      judgeInput(base, { modelConfigId: judgeModel.id }),
    );
    await store.artefacts.transitionArtefact(owner, 'judge_config', judge.id, 'in_review', null);
    await store.artefacts.transitionArtefact(
      actorOf(principal('tara.technical', ['reviewer:technical'])),
      'judge_config',
      judge.id,
      'approved',
      'ok',
    );
    const { approvals } = await candidateAwaitingApproval(store, base, {
      judgeConfigIds: [judge.id],
      evaluation: 'recorded',
    });
    const byRole = (role: string) => approvals.find((a) => a.role === role)?.id as string;

    // Act
    const technical = await refusal(
      store.approvals.decideApproval(people.technical, byRole('technical'), 'approved', ''),
    );
    const product = await refusal(store.approvals.decideApproval(people.product, byRole('product'), 'approved', ''));

    // Assess
    expect(technical).toMatchObject({ detail: { code: 'SEPARATION_OF_DUTIES' } });
    expect((technical as Error).message).toContain(`created judge config ${judge.id} as tessa.technical`);
    expect(product).toMatchObject({ detail: { code: 'SEPARATION_OF_DUTIES' } });
    expect((product as Error).message).toContain(`created model config ${judgeModel.id} as priya.product`);
  });

  it('promotes a candidate that pins an approved judge, the gate finding nothing against it', async () => {
    // Prepare
    const base = await governedSystem(store);
    const judge = await store.artefacts.createArtefact(owner, 'judge_config', judgeInput(base));
    await approveArtefact(store, 'judge_config', judge.id);
    const { candidate, approvals } = await candidateAwaitingApproval(store, base, {
      judgeConfigIds: [judge.id],
      evaluation: 'recorded',
    });
    await approveAll(store, approvals);

    // Act
    const gate = await store.candidates.candidateGate(candidate.id);
    const { candidate: active } = await store.candidates.promoteCandidate(owner, candidate.id, {
      expectedActiveCandidateId: null,
    });

    // Assess
    expect(gate.reasons).toEqual([]);
    expect(active.status).toBe('active');
  });
});
