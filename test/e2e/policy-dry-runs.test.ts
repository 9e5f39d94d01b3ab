// The policy dry run over HTTP on the seeded demo (issue 15, item 3): a governance reviewer starts one (202), it runs
// in the background one system a step, and its result is paged through; a model owner may not; an invalid document
// is a 400 naming the field, with nothing written.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../functions/domain/policy.js';
import type { Actor } from '../../functions/domain/types.js';
import { apiClient } from '../support/http.js';
import { type SeededStack, startSeededStack } from '../support/seeded-stack.js';
import { actorOf, principal } from '../support/store.js';

interface DryRunBody {
  id: string;
  status: string;
  progress: { systemsDone: number; systemsTotal: number | null };
  summary: { candidatesChecked: number; releasesChecked: number; blocked: number } | null;
  items: { candidateId: string; subject: string; reasons: { code: string }[]; newlyBlocked: string[] }[];
  nextCursor: string | null;
}

let seeded: SeededStack;
const [greta, gus, gina] = ['greta', 'gus', 'gina'].map((n) =>
  actorOf(principal(`${n}.governance`, ['reviewer:governance'])),
) as [Actor, Actor, Actor];
const as = (user: string) => apiClient(seeded.stack.url, seeded.stack.tokens[user]?.token);

/** The default policy as a draft is written: without version and effectiveFrom, every tier needing `kinds`. */
function draftRequiring(kinds: string[]) {
  const { version: _v, effectiveFrom: _e, ...document } = DEFAULT_POLICY;
  const rules = { approvers: {}, requiredDatasetKinds: kinds, thresholdFloors: [], evalValidityHours: null };
  return {
    ...document,
    promotionRules: { production: { low: rules, medium: rules, high: rules, critical: rules }, staging: rules },
  };
}

/** Items of the dry-run partitions in the table (a test may scan; the API never does). */
async function storedDryRunItems(): Promise<number> {
  const out = await seeded.stack.doc.send(
    new ScanCommand({
      TableName: seeded.stack.tableName,
      FilterExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': 'PDR#' },
      Select: 'COUNT',
    }),
  );
  return out.Count ?? 0;
}

/** Starts a dry run as greta and waits for it to finish; answers the finished run with every item of its result. */
async function dryRunToEnd(body: object): Promise<{ status: number; done: DryRunBody }> {
  const started = await as('greta.governance').post<DryRunBody>('/api/policy-dry-runs', body);
  const path = `/api/policy-dry-runs/${started.body.id}`;
  // The local job runs in the stack's process: once it is idle, the dry run has ended.
  await seeded.stack.policyDryRuns.idle();
  const done = (await as('greta.governance').get<DryRunBody>(`${path}?limit=100`)).body;
  const items = [...done.items];
  for (let cursor = done.nextCursor; cursor !== null; ) {
    const page = await as('greta.governance').get<DryRunBody>(`${path}?limit=100&cursor=${encodeURIComponent(cursor)}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  }
  return { status: started.status, done: { ...done, items } };
}

const missingKind = (items: DryRunBody['items']) =>
  items.filter((i) => i.reasons.some((r) => r.code === 'DATASET_KIND_MISSING'));

beforeAll(async () => {
  seeded = await startSeededStack({ name: 'policy-dry-runs', policyDryRunOptions: { systemsPerStep: 1 } });
});
afterAll(async () => seeded?.stop());

describe('policy dry runs over HTTP', () => {
  it('starts a dry run (202), which succeeds in the background, and pages through its result', async () => {
    // Act
    const started = await as('greta.governance').post<DryRunBody>('/api/policy-dry-runs', {
      document: draftRequiring(['adversarial']),
    });
    const path = `/api/policy-dry-runs/${started.body.id}`;
    await seeded.stack.policyDryRuns.idle();
    const done = (await as('greta.governance').get<DryRunBody>(path)).body;
    const items: DryRunBody['items'] = [];
    let pages = 0;
    for (let cursor: string | null = ''; cursor !== null; pages++) {
      const page: { body: DryRunBody } = await as('ada.admin').get<DryRunBody>(
        `${path}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    }

    // Assess
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(path);
    expect(started.body).toMatchObject({ status: 'running', items: [], summary: null });
    expect(done.status).toBe('succeeded');
    expect(done.progress.systemsTotal).toBe(done.progress.systemsDone);
    expect(done.progress.systemsDone).toBeGreaterThan(1);
    expect(items).toHaveLength(done.summary?.blocked ?? -1);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(items.map((i) => `${i.subject}:${i.candidateId}`)).size).toBe(items.length);
    const lacking = items.filter((i) => i.reasons.some((r) => r.code === 'DATASET_KIND_MISSING'));
    expect(lacking.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.newlyBlocked.includes('DATASET_KIND_MISSING'), item.candidateId).toBe(lacking.includes(item));
    }
  });

  it('refuses a model owner, to start one and to read one', async () => {
    // Prepare
    const started = await as('ada.admin').post<DryRunBody>('/api/policy-dry-runs', { document: draftRequiring([]) });

    // Act
    const start = await as('omar.owner').post('/api/policy-dry-runs', { document: draftRequiring([]) });
    const read = await as('omar.owner').get(`/api/policy-dry-runs/${started.body.id}`);

    // Assess
    expect(started.status).toBe(202);
    expect(start.status).toBe(403);
    expect(read.status).toBe(403);
  });

  it('answers an invalid document with a 400 naming the field, and writes nothing', async () => {
    // Prepare
    await seeded.stack.policyDryRuns.idle();
    const before = await storedDryRunItems();
    const document = { ...draftRequiring([]), tiers: { ...DEFAULT_POLICY.tiers, low: ['technical', 'wizard'] } };

    // Act
    const res = await as('greta.governance').post<{ problems: string[]; field: string }>('/api/policy-dry-runs', {
      document,
    });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('document');
    expect(res.body.problems).toContain('document.tiers.low has unknown values: wizard');
    expect(await storedDryRunItems()).toBe(before);
  });
  it('dry-runs a stored version named by its number, and answers an unknown number 404 and both at once 400', async () => {
    // Prepare: a draft stored through the policy store, requiring an adversarial dataset everywhere
    const draft = await seeded.stack.store.policies.createPolicyDraft(greta, {
      document: draftRequiring(['adversarial']),
      reason: 'adversarial sets everywhere',
    });

    // Act
    const named = await dryRunToEnd({ draftVersion: draft.version });
    const unknown = await as('greta.governance').post<{ detail: string }>('/api/policy-dry-runs', {
      draftVersion: 999,
    });
    const both = await as('greta.governance').post<{ errors: { path: string }[] }>('/api/policy-dry-runs', {
      document: draftRequiring([]),
      draftVersion: draft.version,
    });

    // Assess
    expect(named.status).toBe(202);
    expect(named.done.status).toBe('succeeded');
    expect(missingKind(named.done.items).length).toBeGreaterThan(0);
    for (const item of missingKind(named.done.items)) expect(item.newlyBlocked).toContain('DATASET_KIND_MISSING');
    expect(unknown.status).toBe(404);
    expect(both.status).toBe(400);
    expect(both.body.errors.map((e) => e.path)).toContain('document');
  });

  it('compares a draft with the version in force rather than the default: a rule already in force is not new', async () => {
    // Prepare: a version requiring an adversarial dataset everywhere, approved by two reviewers and activated
    const { store } = seeded.stack;
    const draft = await store.policies.createPolicyDraft(greta, {
      document: draftRequiring(['adversarial']),
      reason: 'adversarial sets everywhere',
    });
    await store.policies.submitPolicy(greta, draft.version);
    await store.policies.approvePolicy(gus, draft.version, null);
    await store.policies.approvePolicy(gina, draft.version, null);
    await store.policies.activatePolicy(gus, draft.version, 'in force');

    // Act: the same requirement as a draft (DEFAULT_POLICY lacks it, so under the default it would be new)
    const { done } = await dryRunToEnd({ document: draftRequiring(['adversarial']) });

    // Assess
    expect(done.status).toBe('succeeded');
    expect(missingKind(done.items).length).toBeGreaterThan(0);
    for (const item of done.items) expect(item.newlyBlocked, item.candidateId).not.toContain('DATASET_KIND_MISSING');
  });
});
