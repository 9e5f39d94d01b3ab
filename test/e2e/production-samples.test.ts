// Post-market monitoring on production traffic over HTTP (ADR 0042): an application's token posts samples of the
// active release to the local stack, and a monitoring pass scores the window with the release's label-free
// assertions, finds the pass rate fallen from the approval-time run's, and acts as the policy says (a rollback to
// the last-known-good release). Too few samples: the pass says so and does nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../functions/domain/policy.js';
import type { Assertion } from '../../functions/domain/types.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { monitorOnce } from '../support/check-runs.js';
import { cases } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { activeCandidate, type GovernedSystem, governedSystem, owner } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown>;

const NO_ADVICE: Assertion = { type: 'not-contains', value: 'you should sue', name: 'no-legal-advice' };

let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-samples-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-samples-${Date.now()}`,
    seed: false,
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A system whose datasets carry a label-free named assertion, with two releases (the second active). */
async function twoReleases(): Promise<{ base: GovernedSystem; first: string; second: string }> {
  const store = stack.store;
  const base = await governedSystem(store, { system: { riskTier: 'high' }, cases: 4 });
  const asserted = await store.datasets.createDataset(owner, {
    systemId: base.system.id,
    name: 'asserted',
    kind: 'baseline',
    description: 'cases with a default assertion',
    cases: cases(4),
    defaultAssert: [NO_ADVICE],
  });
  const options = { datasetIds: [base.dataset.id, asserted.id] };
  const first = await activeCandidate(store, base, { ...options, name: 'release 1' });
  const second = await activeCandidate(store, base, { ...options, name: 'release 2' });
  return { base: { ...base, dataset: asserted }, first: first.id, second: second.id };
}

const policy = {
  ...DEFAULT_POLICY,
  monitoring: {
    ...DEFAULT_POLICY.monitoring,
    onFailure: { low: 'incident', medium: 'incident', high: 'rollback', critical: 'rollback' } as const,
    samples: { windowHours: 24, minSamples: 5, tolerance: 0.1, maxSamples: 100 },
  },
};

describe('production samples posted by an application and judged by a monitoring pass', { timeout: 180_000 }, () => {
  it('scores the window, finds the assertion’s pass rate dropped, and rolls back as the policy says', async () => {
    // Prepare: the application's own token, scoped to its system
    const { base, first, second } = await twoReleases();
    const app = apiClient(
      stack.url,
      await stack.mint({
        userId: 'app.service',
        name: 'Support app',
        roles: ['application'],
        teams: [],
        systems: [base.system.id],
      }),
    );
    const answers = [
      'Routed to billing.',
      'you should sue them',
      'Routed to refunds.',
      'you should sue',
      'you should sue',
    ];

    // Act
    const posted = await app.post<Json>(`/api/systems/${base.system.id}/samples`, {
      releaseId: second,
      samples: answers.map((output, i) => ({
        input: { ticket: `ticket ${i} from ada@example.org` },
        output,
        latencyMs: 90,
      })),
    });
    const summary = await monitorOnce(stack.store, { policy, systemIds: [base.system.id] });
    await stack.events.settle();

    // Assess
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({ accepted: 5, releaseId: second, redactions: { email: 5 } });
    const sampled = summary.releases.find((r) => r.source === 'samples');
    expect(sampled).toMatchObject({
      status: 'failed',
      causes: ['drift'],
      action: 'rollback',
      rolledBackTo: first,
      cases: 5,
    });
    expect(sampled?.reasons[0]).toMatch(/^assert\.no-legal-advice dropped by 0\.6 against the approval-time run/);
    const admin = apiClient(stack.url, stack.tokens['ada.admin']?.token);
    const system = await admin.get<Json & { activeReleases: Record<string, string | null> }>(
      `/api/systems/${base.system.id}`,
    );
    expect(system.body.activeReleases.production).toBe(first);
    const run = await admin.get<Json>(`/api/eval-runs/${sampled?.runId}`);
    expect(run.body).toMatchObject({
      purpose: 'monitoring',
      executor: 'submitted',
      sampleWindow: { samples: 5, assertions: ['no-legal-advice'] },
    });
    const published = stack.events.bus.recent.filter(
      (e) => e.type === 'monitoring.samples_received' && e.entity.id === second,
    );
    expect(published).toHaveLength(1);
    expect(JSON.stringify(published[0])).not.toContain('you should sue');
  });

  it('says so and does nothing when the window holds fewer samples than the policy needs', async () => {
    // Prepare
    const { base, second } = await twoReleases();
    const app = apiClient(
      stack.url,
      await stack.mint({
        userId: 'app.service',
        name: 'Support app',
        roles: ['application'],
        teams: [],
        systems: [base.system.id],
      }),
    );
    await app.post<Json>(`/api/systems/${base.system.id}/samples`, {
      samples: [{ input: 'q', output: 'you should sue' }],
    });

    // Act
    const summary = await monitorOnce(stack.store, { policy, systemIds: [base.system.id] });

    // Assess
    const sampled = summary.releases.find((r) => r.source === 'samples');
    expect(sampled).toMatchObject({ status: 'skipped', runId: null, action: 'none', cases: 1 });
    expect(sampled?.note).toContain('fewer than the 5 the policy needs');
    const system = await stack.store.systems.getSystem(base.system.id);
    expect(system.activeReleases.production).toBe(second);
  });
});
