// The governance policy as a governed document, over HTTP on the local stack (docs/architecture/policy.md): a draft
// walked to activation by two governance reviewers who did not write it, the refusals on the way, and the
// organisation chain that records each step.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANISATION_CHAIN_ID } from '../../functions/domain/audit-chain.js';
import { DEFAULT_POLICY } from '../../functions/domain/policy.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { systemInput } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Version = {
  version: number;
  status: string;
  quorum: number;
  baseVersion: number | null;
  approvals: { reviewerId: string }[];
  document: Record<string, unknown> & { stagingRoles: string[] };
};
type Problem = { code?: string; problems?: string[] };

let stack: LocalStack;
let dataDir: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

/** DEFAULT_POLICY as a draft document, with `change` applied. */
function draftDocument(change: (doc: Record<string, unknown>) => void = () => {}): Record<string, unknown> {
  const {
    version: _v,
    effectiveFrom: _e,
    ...doc
  } = structuredClone(DEFAULT_POLICY) as unknown as Record<string, unknown>;
  change(doc);
  return doc;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-policies-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-policies-${Date.now()}`,
    seed: false,
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('policy versions over HTTP', () => {
  it('starts with the genesis version 1 in force, readable by anyone signed in', async () => {
    // Act
    const listed = await as('omar.owner').get<{ active: Version; items: Version[] }>('/api/policies');

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.body.active).toMatchObject({ version: 1, status: 'active', quorum: 2 });
    expect(listed.body.items.map((v) => v.version)).toEqual([1]);
  });

  it('walks a draft to activation with two governance approvals, refusing the author and a short quorum', async () => {
    // Prepare
    const system = await as('omar.owner').post<{ id: string; policyVersion: number }>(
      '/api/systems',
      systemInput({ name: 'Policy e2e' }),
    );
    expect(system.body.policyVersion).toBe(1);
    // The author is a third governance reviewer, so that the two demo ones (greta and gus) approve
    const author = apiClient(
      stack.url,
      await stack.mint({
        userId: 'gina.governance',
        name: 'Gina Governance',
        roles: ['reviewer:governance'],
        teams: [],
        systems: [],
      }),
    );

    // Act and Assess, step by step
    const ownerDraft = await as('omar.owner').post<Problem>('/api/policies', {
      document: draftDocument(),
      reason: 'not mine to write',
    });
    expect(ownerDraft.status).toBe(403);
    const draft = await author.post<Version>('/api/policies', {
      document: draftDocument((doc) => {
        doc.stagingRoles = ['technical', 'product'];
      }),
      reason: 'staging needs product',
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    expect(draft.body).toMatchObject({ status: 'draft', baseVersion: 1, quorum: 2 });
    const n = draft.body.version;
    expect((await author.post<Version>(`/api/policies/${n}/submit`)).body.status).toBe('submitted');
    const byAuthor = await author.post<Problem>(`/api/policies/${n}/approve`, {});
    expect(byAuthor.status).toBe(403);
    expect(byAuthor.body.code).toBe('SEPARATION_OF_DUTIES');
    expect((await as('greta.governance').post(`/api/policies/${n}/approve`, { reason: 'fine' })).status).toBe(200);
    const short = await as('ada.admin').post<Problem>(`/api/policies/${n}/activate`, {});
    expect(short.status).toBe(409);
    expect(short.body.code).toBe('POLICY_QUORUM_NOT_MET');
    expect((await as('rahul.risk').post(`/api/policies/${n}/approve`, {})).status).toBe(403);
    expect((await as('gus.governance').post(`/api/policies/${n}/approve`, {})).status).toBe(200);
    const active = await as('ada.admin').post<Version>(`/api/policies/${n}/activate`, { reason: 'agreed' });
    expect(active.status, JSON.stringify(active.body)).toBe(200);
    expect(active.body.status).toBe('active');
    expect((await as('omar.owner').get<Version>('/api/policies/1')).body.status).toBe('superseded');
    expect(
      (await as('omar.owner').get<{ policyVersion: number }>(`/api/systems/${system.body.id}`)).body.policyVersion,
    ).toBe(n);
  });

  it('refuses an invalid document with a 400 naming each field, and writes nothing', async () => {
    // Prepare
    const before = await as('ada.admin').get<{ items: Version[] }>('/api/policies?limit=100');

    // Act
    const refused = await as('greta.governance').post<Problem>('/api/policies', {
      document: draftDocument((doc) => {
        doc.tiers = { ...(doc.tiers as object), low: ['janitor'] };
        doc.governance = { activationQuorum: 0 };
      }),
      reason: 'bad',
    });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.problems).toEqual(
      expect.arrayContaining([
        'document.tiers.low has unknown values: janitor',
        'document.governance.activationQuorum must be a whole number from 1 to 5',
      ]),
    );
    const after = await as('ada.admin').get<{ items: Version[] }>('/api/policies?limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('records every step in the organisation chain, which verifies, and shows it to auditors only among readers', async () => {
    // Act
    const chain = await as('aud.auditor').get<{ items: { action: string; systemId: string }[] }>(
      '/api/policies/audit?order=asc&limit=100',
    );
    const owner = await as('omar.owner').get('/api/policies/audit');
    const verified = await stack.store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID);

    // Assess
    expect(chain.status).toBe(200);
    expect(chain.body.items.map((e) => e.action)).toEqual([
      'policy.activated',
      'policy.draft_created',
      'policy.submitted',
      'policy.approved',
      'policy.approved',
      'policy.activated',
    ]);
    expect(new Set(chain.body.items.map((e) => e.systemId))).toEqual(new Set(['org']));
    expect(owner.status).toBe(403);
    expect(verified.ok).toBe(true);
  });
});
