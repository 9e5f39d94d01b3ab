import { describe, expect, it } from 'vitest';
import type { GateFacts } from '../../../functions/domain/gate.js';
import type { AiSystem, ApprovalRecord, ReleaseCandidate } from '../../../functions/domain/types.js';
import { promotionConditions } from '../../../functions/store/candidates/promotion.js';

const candidate = {
  id: 'rc_1',
  systemId: 'sys_1',
  environment: 'production',
  promptVersionId: 'pv_1',
  promptContentHash: 'sha256:prompt',
  modelConfigId: 'mc_1',
  modelConfigContentHash: 'sha256:model',
  snapshotHash: 'sha256:snap',
  status: 'approved',
  latestEvalRunId: 'run_1',
  approvalIds: ['apr_1', 'apr_2'],
  createdBy: 'u_author',
  version: 7,
} as ReleaseCandidate;

const approval = (id: string, reviewerId: string | null) => ({ id, reviewerId }) as ApprovalRecord;

function facts(overrides: Partial<GateFacts> = {}): GateFacts {
  return {
    system: { id: 'sys_1' } as AiSystem,
    candidate,
    run: null,
    approvals: [approval('apr_1', 'u_tech'), approval('apr_2', 'u_product')],
    prompt: null,
    config: null,
    datasets: [],
    ...overrides,
  };
}

describe('promotionConditions', () => {
  it('conditions META on the expected active release, no blocking incident, a system that is not retired and the policy copy judged under', () => {
    // Act
    const { meta } = promotionConditions(facts(), 'production', 'rc_prev');

    // Assess
    expect(meta).toEqual([
      { path: 'activeReleases.production', op: '=', value: 'rc_prev' },
      { path: 'openIncidents.high', op: '=', value: 0 },
      { path: 'openIncidents.critical', op: '=', value: 0 },
      { path: 'status', op: '<>', value: 'retired' },
      // The facts' META holds no policy copy (a table before the genesis migration): it must still hold none.
      { path: 'policyVersion', op: 'not_exists' },
    ]);
  });

  it('conditions the candidate on its version, the approved state, the environment, the snapshot and the run read', () => {
    // Act
    const conditions = promotionConditions(facts(), 'staging', null).candidate;

    // Assess
    expect(conditions).toEqual([
      { path: 'version', op: '=', value: 7 },
      { path: 'status', op: '=', value: 'approved' },
      { path: 'environment', op: '=', value: 'staging' },
      { path: 'snapshotHash', op: '=', value: 'sha256:snap' },
      { path: 'latestEvalRunId', op: '=', value: 'run_1' },
    ]);
  });

  it('requires a named run when the candidate has none, and then checks no run item', () => {
    // Act
    const built = promotionConditions(
      facts({ candidate: { ...candidate, latestEvalRunId: null } }),
      'production',
      null,
    );

    // Assess
    expect(built.candidate).toContainEqual({ path: 'latestEvalRunId', op: '<>', value: null });
    expect(built.checks.map((c) => c.key.pk)).toEqual(['APR#apr_1', 'APR#apr_2', 'PV#pv_1', 'MC#mc_1']);
  });

  it('checks the run, every record of the round with distinct reviewers other than the author, and both artefacts', () => {
    // Act
    const { checks } = promotionConditions(facts(), 'production', null);

    // Assess
    expect(checks).toEqual([
      {
        key: { pk: 'RUN#run_1', sk: 'META' },
        conditions: [
          { path: 'candidateId', op: '=', value: 'rc_1' },
          { path: 'status', op: '=', value: 'passed' },
          { path: 'snapshotHash', op: '=', value: 'sha256:snap' },
        ],
      },
      {
        key: { pk: 'APR#apr_1', sk: 'META' },
        conditions: [
          { path: 'status', op: '=', value: 'approved' },
          { path: 'snapshotHash', op: '=', value: 'sha256:snap' },
          { path: 'reviewerId', op: '<>', value: 'u_author' },
          { path: 'reviewerId', op: '<>', value: 'u_product' },
        ],
      },
      {
        key: { pk: 'APR#apr_2', sk: 'META' },
        conditions: [
          { path: 'status', op: '=', value: 'approved' },
          { path: 'snapshotHash', op: '=', value: 'sha256:snap' },
          { path: 'reviewerId', op: '<>', value: 'u_author' },
          { path: 'reviewerId', op: '<>', value: 'u_tech' },
        ],
      },
      {
        key: { pk: 'PV#pv_1', sk: 'META' },
        conditions: [
          { path: 'status', op: '=', value: 'approved' },
          { path: 'contentHash', op: '=', value: 'sha256:prompt' },
        ],
      },
      {
        key: { pk: 'MC#mc_1', sk: 'META' },
        conditions: [
          { path: 'status', op: '=', value: 'approved' },
          { path: 'contentHash', op: '=', value: 'sha256:model' },
        ],
      },
    ]);
  });

  it('checks a record of the round that could not be read, so that a missing record fails the transaction', () => {
    // Act
    const { checks } = promotionConditions(facts({ approvals: [approval('apr_1', 'u_tech')] }), 'production', null);

    // Assess
    const second = checks.find((c) => c.key.pk === 'APR#apr_2');
    expect(second?.conditions).toEqual([
      { path: 'status', op: '=', value: 'approved' },
      { path: 'snapshotHash', op: '=', value: 'sha256:snap' },
      { path: 'reviewerId', op: '<>', value: 'u_author' },
      { path: 'reviewerId', op: '<>', value: 'u_tech' },
    ]);
  });
});
