import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as z from 'zod';
import { modelCardJsonSchema, modelCardSchema } from '../../../functions/contracts/model-card.js';
import { patchSystemRequest } from '../../../functions/contracts/systems.js';
import { BLOCK_REASON_ORDER, blockedReasons, type GateInput } from '../../../functions/domain/gate.js';
import { contentHash } from '../../../functions/domain/hashing.js';
import {
  blockingCardGaps,
  buildModelCard,
  MODEL_CARD_REQUIRED_SECTIONS,
  type ModelCard,
  type ModelCardInputs,
  modelCardGaps,
} from '../../../functions/domain/model-card.js';
import { DEFAULT_POLICY, requiresModelCard, validatePolicy } from '../../../functions/domain/policy.js';
import type { PolicyVersion } from '../../../functions/domain/policy-version.js';
import { snapshotHash } from '../../../functions/domain/snapshot.js';
import {
  type AiSystem,
  type ApprovalRecord,
  type EvalRun,
  METRIC_NAMES,
  type Metrics,
  type ReleaseCandidate,
  type Severity,
} from '../../../functions/domain/types.js';
import { MODEL_CARD_SCHEMA_FILE, renderModelCardSchema } from '../../../scripts/model-card-schema.js';
import { modelCardNarrative, modelConfigInput, promptInput, systemInput } from '../../support/fixtures.js';

const T0 = '2025-03-01T10:00:00.000Z';
const T1 = '2025-03-02T10:00:00.000Z';
const hash = (label: string) => contentHash({ label });

function inputs(
  overrides: { system?: Partial<AiSystem>; run?: Partial<EvalRun> | null; candidate?: Partial<ReleaseCandidate> } = {},
): ModelCardInputs {
  const system: AiSystem = {
    id: 'sys_1',
    ...systemInput({ name: 'Ticket triage', riskTier: 'high', modelCard: modelCardNarrative() }),
    status: 'active',
    activeReleases: { staging: null, production: 'rc_0' },
    openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
    retirementReason: null,
    replacementSystemId: null,
    createdAt: T0,
    createdBy: 'omar.owner',
    updatedAt: T0,
    version: 4,
    ...overrides.system,
  };
  const prompt = {
    id: 'pv_1',
    version: 2,
    contentHash: hash('prompt'),
    status: 'approved' as const,
    createdAt: T0,
    createdBy: 'omar.owner',
    submittedAt: T0,
    reviewedBy: 'tessa.technical',
    reviewComment: 'ok',
    ...promptInput('sys_1'),
  };
  const modelConfig = {
    id: 'mc_1',
    version: 3,
    contentHash: hash('config'),
    status: 'approved' as const,
    createdAt: T0,
    createdBy: 'omar.owner',
    submittedAt: T0,
    reviewedBy: 'tessa.technical',
    reviewComment: 'ok',
    ...modelConfigInput('sys_1'),
  };
  const fields = {
    systemId: 'sys_1',
    environment: 'production' as const,
    promptVersionId: prompt.id,
    promptContentHash: prompt.contentHash,
    modelConfigId: modelConfig.id,
    modelConfigContentHash: modelConfig.contentHash,
    datasetIds: ['ds_1', 'ds_2'],
    thresholds: [
      { metric: 'accuracy' as const, direction: 'min' as const, value: 0.8, regressionTolerance: 0.02 },
      { metric: 'sliceAccuracyGap' as const, direction: 'max' as const, value: 0.2, regressionTolerance: null },
    ],
  };
  const candidate: ReleaseCandidate = {
    id: 'rc_1',
    name: 'release 2',
    ...fields,
    snapshotHash: snapshotHash(fields),
    status: 'approved',
    latestEvalRunId: 'run_1',
    latestEvalStatus: 'passed',
    requiredRoles: ['technical', 'product', 'risk'],
    approvalIds: ['apr_t', 'apr_p', 'apr_r'],
    policyVersion: 1,
    notes: '',
    createdAt: T0,
    createdBy: 'omar.owner',
    submittedAt: T0,
    activatedAt: null,
    deactivatedAt: null,
    version: 5,
    ...overrides.candidate,
  };
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as Metrics;
  Object.assign(metrics, { accuracy: 0.875, macroF1: 0.86, latencyP95Ms: 410, sliceAccuracyGap: 0.125 });
  const run: EvalRun | null =
    overrides.run === null
      ? null
      : {
          id: 'run_1',
          systemId: 'sys_1',
          candidateId: candidate.id,
          snapshotHash: candidate.snapshotHash,
          executor: 'simulated',
          status: 'passed',
          totalCases: 16,
          casesDone: 16,
          metrics,
          slices: [
            { slice: 'lang:de', cases: 8, accuracy: 0.8125 },
            { slice: 'lang:en', cases: 8, accuracy: 0.9375 },
          ],
          thresholdVerdicts: [
            { metric: 'accuracy', direction: 'min', threshold: 0.8, actual: 0.875, passed: true },
            { metric: 'sliceAccuracyGap', direction: 'max', threshold: 0.2, actual: 0.125, passed: true },
          ],
          comparisons: [],
          failureReasons: [],
          error: null,
          createdAt: T0,
          createdBy: 'ci.pipeline',
          startedAt: T0,
          finishedAt: T1,
          ...overrides.run,
        };
  const approvals: ApprovalRecord[] = (['technical', 'product', 'risk'] as const).map((role) => ({
    id: `apr_${role[0]}`,
    systemId: 'sys_1',
    candidateId: candidate.id,
    snapshotHash: candidate.snapshotHash,
    role,
    status: 'approved',
    reviewerId: `${role}.reviewer`,
    reviewerName: `The ${role} reviewer`,
    comment: 'fine',
    requestedAt: T0,
    requestedBy: 'omar.owner',
    decidedAt: T1,
  }));
  const dataset = (id: string, name: string) => ({
    id,
    systemId: 'sys_1',
    name,
    version: 1,
    kind: 'baseline' as const,
    description: `${name} cases`,
    caseCount: 8,
    contentHash: hash(name),
    createdAt: T0,
    createdBy: 'omar.owner',
  });
  return {
    system,
    candidate,
    prompt,
    modelConfig,
    datasets: [dataset('ds_2', 'regression'), dataset('ds_1', 'baseline')],
    evalRun: run,
    approvals,
    releaseHistory: [
      {
        id: 'prm_1',
        systemId: 'sys_1',
        environment: 'production',
        kind: 'promote',
        candidateId: 'rc_0',
        previousCandidateId: null,
        actor: 'omar.owner',
        reason: 'first release',
        at: T0,
      },
    ],
    generatedAt: T1,
  };
}

const ajv = addFormats.default(new Ajv2020({ allErrors: true, strict: true }));
const validate = ajv.compile(JSON.parse(readFileSync(MODEL_CARD_SCHEMA_FILE, 'utf8')));

describe('buildModelCard', () => {
  it("carries the eval run's metrics, threshold results and slices exactly, with who approved and when", () => {
    // Prepare
    const given = inputs();

    // Act
    const card = buildModelCard(given);

    // Assess
    expect(card.quantitativeAnalysis.metrics).toEqual(given.evalRun?.metrics);
    expect(card.quantitativeAnalysis.thresholds).toEqual([
      { metric: 'accuracy', direction: 'min', threshold: 0.8, regressionTolerance: 0.02, actual: 0.875, passed: true },
      {
        metric: 'sliceAccuracyGap',
        direction: 'max',
        threshold: 0.2,
        regressionTolerance: null,
        actual: 0.125,
        passed: true,
      },
    ]);
    expect(card.fairness).toMatchObject({ sliceAccuracyGap: 0.125, slices: given.evalRun?.slices });
    expect(card.oversight.approvals.map((a) => [a.role, a.reviewerName, a.decidedAt])).toEqual([
      ['technical', 'The technical reviewer', T1],
      ['product', 'The product reviewer', T1],
      ['risk', 'The risk reviewer', T1],
    ]);
    expect(card.modelParameters.model.lineage).toEqual(given.modelConfig.lineage);
    expect(card.evaluationData.datasets.map((d) => [d.id, d.contentHash])).toEqual([
      ['ds_1', hash('baseline')],
      ['ds_2', hash('regression')],
    ]);
    expect(card.riskRating).toMatchObject({ riskTier: 'high', euAiActCategory: 'limited' });
    expect(card.releaseHistory).toHaveLength(1);
    expect(card.completeness).toEqual({ complete: true, gaps: [] });
  });

  it('validates against the published JSON Schema, which refuses a card without a section', () => {
    // Prepare
    const card = buildModelCard(inputs());
    const { fairness: _dropped, ...withoutFairness } = card;

    // Act
    const valid = validate(card);
    const invalid = validate(withoutFairness);

    // Assess
    expect(validate.errors ?? []).toEqual(
      expect.arrayContaining([expect.objectContaining({ params: { missingProperty: 'fairness' } })]),
    );
    expect(valid).toBe(true);
    expect(invalid).toBe(false);
    expect(modelCardSchema.parse(card)).toEqual(card);
  });

  it('is the type the zod contract describes', () => {
    expectTypeOf<ModelCard>().toExtend<z.infer<typeof modelCardSchema>>();
    expectTypeOf<z.infer<typeof modelCardSchema>>().toExtend<ModelCard>();
  });

  it('has no metrics, and unjudged thresholds, while the candidate has no run of its own', () => {
    // Prepare
    const foreign = inputs({ run: { candidateId: 'rc_other' } });

    // Act
    const card = buildModelCard(foreign);

    // Assess
    expect(card.quantitativeAnalysis).toMatchObject({ evalRunId: null, metrics: null, status: null });
    expect(card.quantitativeAnalysis.thresholds.map((t) => [t.metric, t.actual, t.passed])).toEqual([
      ['accuracy', null, null],
      ['sliceAccuracyGap', null, null],
    ]);
    expect(card.completeness.gaps).toEqual(['quantitativeAnalysis.metrics']);
    expect(validate(card)).toBe(true);
  });
});

describe('modelCardGaps', () => {
  it('lists every empty narrative section, in card order, of a system that has no narrative', () => {
    // Prepare
    const { modelCard: _none, ...bare } = inputs().system;

    // Act
    const card = buildModelCard({ ...inputs(), system: bare });

    // Assess
    expect(card.completeness).toEqual({
      complete: false,
      gaps: [
        'modelDetails.contacts',
        'intendedUse.intendedUsers',
        'intendedUse.intendedUses',
        'intendedUse.outOfScopeUses',
        'fairness.assessment',
        'considerations.limitations',
        'considerations.ethicalConsiderations',
        'oversight.procedure',
        'riskRating.rationale',
      ],
    });
    expect(validate(card)).toBe(true);
  });

  it('counts a section of blanks as empty, and leaves the optional ones out', () => {
    // Prepare
    const system = inputs().system;
    const narrative = modelCardNarrative({ fairnessAssessment: '   ', tradeoffs: [], caveatsAndRecommendations: '' });

    // Act
    const gaps = modelCardGaps(buildModelCard({ ...inputs(), system: { ...system, modelCard: narrative } }));

    // Assess
    expect(gaps).toEqual(['fairness.assessment']);
    expect(MODEL_CARD_REQUIRED_SECTIONS).not.toContain('considerations.tradeoffs');
    expect(MODEL_CARD_REQUIRED_SECTIONS).toHaveLength(15);
  });
});

describe('the MODEL_CARD_INCOMPLETE policy', () => {
  const incomplete = (riskTier: AiSystem['riskTier']) =>
    buildModelCard(inputs({ system: { riskTier, modelCard: modelCardNarrative({ limitations: [] }) } }));

  it('blocks production promotions of high and critical systems by default, not low or medium ones', () => {
    expect(blockingCardGaps(incomplete('high'), 'production')).toEqual(['considerations.limitations']);
    expect(blockingCardGaps(incomplete('critical'), 'production')).toEqual(['considerations.limitations']);
    expect(blockingCardGaps(incomplete('medium'), 'production')).toEqual([]);
    expect(blockingCardGaps(incomplete('low'), 'production')).toEqual([]);
    expect(blockingCardGaps(incomplete('critical'), 'staging')).toEqual([]);
  });

  it('blocks nothing when the policy turns the requirement off', () => {
    // Prepare
    const off = validatePolicy({
      ...DEFAULT_POLICY,
      modelCardRequired: { low: false, medium: false, high: false, critical: false },
    });

    // Act
    const gaps = blockingCardGaps(incomplete('critical'), 'production', off);

    // Assess
    expect(gaps).toEqual([]);
    expect(requiresModelCard('critical', 'production', off)).toBe(false);
    expect(requiresModelCard('critical', 'production')).toBe(true);
  });

  it('validates the policy option: booleans per tier, never required below a tier that is exempt', () => {
    const { modelCardRequired: _absent, ...older } = DEFAULT_POLICY;
    expect(validatePolicy(older).modelCardRequired).toEqual({ low: false, medium: false, high: true, critical: true });
    expect(() =>
      validatePolicy({ ...DEFAULT_POLICY, modelCardRequired: { ...DEFAULT_POLICY.modelCardRequired, high: 'yes' } }),
    ).toThrow(/modelCardRequired.high must be true or false/);
    expect(() =>
      validatePolicy({
        ...DEFAULT_POLICY,
        modelCardRequired: { low: false, medium: true, high: false, critical: true },
      }),
    ).toThrow(/modelCardRequired.high must be true when modelCardRequired.medium is/);
  });

  it('makes the gate list MODEL_CARD_INCOMPLETE with the empty sections, in the documented order', () => {
    // Prepare
    const given = inputs();
    const input: GateInput = {
      system: given.system,
      candidate: given.candidate,
      environment: 'production',
      latestEvalRun: given.evalRun,
      approvals: given.approvals,
      requiredRoles: ['technical', 'product', 'risk'],
      modelCardGaps: ['considerations.limitations', 'riskRating.rationale'],
    };

    // Act
    const reasons = blockedReasons({
      ...input,
      system: { ...input.system, openIncidents: { low: 0, medium: 0, high: 1, critical: 0 } },
    });

    // Assess
    expect(reasons).toEqual([
      {
        code: 'MODEL_CARD_INCOMPLETE',
        message: 'the model card has empty required sections: considerations.limitations, riskRating.rationale',
      },
      {
        code: 'BLOCKING_INCIDENT_OPEN',
        message:
          '1 blocking incident(s) open on system sys_1: 1 high (high, critical block the production promotion of a high tier system)',
      },
    ]);
    expect(blockedReasons({ ...input, modelCardGaps: [] })).toEqual([]);
    expect(BLOCK_REASON_ORDER.indexOf('MODEL_CARD_INCOMPLETE')).toBe(
      BLOCK_REASON_ORDER.indexOf('SEPARATION_OF_DUTIES') + 1,
    );
  });
});

describe('the model card under the policy in force', () => {
  it('names the version in force and the versions in force since the system was registered', () => {
    // Prepare: v1 superseded before the system's registration (T0), v2 since, v3 withdrawn
    const at = (days: number) => new Date(Date.parse(T0) + days * 86_400_000).toISOString();
    const stored = (version: number, status: PolicyVersion['status'], from: string | null, until: string | null) =>
      ({
        version,
        status,
        activatedAt: from,
        activatedBy: from ? { userId: 'gus.governance', name: 'Gus Governance' } : null,
        documentHash: hash(`policy ${version}`),
        supersededAt: until,
      }) as PolicyVersion;
    const policyVersions = [
      stored(1, 'superseded', at(-30), at(-10)),
      stored(2, 'active', at(-10), null),
      stored(3, 'withdrawn', null, null),
    ];

    // Act
    const card = buildModelCard({ ...inputs(), policy: { ...DEFAULT_POLICY, version: 2 }, policyVersions });

    // Assess
    expect(card.governancePolicy.inForce).toEqual({
      version: 2,
      activatedAt: at(-10),
      activatedBy: { userId: 'gus.governance', name: 'Gus Governance' },
      documentHash: hash('policy 2'),
      supersededAt: null,
    });
    expect(card.governancePolicy.history.map((p) => p.version)).toEqual([2]);
    expect(modelCardSchema.safeParse(card).success).toBe(true);
  });

  it('counts open blocking incidents by the policy in force rather than the default', () => {
    // Prepare: a high system with one medium incident; version 2 makes medium block
    const system = { openIncidents: { low: 0, medium: 1, high: 0, critical: 0 } };
    const strict = { ...DEFAULT_POLICY, version: 2, blockingSeverities: ['medium', 'high', 'critical'] as Severity[] };

    // Act
    const underDefault = buildModelCard(inputs({ system }));
    const underStrict = buildModelCard({ ...inputs({ system }), policy: strict });

    // Assess
    expect(underDefault.riskRating.openBlockingIncidents).toBe(0);
    expect(underStrict.riskRating.openBlockingIncidents).toBe(1);
    expect(underStrict.governancePolicy.inForce).toMatchObject({ version: 2, activatedAt: null });
  });
});

describe('the model card contracts', () => {
  it('keeps docs/schemas/model-card.schema.json equal to the contract (else run scripts/model-card-schema.ts)', () => {
    expect(readFileSync(MODEL_CARD_SCHEMA_FILE, 'utf8')).toBe(renderModelCardSchema());
    expect(modelCardJsonSchema().required).toEqual(Object.keys(modelCardSchema.shape));
  });

  it('accepts a PATCH of some narrative members and refuses unknown members and blank list items', () => {
    expect(patchSystemRequest.parse({ modelCard: { limitations: ['long threads'] } })).toEqual({
      modelCard: { limitations: ['long threads'] },
    });
    expect(patchSystemRequest.safeParse({ modelCard: { limits: ['x'] } }).success).toBe(false);
    expect(patchSystemRequest.safeParse({ modelCard: { limitations: ['  '] } }).success).toBe(false);
    expect(patchSystemRequest.safeParse({ modelCard: { fairnessAssessment: 'x'.repeat(4001) } }).success).toBe(false);
  });
});
