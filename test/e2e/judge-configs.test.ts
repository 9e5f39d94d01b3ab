// Judge configs over HTTP against the local stack (issue 17, ADR 0036): a model owner registers a judge that calls a
// model config of the system, submits it, a technical reviewer approves it, and a candidate pins it by id and hash.
// Bad input is a 400 naming the field, with nothing written.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC_PROMPT } from '../../functions/domain/types.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput, OUTPUT_CONTRACT, promptInput, systemInput } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string; status: string };
type Problem = { code?: string; errors?: { path: string; message: string }[] };

describe('judge configs over HTTP', () => {
  let stack: LocalStack;
  let dataDir: string;
  const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-judges-'));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName: `e2e-judges-${Date.now()}`,
      seed: false,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates, submits and approves a judge config that a candidate then pins, refusing bad input by field', async () => {
    // Prepare
    const owner = as('omar.owner');
    const technical = as('tessa.technical');
    const system = await owner.post<Json>('/api/systems', systemInput({ ownerTeam: 'support-ai' }));
    const systemId = system.body.id;
    const config = await owner.post<Json>('/api/model-configs', modelConfigInput(systemId));
    const prompt = await owner.post<Json>('/api/prompts', {
      ...promptInput(systemId),
      outputContract: OUTPUT_CONTRACT,
    });
    const dataset = await owner.post<Json>('/api/eval-datasets', {
      systemId,
      name: 'b',
      kind: 'baseline',
      cases: cases(4),
    });
    const judge = {
      systemId,
      name: 'no-legal-advice',
      modelConfigId: config.body.id,
      rubricPrompt: DEFAULT_RUBRIC_PROMPT,
    };

    // Act: bad input first, then the judge's review
    const unknownModel = await owner.post<Problem>('/api/judge-configs', {
      ...judge,
      modelConfigId: 'mc_01JBQ6ZC2W0000000000000000',
    });
    const badPlaceholder = await owner.post<Problem>('/api/judge-configs', {
      ...judge,
      rubricPrompt: 'Grade {{output}} against {{rubric}} for {{customer}}',
    });
    const noVerdict = await owner.post<Problem>('/api/judge-configs', {
      ...judge,
      outputSchema: { type: 'object', properties: { reason: { type: 'string' } } },
    });
    const listedBefore = await owner.get<{ items: Json[] }>(`/api/judge-configs?systemId=${systemId}`);
    const created = await owner.post<Json>('/api/judge-configs', judge);
    const selfReview = await owner.post<Problem>(`/api/judge-configs/${created.body.id}/approve`, {});
    const submitted = await owner.post<Json>(`/api/judge-configs/${created.body.id}/submit`, { comment: 'ready' });
    const approved = await technical.post<Json>(`/api/judge-configs/${created.body.id}/approve`, { comment: 'ok' });
    const read = await owner.get<Json>(`/api/judge-configs/${created.body.id}`);
    for (const [kind, id] of [
      ['prompts', prompt.body.id],
      ['model-configs', config.body.id],
    ]) {
      await owner.post(`/api/${kind}/${id}/submit`);
      await technical.post(`/api/${kind}/${id}/approve`, {});
    }
    const candidate = await owner.post<Json & { judgeConfigs: unknown[] }>('/api/release-candidates', {
      systemId,
      name: 'judged',
      promptVersionId: prompt.body.id,
      modelConfigId: config.body.id,
      judgeConfigIds: [created.body.id],
      datasetIds: [dataset.body.id],
      thresholds: [{ metric: 'accuracy', direction: 'min', value: 0 }],
    });
    const context = await technical.get<{
      sides: { role: string; judgeConfigs: Json[]; judgeModelConfigs: Json[] }[];
    }>(`/api/release-candidates/${candidate.body.id}/context`);

    // Assess
    expect(unknownModel.status).toBe(400);
    expect(unknownModel.body.errors?.map((e) => e.path)).toEqual(['modelConfigId']);
    expect(badPlaceholder.status).toBe(400);
    expect(badPlaceholder.body.errors?.map((e) => e.path)).toEqual(['rubricPrompt']);
    expect(noVerdict.status).toBe(400);
    expect(noVerdict.body.errors?.map((e) => e.path)).toEqual(['outputSchema.required']);
    expect(listedBefore.body.items).toEqual([]);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^jc_/),
      version: 1,
      status: 'draft',
      passThreshold: null,
      outputSchema: { required: ['pass', 'score', 'reason'] },
    });
    expect(selfReview.status).toBe(403);
    expect([submitted.status, approved.status]).toEqual([200, 200]);
    expect(read.body).toMatchObject({
      status: 'approved',
      reviewedBy: 'tessa.technical',
      contentHash: created.body.contentHash,
    });
    expect(candidate.status).toBe(201);
    expect(candidate.body.judgeConfigs).toEqual([
      { id: created.body.id, contentHash: created.body.contentHash, modelConfigId: config.body.id },
    ]);
    // The reviewer's context names the pinned judge, its version and the model config it calls.
    const ours = context.body.sides[0];
    expect(ours?.judgeConfigs.map((j) => [j.id, j.name, j.version, j.status])).toEqual([
      [created.body.id, 'no-legal-advice', 1, 'approved'],
    ]);
    expect(ours?.judgeModelConfigs.map((m) => m.id)).toEqual([config.body.id]);
  });
});
