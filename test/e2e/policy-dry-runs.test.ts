// The policy dry run over HTTP on the seeded demo (issue 15, item 3): a governance reviewer starts one (202), it runs
// in the background one system a step, and its result is paged through; a model owner may not; an invalid document
// is a 400 naming the field, with nothing written.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../functions/domain/policy.js';
import { apiClient, eventually } from '../support/http.js';
import { type SeededStack, startSeededStack } from '../support/seeded-stack.js';

interface DryRunBody {
  id: string;
  status: string;
  progress: { systemsDone: number; systemsTotal: number | null };
  summary: { candidatesChecked: number; releasesChecked: number; blocked: number } | null;
  items: { candidateId: string; subject: string; reasons: { code: string }[]; newlyBlocked: string[] }[];
  nextCursor: string | null;
}

let seeded: SeededStack;
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
    const done = await eventually(async () => {
      const res = await as('greta.governance').get<DryRunBody>(path);
      return res.body.status === 'running' ? undefined : res.body;
    }, 60_000);
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
});
