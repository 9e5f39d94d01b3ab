// Assertions end to end on DynamoDB Local: a dataset carrying default and per-case assertions is stored with them,
// a bad one is refused naming the case with nothing written, and an `assert.<name>` threshold gates a candidate
// (simulated run with per-case evidence; submitted run judged on the posted text).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import type { EvalCase } from '../../functions/domain/types.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { submitEvalResults } from '../../functions/workflows/eval-steps.js';
import { cases } from '../support/fixtures.js';
import {
  draftCandidate,
  governedSystem,
  owner,
  PASSING_THRESHOLDS,
  runSimulatedEval,
  testEvidence,
} from '../support/lifecycle.js';
import { createTestStore } from '../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
});
afterAll(async () => drop?.());

/** Six cases: each asks (named) that the output label is billing; the dataset asks every output to be JSON. */
async function assertedDataset(systemId: string) {
  return store.datasets.createDataset(owner, {
    systemId,
    name: 'asserted',
    kind: 'regression',
    description: 'cases with assertions',
    defaultAssert: [{ type: 'is-json', name: 'json' }],
    cases: cases(6).map((c) => ({
      ...c,
      assert: [{ type: 'contains', value: '"label":"billing"', name: 'says-billing' }],
    })),
  });
}

describe('assertions on DynamoDB Local', () => {
  it('a dataset keeps its default and per-case assertions, and its cases come back with them', async () => {
    // Prepare
    const base = await governedSystem(store);
    // Act
    const dataset = await assertedDataset(base.system.id);
    const page = await store.datasets.listDatasetCases(dataset.id, {});
    // Assess
    expect(dataset.defaultAssert).toEqual([{ type: 'is-json', name: 'json' }]);
    expect(page.items[0]?.assert).toEqual([{ type: 'contains', value: '"label":"billing"', name: 'says-billing' }]);
    expect(await store.datasets.systemsDefiningAssertion('says-billing')).toContain(base.system.id);
    // A dataset without assertions stores none.
    expect((await store.datasets.listDatasetCases(base.dataset.id, {})).items[0]).not.toHaveProperty('assert');
  });

  it('a dataset with an invalid regex is refused naming the case, and nothing is written', async () => {
    // Prepare
    const base = await governedSystem(store);
    const bad = cases(3).map((c, i) =>
      i === 2 ? { ...c, assert: [{ type: 'regex', value: '(unclosed' }] } : { ...c, assert: [] },
    );
    // Act
    const refusal = await store.datasets
      .createDataset(owner, { systemId: base.system.id, name: 'bad', kind: 'baseline', description: '', cases: bad })
      .catch((error: unknown) => error);
    // Assess
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).detail).toMatchObject({
      field: 'cases.2.assert.0.value',
      caseId: 'case-2',
      index: 2,
    });
    const datasets = await store.datasets.listDatasets({ systemId: base.system.id }, {});
    expect(datasets.items.map((d) => d.name)).toEqual(['baseline']);
  });

  it('a simulated run keeps each verdict in the evidence and fails on an assert.<name> threshold', async () => {
    // Prepare
    const base = await governedSystem(store);
    const dataset = await assertedDataset(base.system.id);
    const draft = await draftCandidate(store, base, {
      datasetIds: [dataset.id],
      thresholds: [
        ...PASSING_THRESHOLDS,
        { metric: 'assert.json', direction: 'min', value: 1, regressionTolerance: null },
        { metric: 'assert.says-billing', direction: 'min', value: 0.99, regressionTolerance: null },
      ],
    });
    await store.candidates.submitCandidate(owner, draft.id);
    // Act
    const candidate = await runSimulatedEval(store, draft.id);
    const run = await store.evalRuns.getEvalRun(candidate.latestEvalRunId as string);
    const evidence = await testEvidence.readPage(run.id, { limit: 10, cursor: null });
    // Assess
    expect(candidate.status).toBe('eval_failed');
    expect(run.metrics?.['assert.json']).toBe(1);
    const saysBilling = evidence.records.filter((r) => r.predictedLabel === 'billing').length / 6;
    expect(run.metrics?.['assert.says-billing']).toBeCloseTo(saysBilling, 12);
    expect(run.failureReasons.some((r) => r.startsWith('assert.says-billing'))).toBe(true);
    expect(run.thresholdVerdicts.find((v) => v.metric === 'assert.json')?.passed).toBe(true);
    const first = evidence.records[0];
    expect(first?.assertions?.map((a) => [a.type, a.name])).toEqual([
      ['is-json', 'json'],
      ['contains', 'says-billing'],
    ]);
    expect(first?.assertions?.[1]?.pass).toBe(first?.predictedLabel === 'billing');
  });

  it('a submitted run is judged on the posted text, and passes when every asserted case passes', async () => {
    // Prepare
    const base = await governedSystem(store);
    const dataset = await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'generative',
      kind: 'baseline',
      description: '',
      cases: cases(4).map((c) => ({
        ...c,
        assert: [
          { type: 'not-contains', value: 'legal advice', name: 'no-legal-advice' },
          { type: 'latency', threshold: 1000 },
        ],
      })),
    });
    const draft = await draftCandidate(store, base, {
      datasetIds: [dataset.id],
      thresholds: [{ metric: 'assert.no-legal-advice', direction: 'min', value: 1, regressionTolerance: null }],
    });
    await store.candidates.submitCandidate(owner, draft.id);
    const { run } = await store.evalRuns.createEvalRun(owner, draft.id, 'submitted');
    const all: EvalCase[] = await store.datasets.allDatasetCases(dataset.id);
    // Act
    await submitEvalResults(
      store,
      owner,
      run.id,
      all.map((c) => ({
        caseId: c.caseId,
        output: { label: c.expectedLabel },
        outputText: 'Please ask a lawyer; this is not advice.',
        latencyMs: 200,
      })),
    );
    const done = await store.evalRuns.getEvalRun(run.id);
    const posted = await store.evalRuns.listCaseResults(run.id, {});
    // Assess
    expect(done.status).toBe('passed');
    expect(done.metrics?.['assert.no-legal-advice']).toBe(1);
    expect(done.metrics?.['assert.pass_rate']).toBe(1);
    expect(posted.items[0]?.assertions?.map((a) => a.pass)).toEqual([true, true]);
  });
});
