// The rules of ARCHITECTURE.md as the store enforces them: every refusal is typed, carries its reason codes and,
// where it matters, leaves the table as it was (same audit head, same items).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActiveReleaseChangedError,
  ConflictError,
  ForbiddenError,
  GateBlockedError,
  InvalidTransitionError,
  ValidationError,
} from '../../../functions/domain/errors.js';
import type { Actor, CaseResult, ReleaseCandidate } from '../../../functions/domain/types.js';
import { createStore, type GovernanceStore } from '../../../functions/store/index.js';
import { listCaseEvidence, submitEvalResults } from '../../../functions/workflows/eval-steps.js';
import { cases, modelConfigInput, promptInput, systemInput } from '../../support/fixtures.js';
import {
  activeCandidate,
  approveAll,
  approveArtefact,
  approvedCandidate,
  candidateAwaitingApproval,
  draftCandidate,
  evaluatedCandidate,
  FAILING_THRESHOLDS,
  type GovernedSystem,
  governedSystem,
  owner,
  people,
  testEvidence,
} from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const tech = people.technical;
const product = people.product;

/** The error a promise rejects with (or a marker when it resolves), to assert on its type and details together. */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return 'resolved';
}

const codes = (error: unknown) => (error as GateBlockedError).reasons.map((r) => r.code);

describe('the store enforces the governance rules', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
  });
  afterAll(async () => drop());

  /** What a refusal must not change: the system's META (audit head, version, releases) and its chain. */
  async function systemState(systemId: string) {
    const [system, chain] = await Promise.all([
      store.systems.getSystem(systemId),
      store.audit.verifyStoredChain(systemId),
    ]);
    return { system, chain };
  }

  describe('promotion gate', () => {
    it('refuses a candidate with several faults with one GateBlockedError listing every reason', async () => {
      // Prepare: a draft (no eval, no approvals) on a system with an open high incident
      const base = await governedSystem(store);
      const draft = await draftCandidate(store, base);
      await store.incidents.openIncident(owner, {
        systemId: base.system.id,
        title: 'outage',
        description: '',
        severity: 'high',
      });
      const before = await systemState(base.system.id);

      // Act
      const error = await refusal(
        store.candidates.promoteCandidate(owner, draft.id, { expectedActiveCandidateId: 'rc_someone_else' }),
      );

      // Assess
      expect(error).toBeInstanceOf(GateBlockedError);
      expect(error).toMatchObject({ status: 409 });
      expect(codes(error)).toEqual([
        'INVALID_STATE',
        'EVAL_MISSING',
        'APPROVALS_INCOMPLETE',
        'BLOCKING_INCIDENT_OPEN',
        'ACTIVE_RELEASE_CHANGED',
      ]);
      const gate = await store.candidates.candidateGate(draft.id);
      expect(gate.promotable).toBe(false);
      expect(gate.reasons.map((r) => r.code)).toEqual(codes(error).filter((c) => c !== 'ACTIVE_RELEASE_CHANGED'));
      expect(await systemState(base.system.id)).toEqual(before);
      expect(await store.candidates.getCandidate(draft.id)).toEqual(draft);
    });

    it('lists a failed eval together with the missing approvals and the open incident', async () => {
      // Prepare
      const base = await governedSystem(store);
      const failed = await evaluatedCandidate(store, base, { thresholds: FAILING_THRESHOLDS });
      await store.incidents.openIncident(owner, {
        systemId: base.system.id,
        title: 'outage',
        description: '',
        severity: 'critical',
      });
      const before = await systemState(base.system.id);

      // Act
      const error = await refusal(
        store.candidates.promoteCandidate(owner, failed.id, { expectedActiveCandidateId: null }),
      );

      // Assess
      expect(failed.status).toBe('eval_failed');
      expect(error).toBeInstanceOf(GateBlockedError);
      expect(codes(error)).toEqual(['INVALID_STATE', 'EVAL_FAILED', 'APPROVALS_INCOMPLETE', 'BLOCKING_INCIDENT_OPEN']);
      expect(await systemState(base.system.id)).toEqual(before);
    });

    it('blocks an approved candidate whose prompt version is not approved with SNAPSHOT_INELIGIBLE alone', async () => {
      // Prepare: a second prompt version that is in review, never approved
      const base = await governedSystem(store, { system: { riskTier: 'low' } });
      const reviewing = await store.artefacts.createPrompt(
        owner,
        promptInput(base.system.id, { template: 'v2 {{x}}' }),
      );
      await store.artefacts.transitionArtefact(owner, 'prompt', reviewing.id, 'in_review', null);
      const candidate = await approvedCandidate(store, base, { promptVersionId: reviewing.id, evaluation: 'recorded' });
      const before = await systemState(base.system.id);

      // Act
      const error = await refusal(
        store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null }),
      );

      // Assess
      expect(candidate.status).toBe('approved');
      expect(error).toBeInstanceOf(GateBlockedError);
      expect(codes(error)).toEqual(['SNAPSHOT_INELIGIBLE']);
      expect((await store.candidates.candidateGate(candidate.id)).reasons.map((r) => r.code)).toEqual([
        'SNAPSHOT_INELIGIBLE',
      ]);
      expect(await systemState(base.system.id)).toEqual(before);
      // The prompt was the only fault: once approved, the same candidate promotes.
      await store.artefacts.transitionArtefact(actorOf(tech), 'prompt', reviewing.id, 'approved', 'ok');
      await store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null });
      expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(candidate.id);
    });

    it('refuses to snapshot a rejected prompt and to submit a candidate whose prompt is still a draft', async () => {
      // Prepare
      const base = await governedSystem(store);
      const rejected = await store.artefacts.createPrompt(owner, promptInput(base.system.id, { template: 'bad' }));
      await store.artefacts.transitionArtefact(owner, 'prompt', rejected.id, 'in_review', null);
      await store.artefacts.transitionArtefact(actorOf(tech), 'prompt', rejected.id, 'rejected', 'unsafe');
      const draftPrompt = await store.artefacts.createPrompt(owner, promptInput(base.system.id, { template: 'wip' }));
      const candidate = await draftCandidate(store, base, { promptVersionId: draftPrompt.id });

      // Act
      const onCreate = await refusal(draftCandidate(store, base, { promptVersionId: rejected.id }));
      const onSubmit = await refusal(store.candidates.submitCandidate(owner, candidate.id));

      // Assess
      expect(onCreate).toBeInstanceOf(ConflictError);
      expect(onCreate).toMatchObject({ detail: { code: 'SNAPSHOT_INELIGIBLE', field: 'promptVersionId' } });
      expect(onSubmit).toBeInstanceOf(GateBlockedError);
      expect(codes(onSubmit)).toEqual(['SNAPSHOT_INELIGIBLE']);
      expect((await store.candidates.getCandidate(candidate.id)).status).toBe('draft');
    });

    it('refuses promotion of a draft as INVALID_STATE and other out-of-order steps as InvalidTransitionError', async () => {
      // Prepare
      const base = await governedSystem(store);
      const draft = await draftCandidate(store, base);
      const submitted = await draftCandidate(store, base);
      await store.candidates.submitCandidate(owner, submitted.id);
      const before = await systemState(base.system.id);

      // Act
      const promoteDraft = await refusal(
        store.candidates.promoteCandidate(owner, draft.id, { expectedActiveCandidateId: null }),
      );
      const submitAgain = await refusal(store.candidates.submitCandidate(owner, submitted.id));
      const evalDraft = await refusal(store.evalRuns.createEvalRun(owner, draft.id, 'simulated'));
      const approvalsBeforeEval = await refusal(store.candidates.requestApproval(owner, submitted.id));

      // Assess
      expect(promoteDraft).toBeInstanceOf(GateBlockedError);
      expect(codes(promoteDraft)).toContain('INVALID_STATE');
      expect(submitAgain).toBeInstanceOf(InvalidTransitionError);
      expect(submitAgain).toMatchObject({
        status: 409,
        detail: { entity: 'candidate', from: 'submitted', to: 'submitted', code: 'INVALID_STATE' },
      });
      expect(evalDraft).toBeInstanceOf(InvalidTransitionError);
      expect(evalDraft).toMatchObject({ detail: { from: 'draft', to: 'evaluating' } });
      expect(approvalsBeforeEval).toBeInstanceOf(InvalidTransitionError);
      expect(approvalsBeforeEval).toMatchObject({ detail: { from: 'submitted', to: 'awaiting_approval' } });
      expect(await systemState(base.system.id)).toEqual(before);
    });
  });

  describe('approvals', () => {
    let base: GovernedSystem;
    beforeAll(async () => {
      // Medium risk: production needs a technical and a product approval.
      base = await governedSystem(store, { system: { riskTier: 'medium' } });
    });

    it('refuses the candidate author as a reviewer, even when the author holds the reviewer role', async () => {
      // Prepare
      const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      const technical = approvals.find((a) => a.role === 'technical');
      const authorAsReviewer = principal(people.owner.userId, ['model_owner', 'reviewer:technical']);
      const before = await systemState(base.system.id);

      // Act
      const error = await refusal(
        store.approvals.decideApproval(authorAsReviewer, technical?.id as string, 'approved', 'mine'),
      );

      // Assess
      expect(candidate.createdBy).toBe(authorAsReviewer.userId);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ status: 403, detail: { code: 'SEPARATION_OF_DUTIES' } });
      expect((await store.approvals.getApproval(technical?.id as string)).status).toBe('pending');
      expect(await systemState(base.system.id)).toEqual(before);
    });

    it("refuses a reviewer linked to the pipeline run that registered one of the candidate's datasets, naming it", async () => {
      // Prepare: a run started by tessa-gh registers a second dataset; the technical reviewer is linked to tessa-gh.
      const pipeline: Actor = {
        userId: 'github:acme/support-bot',
        name: 'acme/support-bot release',
        roles: ['pipeline'],
        ci: { actor: 'tessa-gh', triggeringActor: 'tessa-gh' },
      };
      const dataset = await store.datasets.createDataset(pipeline, {
        systemId: base.system.id,
        name: 'regression',
        kind: 'regression',
        description: 'cases a pipeline collected',
        cases: cases(2),
      });
      const { approvals } = await candidateAwaitingApproval(store, base, {
        evaluation: 'recorded',
        datasetIds: [base.dataset.id, dataset.id],
      });
      const technical = approvals.find((a) => a.role === 'technical')?.id as string;
      const linked = { ...principal('tessa.technical', ['reviewer:technical']), githubLogin: 'tessa-gh' };

      // Act
      const error = await refusal(store.approvals.decideApproval(linked, technical, 'approved', 'fine'));

      // Assess
      expect((await store.datasets.getDataset(dataset.id)).ciAuthors).toEqual([
        { login: 'tessa-gh', claim: 'actor', step: 'created' },
      ]);
      expect(error).toMatchObject({
        status: 403,
        detail: {
          code: 'SEPARATION_OF_DUTIES',
          authorship: [{ kind: 'dataset', artefactId: dataset.id, identity: { by: 'actor', login: 'tessa-gh' } }],
        },
      });
      expect((await store.approvals.getApproval(technical)).status).toBe('pending');
    });

    it('refuses one person approving two roles of one candidate', async () => {
      // Prepare
      const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      const both = principal('dana.dual', ['reviewer:technical', 'reviewer:product']);
      const technical = approvals.find((a) => a.role === 'technical')?.id as string;
      const productApproval = approvals.find((a) => a.role === 'product')?.id as string;
      await store.approvals.decideApproval(both, technical, 'approved', 'fine');

      // Act
      const error = await refusal(store.approvals.decideApproval(both, productApproval, 'approved', 'also fine'));

      // Assess
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ detail: { code: 'SEPARATION_OF_DUTIES' } });
      expect((await store.approvals.getApproval(productApproval)).status).toBe('pending');
      expect((await store.candidates.getCandidate(candidate.id)).status).toBe('awaiting_approval');
      // A second, distinct person completes the round.
      await store.approvals.decideApproval(product, productApproval, 'approved', 'fine');
      expect((await store.candidates.getCandidate(candidate.id)).status).toBe('approved');
    });

    it('refuses a reviewer who does not hold the approval role, admins included', async () => {
      // Prepare
      const { approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      const technical = approvals.find((a) => a.role === 'technical')?.id as string;
      const admin = principal('ada.admin', ['admin']);

      // Act
      const byProduct = await refusal(store.approvals.decideApproval(product, technical, 'approved', null));
      const byAdmin = await refusal(store.approvals.decideApproval(admin, technical, 'approved', null));

      // Assess
      for (const error of [byProduct, byAdmin]) {
        expect(error).toBeInstanceOf(ForbiddenError);
        expect(error).toMatchObject({ status: 403, detail: { requiredRole: 'reviewer:technical' } });
      }
      expect((await store.approvals.getApproval(technical)).status).toBe('pending');
    });

    it('rejects the candidate when one approval is rejected, for good', async () => {
      // Prepare
      const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      const technical = approvals.find((a) => a.role === 'technical')?.id as string;
      const productApproval = approvals.find((a) => a.role === 'product')?.id as string;
      await store.approvals.decideApproval(tech, technical, 'approved', 'fine');

      // Act
      const decided = await store.approvals.decideApproval(product, productApproval, 'rejected', 'not for customers');

      // Assess
      expect(decided.candidate.status).toBe('rejected');
      expect((await store.candidates.getCandidate(candidate.id)).status).toBe('rejected');
      const promote = await refusal(
        store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null }),
      );
      expect(promote).toBeInstanceOf(GateBlockedError);
      expect(codes(promote)).toEqual(['INVALID_STATE', 'APPROVALS_INCOMPLETE', 'APPROVAL_REJECTED']);
      expect(await refusal(store.candidates.requestApproval(owner, candidate.id))).toBeInstanceOf(
        InvalidTransitionError,
      );
    });

    it('returns the candidate to eval_passed on a request for changes, and a new request opens a new round', async () => {
      // Prepare
      const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      const technical = approvals.find((a) => a.role === 'technical')?.id as string;
      const productApproval = approvals.find((a) => a.role === 'product')?.id as string;
      await store.approvals.decideApproval(tech, technical, 'approved', 'fine');

      // Act
      const changes = await store.approvals.decideApproval(product, productApproval, 'changes_requested', 'wording');
      const round2 = await store.candidates.requestApproval(owner, candidate.id);

      // Assess
      expect(changes.candidate.status).toBe('eval_passed');
      expect(round2.candidate.status).toBe('awaiting_approval');
      expect(round2.approvals.map((a) => [a.role, a.status])).toEqual([
        ['technical', 'pending'],
        ['product', 'pending'],
      ]);
      expect(round2.approvals.map((a) => a.id)).not.toContain(technical);
      expect(round2.approvals.map((a) => a.id)).not.toContain(productApproval);
      expect((await store.candidates.getCandidate(candidate.id)).approvalIds).toEqual(
        round2.approvals.map((a) => a.id),
      );
      // The earlier round's approval does not count: both roles must approve again.
      const gate = await store.candidates.candidateGate(candidate.id);
      expect(gate.reasons.map((r) => r.code)).toEqual(['INVALID_STATE', 'APPROVALS_INCOMPLETE']);
      await approveAll(store, round2.approvals);
      expect((await store.candidates.candidateGate(candidate.id)).reasons).toEqual([]);
    });

    it('does not let a decision on an approval of an earlier round change the candidate', async () => {
      // Prepare: product requests changes while the technical approval of that round is still pending
      const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
      const staleTechnical = approvals.find((a) => a.role === 'technical')?.id as string;
      const productApproval = approvals.find((a) => a.role === 'product')?.id as string;
      await store.approvals.decideApproval(product, productApproval, 'changes_requested', 'wording');
      const round2 = await store.candidates.requestApproval(owner, candidate.id);

      // Act: the technical reviewer acts on the stale record of round 1
      const error = await refusal(store.approvals.decideApproval(tech, staleTechnical, 'rejected', 'late'));

      // Assess: round 2 stands, and the stale decision is refused
      const after = await store.candidates.getCandidate(candidate.id);
      expect(after.status).toBe('awaiting_approval');
      expect(after.approvalIds).toEqual(round2.approvals.map((a) => a.id));
      expect(error).toMatchObject({ status: 409 });
    });
  });

  describe('prompt and model config versions', () => {
    it('never moves a submitted version back and keeps its content hash through review', async () => {
      // Prepare
      const { system } = await store.systems.createSystem(owner, systemInput());
      const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
      await approveArtefact(store, 'prompt', prompt.id);
      const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
      await store.artefacts.transitionArtefact(owner, 'model_config', config.id, 'in_review', null);
      const before = await systemState(system.id);

      // Act
      const approvedBack = await refusal(
        store.artefacts.transitionArtefact(owner, 'prompt', prompt.id, 'in_review', null),
      );
      const approvedToRejected = await refusal(
        store.artefacts.transitionArtefact(actorOf(tech), 'prompt', prompt.id, 'rejected', 'changed my mind'),
      );
      const resubmit = await refusal(
        store.artefacts.transitionArtefact(owner, 'model_config', config.id, 'in_review', null),
      );

      // Assess
      for (const error of [approvedBack, approvedToRejected, resubmit]) {
        expect(error).toBeInstanceOf(InvalidTransitionError);
      }
      expect(approvedBack).toMatchObject({ detail: { entity: 'prompt', from: 'approved', to: 'in_review' } });
      expect(await systemState(system.id)).toEqual(before);
      const stored = await store.artefacts.getPrompt(prompt.id);
      expect(stored).toMatchObject({ status: 'approved', contentHash: prompt.contentHash, version: 1 });
      // A change is a new version with its own id and hash; the approved one stays as it was.
      const next = await store.artefacts.createPrompt(owner, promptInput(system.id, { template: 'v2 {{ticket}}' }));
      expect(next).toMatchObject({ version: 2, status: 'draft' });
      expect(next.contentHash).not.toBe(prompt.contentHash);
      expect(await store.artefacts.getPrompt(prompt.id)).toEqual(stored);
    });

    it('refuses a review by the author of the version and a review of a draft', async () => {
      // Prepare
      const { system } = await store.systems.createSystem(owner, systemInput());
      const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
      const draft = await store.artefacts.createPrompt(owner, promptInput(system.id, { name: 'other' }));
      await store.artefacts.transitionArtefact(owner, 'prompt', prompt.id, 'in_review', null);

      // Act
      const ownReview = await refusal(
        store.artefacts.transitionArtefact(owner, 'prompt', prompt.id, 'approved', 'lgtm'),
      );
      const draftReview = await refusal(
        store.artefacts.transitionArtefact(actorOf(tech), 'prompt', draft.id, 'approved', 'lgtm'),
      );

      // Assess
      expect(ownReview).toBeInstanceOf(ForbiddenError);
      expect(ownReview).toMatchObject({ detail: { code: 'SEPARATION_OF_DUTIES' } });
      expect((await store.artefacts.getPrompt(prompt.id)).status).toBe('in_review');
      expect(draftReview).toBeInstanceOf(InvalidTransitionError);
      expect((await store.artefacts.getPrompt(draft.id)).status).toBe('draft');
    });
  });

  describe('incidents', () => {
    it('counts open high and critical incidents as blocking, and keeps the count through updates and resolution', async () => {
      // Prepare
      const { system } = await store.systems.createSystem(owner, systemInput());
      const open = (severity: 'low' | 'medium' | 'high' | 'critical') =>
        store.incidents.openIncident(owner, { systemId: system.id, title: severity, description: '', severity });
      const blocking = async () => {
        const { openIncidents } = await store.systems.getSystem(system.id);
        return openIncidents.high + openIncidents.critical;
      };

      // Act and Assess, step by step
      const high = await open('high');
      expect(await blocking()).toBe(1);
      const critical = await open('critical');
      expect(await blocking()).toBe(2);
      const low = await open('low');
      await open('medium');
      expect(await blocking()).toBe(2);
      await store.incidents.updateIncident(owner, high.id, { status: 'mitigating' });
      expect(await blocking()).toBe(2);
      await store.incidents.resolveIncident(owner, high.id, 'fixed');
      expect(await blocking()).toBe(1);
      await store.incidents.updateIncident(owner, low.id, { severity: 'critical' });
      expect(await blocking()).toBe(2);
      await store.incidents.updateIncident(owner, critical.id, { severity: 'medium' });
      expect(await blocking()).toBe(1);
      await store.incidents.resolveIncident(owner, low.id, 'fixed');
      expect(await blocking()).toBe(0);
      expect(await refusal(store.incidents.resolveIncident(owner, low.id, 'again'))).toBeInstanceOf(
        InvalidTransitionError,
      );
      expect(await blocking()).toBe(0);
      expect((await store.audit.verifyStoredChain(system.id)).ok).toBe(true);
    });

    it('blocks promotion once a low incident is raised to critical', async () => {
      // Prepare
      const base = await governedSystem(store, { system: { riskTier: 'low' } });
      const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });
      const incident = await store.incidents.openIncident(owner, {
        systemId: base.system.id,
        title: 'odd answers',
        description: '',
        severity: 'low',
      });
      expect((await store.candidates.candidateGate(candidate.id)).reasons).toEqual([]);

      // Act
      await store.incidents.updateIncident(owner, incident.id, { severity: 'critical' });
      const error = await refusal(
        store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null }),
      );

      // Assess
      expect(error).toBeInstanceOf(GateBlockedError);
      expect(codes(error)).toEqual(['BLOCKING_INCIDENT_OPEN']);
      expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBeNull();
    });
  });

  describe('retirement', () => {
    it('refuses to retire a system with an active release unless a replacement is named', async () => {
      // Prepare
      const base = await governedSystem(store, { system: { riskTier: 'low' } });
      await activeCandidate(store, base, { evaluation: 'recorded' });
      const next = await approvedCandidate(store, base, { evaluation: 'recorded' });
      const { system: replacement } = await store.systems.createSystem(owner, systemInput());
      const before = await systemState(base.system.id);

      // Act
      const withoutReplacement = await refusal(store.systems.retireSystem(owner, base.system.id, { reason: 'sunset' }));
      const stateAfterRefusal = await systemState(base.system.id);
      const retired = await store.systems.retireSystem(owner, base.system.id, {
        reason: 'sunset',
        replacementSystemId: replacement.id,
      });

      // Assess
      expect(withoutReplacement).toBeInstanceOf(ConflictError);
      expect(withoutReplacement).toMatchObject({ detail: { code: 'ACTIVE_RELEASE_PRESENT' } });
      expect(stateAfterRefusal).toEqual(before);
      expect(retired).toMatchObject({
        status: 'retired',
        replacementSystemId: replacement.id,
        retirementReason: 'sunset',
      });
      expect(await store.systems.getSystem(base.system.id)).toMatchObject({ status: 'retired' });
      const promote = await refusal(
        store.candidates.promoteCandidate(owner, next.id, {
          expectedActiveCandidateId: before.system.activeReleases.production,
        }),
      );
      expect(promote).toBeInstanceOf(GateBlockedError);
      expect(codes(promote)).toEqual(['SYSTEM_RETIRED']);
    });

    it('refuses new artefacts, datasets and candidates of a retired system', async () => {
      // Prepare
      const base = await governedSystem(store);
      await store.systems.retireSystem(owner, base.system.id, { reason: 'never launched' });
      const before = await systemState(base.system.id);

      // Act
      const refusals = await Promise.all([
        refusal(store.artefacts.createPrompt(owner, promptInput(base.system.id))),
        refusal(store.artefacts.createModelConfig(owner, modelConfigInput(base.system.id))),
        refusal(
          store.datasets.createDataset(owner, {
            systemId: base.system.id,
            name: 'late',
            kind: 'regression',
            description: '',
            cases: cases(2),
          }),
        ),
        refusal(draftCandidate(store, base)),
      ]);

      // Assess
      for (const error of refusals) {
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ detail: { code: 'SYSTEM_RETIRED' } });
      }
      expect(await systemState(base.system.id)).toEqual(before);
      expect(await refusal(store.systems.retireSystem(owner, base.system.id, { reason: 'again' }))).toBeInstanceOf(
        InvalidTransitionError,
      );
    });

    it('refuses a replacement that is itself retired', async () => {
      // Prepare
      const { system } = await store.systems.createSystem(owner, systemInput());
      const { system: gone } = await store.systems.createSystem(owner, systemInput());
      await store.systems.retireSystem(owner, gone.id, { reason: 'gone' });

      // Act
      const error = await refusal(
        store.systems.retireSystem(owner, system.id, { reason: 'merge', replacementSystemId: gone.id }),
      );

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect((await store.systems.getSystem(system.id)).status).toBe('draft');
    });
  });

  describe('rollback', () => {
    // Each test builds its own system and release history, so the tests hold in any order or alone.
    async function releaseHistory(...names: string[]): Promise<{ base: GovernedSystem; releases: ReleaseCandidate[] }> {
      const base = await governedSystem(store, { system: { riskTier: 'low' } });
      const releases: ReleaseCandidate[] = [];
      for (const name of names) releases.push(await activeCandidate(store, base, { name, evaluation: 'recorded' }));
      return { base, releases };
    }

    it('refuses to roll back the only release there has been', async () => {
      // Prepare
      const { base, releases } = await releaseHistory('first');
      const first = releases[0] as ReleaseCandidate;
      const before = await systemState(base.system.id);

      // Act
      const error = await refusal(store.candidates.rollbackRelease(owner, first.id, { reason: 'regression' }));

      // Assess
      expect(error).toBeInstanceOf(GateBlockedError);
      expect(codes(error)).toEqual(['ROLLBACK_TARGET_INELIGIBLE']);
      expect(await systemState(base.system.id)).toEqual(before);
      expect((await store.candidates.getCandidate(first.id)).status).toBe('active');
    });

    it('rolls back to the last-known-good release by default, to a named earlier one on request', async () => {
      // Prepare: first → second → third, each superseding the one before
      const { base, releases } = await releaseHistory('first', 'second', 'third');
      const [first, second, third] = releases as [ReleaseCandidate, ReleaseCandidate, ReleaseCandidate];
      const incident = await store.incidents.openIncident(owner, {
        systemId: base.system.id,
        candidateId: third.id,
        title: 'wrong queue',
        description: '',
        severity: 'high',
      });

      // Act
      const toLastKnownGood = await store.candidates.rollbackRelease(owner, third.id, {
        reason: 'wrong queue',
        incidentId: incident.id,
      });
      const toNamed = await store.candidates.rollbackRelease(owner, second.id, {
        reason: 'second is affected too',
        targetCandidateId: first.id,
      });

      // Assess
      expect(toLastKnownGood.target.id).toBe(second.id);
      expect(toLastKnownGood.rollback).toMatchObject({
        fromCandidateId: third.id,
        toCandidateId: second.id,
        incidentId: incident.id,
      });
      expect(toNamed.target.id).toBe(first.id);
      expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(first.id);
      const statuses = await Promise.all([first, second, third].map((c) => store.candidates.getCandidate(c.id)));
      expect(statuses.map((c) => c.status)).toEqual(['active', 'rolled_back', 'rolled_back']);
      expect((await store.candidates.rollbackHistory(base.system.id)).map((r) => r.toCandidateId)).toEqual([
        second.id,
        first.id,
      ]);
      expect((await store.audit.verifyStoredChain(base.system.id)).ok).toBe(true);
    });

    it('refuses a rollback that names a release which is not the active one', async () => {
      // Prepare: second was rolled back to first, so first is active again
      const { base, releases } = await releaseHistory('first', 'second');
      const [first, second] = releases as [ReleaseCandidate, ReleaseCandidate];
      await store.candidates.rollbackRelease(owner, second.id, { reason: 'regression' });
      const before = await systemState(base.system.id);

      // Act
      const error = await refusal(store.candidates.rollbackRelease(owner, second.id, { reason: 'again' }));

      // Assess
      expect(error).toBeInstanceOf(ActiveReleaseChangedError);
      expect(error).toMatchObject({
        status: 409,
        detail: { code: 'ACTIVE_RELEASE_CHANGED', expected: second.id, actual: first.id },
      });
      expect(await systemState(base.system.id)).toEqual(before);
    });

    it('refuses a named target that was rolled back or never active', async () => {
      // Prepare: second was rolled back to first, a third release went live, a fourth was approved but never active
      const { base, releases } = await releaseHistory('first', 'second');
      const rolledBack = releases[1] as ReleaseCandidate;
      await store.candidates.rollbackRelease(owner, rolledBack.id, { reason: 'regression' });
      const current = await activeCandidate(store, base, { name: 'third', evaluation: 'recorded' });
      const neverActive = await approvedCandidate(store, base, { name: 'fourth', evaluation: 'recorded' });
      const before = await systemState(base.system.id);

      // Act
      const toRolledBack = await refusal(
        store.candidates.rollbackRelease(owner, current.id, { reason: 'x', targetCandidateId: rolledBack.id }),
      );
      const toNeverActive = await refusal(
        store.candidates.rollbackRelease(owner, current.id, { reason: 'x', targetCandidateId: neverActive.id }),
      );

      // Assess
      for (const error of [toRolledBack, toNeverActive]) {
        expect(error).toBeInstanceOf(GateBlockedError);
        expect(codes(error)).toEqual(['ROLLBACK_TARGET_INELIGIBLE']);
      }
      expect(await systemState(base.system.id)).toEqual(before);
    });
  });

  describe('system names', () => {
    it('refuses a second system with the same name, whatever its case and surrounding spaces', async () => {
      // Prepare
      const name = `Ticket Router ${Math.random().toString(36).slice(2, 8)}`;
      await store.systems.createSystem(owner, systemInput({ name }));

      // Act
      const error = await refusal(store.systems.createSystem(owner, systemInput({ name: `  ${name.toUpperCase()} ` })));

      // Assess
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ status: 409, detail: { field: 'name' } });
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof store.systems.listSystems>> = await store.systems.listSystems({
          limit: 100,
          cursor,
        });
        all.push(...page.items.map((s) => s.name.trim().toLowerCase()));
        cursor = page.nextCursor;
      } while (cursor);
      expect(all.filter((n) => n === name.toLowerCase())).toHaveLength(1);
    });
  });

  describe('idempotency keys', () => {
    it('answers a new key as new and a repeat of the completed request with the stored response', async () => {
      // Prepare
      const response = { statusCode: 201, headers: { location: '/systems/sys_1' }, body: '{"id":"sys_1"}' };
      const first = await store.idempotency.claimIdempotencyKey('u1:POST /systems', 'k-1', 'hash-a');

      // Act
      const whileRunning = await store.idempotency.claimIdempotencyKey('u1:POST /systems', 'k-1', 'hash-a');
      await store.idempotency.completeIdempotencyKey('u1:POST /systems', 'k-1', response);
      const replay = await store.idempotency.claimIdempotencyKey('u1:POST /systems', 'k-1', 'hash-a');

      // Assess
      expect(first).toEqual({ state: 'new' });
      expect(whileRunning).toEqual({ state: 'in_progress' });
      expect(replay).toEqual({ state: 'replay', response });
    });

    it('answers the same key with a different request as a mismatch, and keeps scopes apart', async () => {
      // Prepare
      await store.idempotency.claimIdempotencyKey('u1:POST /incidents', 'k-2', 'hash-a');
      await store.idempotency.completeIdempotencyKey('u1:POST /incidents', 'k-2', {
        statusCode: 201,
        headers: {},
        body: '{}',
      });

      // Act
      const mismatch = await store.idempotency.claimIdempotencyKey('u1:POST /incidents', 'k-2', 'hash-b');
      const otherScope = await store.idempotency.claimIdempotencyKey('u2:POST /incidents', 'k-2', 'hash-b');

      // Assess
      expect(mismatch).toEqual({ state: 'mismatch' });
      expect(otherScope).toEqual({ state: 'new' });
    });

    // DynamoDB deletes expired items lazily (typically within days, and DynamoDB Local never), so a record past its
    // ttl is still in the table: the claim must read it as expired rather than replay a response older than 24 hours.
    it('treats a key completed more than 24 hours ago as new', async () => {
      // Prepare
      let clock = new Date('2025-03-01T10:00:00.000Z');
      const clocked = createStore({ doc: store.ctx.doc, tableName: store.ctx.tableName, now: () => clock });
      await clocked.idempotency.claimIdempotencyKey('u1:POST /systems', 'k-old', 'hash-a');
      await clocked.idempotency.completeIdempotencyKey('u1:POST /systems', 'k-old', {
        statusCode: 201,
        headers: {},
        body: '{"id":"sys_old"}',
      });
      clock = new Date('2025-03-02T10:00:01.000Z');

      // Act
      const later = await clocked.idempotency.claimIdempotencyKey('u1:POST /systems', 'k-old', 'hash-a');

      // Assess
      expect(later).toEqual({ state: 'new' });
    });

    it('lets a released key (a failed request) be claimed again', async () => {
      // Prepare
      await store.idempotency.claimIdempotencyKey('u1:POST /candidates', 'k-3', 'hash-a');
      await store.idempotency.completeIdempotencyKey('u1:POST /candidates', 'k-3', null);

      // Act
      const again = await store.idempotency.claimIdempotencyKey('u1:POST /candidates', 'k-3', 'hash-a');

      // Assess
      expect(again).toEqual({ state: 'new' });
    });
  });

  describe('pagination', () => {
    let base: GovernedSystem;
    let created: string[];
    beforeAll(async () => {
      base = await governedSystem(store);
      created = [];
      for (let i = 0; i < 30; i++) created.push((await draftCandidate(store, base, { name: `rc-${i}` })).id);
    });

    it('lists 30 candidates 7 at a time, each exactly once, newest first', async () => {
      // Prepare
      const pages: string[][] = [];
      let cursor: string | null = null;

      // Act
      do {
        const page: Awaited<ReturnType<typeof store.candidates.listCandidates>> = await store.candidates.listCandidates(
          { systemId: base.system.id },
          { limit: 7, cursor },
        );
        pages.push(page.items.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor && pages.length < 10);

      // Assess
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
      expect(pages.flat()).toEqual([...created].reverse());
    });

    it('refuses a cursor that is not one of ours with a ValidationError', async () => {
      // Prepare
      const garbage = 'definitely-not-a-cursor';

      // Act
      const error = await refusal(store.candidates.listCandidates({ systemId: base.system.id }, { cursor: garbage }));

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ status: 400, detail: { field: 'cursor' } });
    });

    // A cursor of one list replayed on another decodes fine but DynamoDB refuses it as ExclusiveStartKey; that must
    // reach the caller as a 400, not as DynamoDB's own ValidationException (which the API turns into a 500).
    it('refuses a cursor taken from another list with a ValidationError', async () => {
      // Prepare
      const { system: other } = await store.systems.createSystem(owner, systemInput());
      const page = await store.candidates.listCandidates({ systemId: base.system.id }, { limit: 7 });

      // Act
      const error = await refusal(
        store.candidates.listCandidates({ systemId: other.id }, { cursor: page.nextCursor as string }),
      );

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
    });
  });

  describe('eval runs', () => {
    it('completes a submitted-executor run with its verdict once outputs for every case have arrived', async () => {
      // Prepare
      const base = await governedSystem(store, { cases: 4 });
      const candidate = await draftCandidate(store, base);
      await store.candidates.submitCandidate(owner, candidate.id);
      const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'submitted');
      const outputs = cases(4).map((c) => ({
        caseId: c.caseId,
        output: { label: c.expectedLabel, confidence: 0.9 },
        latencyMs: 120,
        costUsd: 0.001,
      }));

      // Act
      const firstPost = await submitEvalResults(store, owner, run.id, outputs.slice(0, 2));
      const midway = await store.candidates.getCandidate(candidate.id);
      const secondPost = await submitEvalResults(store, owner, run.id, outputs.slice(2));

      // Assess
      expect(firstPost).toMatchObject({ accepted: 2, run: { status: 'running', casesDone: 2 } });
      expect(midway.status).toBe('evaluating');
      expect(secondPost.accepted).toBe(2);
      expect(secondPost.run).toMatchObject({ status: 'passed', casesDone: 4, failureReasons: [] });
      expect(secondPost.run.metrics).toMatchObject({ accuracy: 1, schemaValidRate: 1 });
      expect(await store.candidates.getCandidate(candidate.id)).toMatchObject({
        status: 'eval_passed',
        latestEvalRunId: run.id,
        latestEvalStatus: 'passed',
      });
    });

    it('refuses outputs for a case the run does not have and records none of the post', async () => {
      // Prepare
      const base = await governedSystem(store, { cases: 3 });
      const candidate = await draftCandidate(store, base);
      await store.candidates.submitCandidate(owner, candidate.id);
      const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'submitted');

      // Act
      const error = await refusal(
        submitEvalResults(store, owner, run.id, [
          { caseId: 'case-0', output: { label: 'billing', confidence: 1 }, latencyMs: 5 },
          { caseId: 'case-99', output: { label: 'billing', confidence: 1 }, latencyMs: 5 },
        ]),
      );

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain('case-99');
      expect(await store.evalRuns.getEvalRun(run.id)).toMatchObject({ status: 'queued', casesDone: 0 });
      expect((await store.evalRuns.listCaseResults(run.id, {})).items).toEqual([]);
    });

    it('lists the per-case evidence of a simulated run page by page, in case order', async () => {
      // Prepare
      const base = await governedSystem(store, { cases: 12 });
      const evaluated = await evaluatedCandidate(store, base);
      const runId = evaluated.latestEvalRunId as string;
      const pages: (CaseResult & { index: number })[][] = [];
      let cursor: string | null = null;

      // Act: simulated runs keep their per-case evidence in the evidence store (the helpers' in-memory double, here).
      do {
        const page: Awaited<ReturnType<typeof listCaseEvidence>> = await listCaseEvidence(
          store,
          { id: runId, executor: 'simulated' },
          { limit: 5, cursor },
          { evidence: testEvidence },
        );
        pages.push(page.items);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 10);

      // Assess
      expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
      expect(pages.flat().map((r) => r.caseId)).toEqual(cases(12).map((c) => c.caseId));
      expect(pages.flat().map((r) => r.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(await store.evalRuns.getEvalRun(runId)).toMatchObject({ status: 'passed', casesDone: 12, totalCases: 12 });
    });
  });
});
