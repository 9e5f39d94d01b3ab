import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalCase } from '../../functions/domain/types.js';
import { checkTarget } from '../../functions/workflows/allowed-hosts.js';
import {
  executeHttpCase,
  type HttpModelConfig,
  planRoutes,
  renderTemplate,
} from '../../functions/workflows/http-executor.js';
import { OUTPUT_CONTRACT } from '../support/fixtures.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';

const prompt = { template: 'Classify this ticket: {{ticket}}', outputContract: OUTPUT_CONTRACT };
const evalCase: EvalCase = {
  caseId: 'case-1',
  input: { ticket: 'I was charged twice' },
  expectedLabel: 'billing',
  expectedOutput: null,
  tags: ['billing'],
};

function config(overrides: Partial<HttpModelConfig> = {}): HttpModelConfig {
  return {
    parameters: { temperature: 0, maxTokens: 256, topP: 1 },
    timeoutMs: 2_000,
    routingPolicy: { strategy: 'single', routes: [] },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0.5, outputPer1k: 1.5 },
    ...overrides,
  };
}

describe('the http executor against a model server on 127.0.0.1', () => {
  let server: ModelServer;
  let other: ModelServer;

  beforeAll(async () => {
    server = await startModelServer({
      '/ok': { kind: 'label', label: 'billing', inputTokens: 100, outputTokens: 20 },
      '/wrong': { kind: 'label', label: 'technical' },
      '/slow': { kind: 'slow', delayMs: 30_000, label: 'billing' },
      '/broken': { kind: 'status', status: 500 },
      '/malformed': { kind: 'malformed' },
      '/not-json': { kind: 'not-json' },
    });
    other = await startModelServer({ '/ok': { kind: 'label', label: 'billing' } });
  });

  afterAll(async () => {
    await server?.stop();
    await other?.stop();
  });

  const single = (path: string, overrides: Partial<HttpModelConfig> = {}) =>
    config({ routingPolicy: { strategy: 'single', routes: [{ target: server.url(path), weight: 1 }] }, ...overrides });

  it('scores a schema-valid answer and records the route, tokens and cost', async () => {
    const before = server.requestsTo('/ok').length;
    const result = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/ok'),
      allowedHosts: [server.host],
    });
    expect(result).toMatchObject({
      caseId: 'case-1',
      predictedLabel: 'billing',
      correct: true,
      schemaValid: true,
      timedOut: false,
      fallbackUsed: false,
      fallbackSucceeded: false,
      error: null,
      costUsd: 0.08,
      execution: { route: server.url('/ok'), attempts: 1, tokensIn: 100, tokensOut: 20, error: null },
    });
    const requests = server.requestsTo('/ok');
    expect(requests).toHaveLength(before + 1);
    expect(requests.at(-1)?.body).toEqual({
      prompt: 'Classify this ticket: I was charged twice',
      input: { ticket: 'I was charged twice' },
      parameters: { temperature: 0, maxTokens: 256, topP: 1 },
    });
  });

  it('marks a wrong label as incorrect though the output is valid', async () => {
    const result = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/wrong'),
      allowedHosts: [server.host],
    });
    expect(result).toMatchObject({ predictedLabel: 'technical', correct: false, schemaValid: true, error: null });
  });

  it('abandons a slow primary at the timeout and answers from the fallback URL', async () => {
    const started = Date.now();
    const result = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/slow', {
        // A timeout a loaded machine's fallback call still meets, far below the primary's 30 s answer.
        timeoutMs: 1_000,
        fallbackPolicy: { enabled: true, fallbackModel: server.url('/ok'), maxRetries: 0 },
      }),
      allowedHosts: [server.host],
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result).toMatchObject({
      predictedLabel: 'billing',
      correct: true,
      schemaValid: true,
      timedOut: true,
      fallbackUsed: true,
      fallbackSucceeded: true,
      error: null,
      execution: { route: server.url('/ok'), attempts: 2 },
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(990);
  });

  it('falls back along a fallback chain after a 500', async () => {
    const result = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: config({
        routingPolicy: {
          strategy: 'fallback_chain',
          routes: [
            { target: server.url('/broken'), weight: 1 },
            { target: other.url('/ok'), weight: 1 },
          ],
        },
      }),
      allowedHosts: [server.host, other.host],
    });
    expect(result).toMatchObject({
      timedOut: false,
      fallbackUsed: true,
      fallbackSucceeded: true,
      correct: true,
      error: null,
      execution: { route: other.url('/ok'), attempts: 2 },
    });
  });

  it('retries a failing fallback up to maxRetries and then reports every failure', async () => {
    const before = server.requestsTo('/broken').length;
    const result = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/broken', {
        fallbackPolicy: { enabled: true, fallbackModel: 'some-model-name', maxRetries: 2 },
      }),
      allowedHosts: [server.host],
    });
    expect(server.requestsTo('/broken')).toHaveLength(before + 4);
    expect(result).toMatchObject({
      output: null,
      schemaValid: false,
      correct: false,
      fallbackUsed: true,
      fallbackSucceeded: false,
      execution: { attempts: 4, tokensOut: 0 },
    });
    expect(result.error).toContain('answered 500');
    expect(result.costUsd).toBeGreaterThan(0);
  });

  it('scores a malformed output as schema-invalid and an unparseable answer as an error', async () => {
    const malformed = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/malformed'),
      allowedHosts: [server.host],
    });
    expect(malformed).toMatchObject({ schemaValid: false, predictedLabel: 'billing', error: null });
    const notJson = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/not-json', { fallbackPolicy: { enabled: true, fallbackModel: null, maxRetries: 3 } }),
      allowedHosts: [server.host],
    });
    expect(notJson).toMatchObject({ output: null, schemaValid: false, fallbackUsed: false });
    expect(notJson.execution.attempts).toBe(1);
    expect(notJson.error).toContain('not JSON');
  });

  it('refuses hosts outside the allow list, other ports, other schemes and the metadata address without a request', async () => {
    const countBefore = server.requestCount() + other.requestCount();
    const refusals: [string, string[]][] = [
      [other.url('/ok'), [server.host]],
      [`http://localhost:${server.port}/ok`, [server.host]],
      [`http://127.0.0.1:${server.port + 1}/ok`, [server.host]],
      [`file:///etc/passwd`, [server.host]],
      ['http://169.254.169.254/latest/meta-data/', [server.host]],
      [`http://user:secret@${server.host}/ok`, [server.host]],
    ];
    for (const [target, allowedHosts] of refusals) {
      const result = await executeHttpCase({
        evalCase,
        prompt,
        modelConfig: config({ routingPolicy: { strategy: 'single', routes: [{ target, weight: 1 }] } }),
        allowedHosts,
      });
      expect(result.error).toMatch(/^host not allowed/);
      expect(result).toMatchObject({ output: null, correct: false, schemaValid: false, costUsd: 0 });
      expect(result.execution.attempts).toBe(0);
    }
    // A refused fallback refuses the case before the allowed primary is called.
    const withBadFallback = await executeHttpCase({
      evalCase,
      prompt,
      modelConfig: single('/ok', {
        fallbackPolicy: { enabled: true, fallbackModel: 'http://169.254.169.254/', maxRetries: 0 },
      }),
      allowedHosts: [server.host],
    });
    expect(withBadFallback.error).toMatch(/^host not allowed/);
    expect(server.requestCount() + other.requestCount()).toBe(countBefore);
  });
});

describe('routing and templates of the http executor', () => {
  it('renders {{name}} placeholders from the input and leaves unknown ones', () => {
    expect(renderTemplate('A {{ a }} B {{b}} C {{missing}} D {{toString}}', { a: 'x', b: { n: 1 } })).toBe(
      'A x B {"n":1} C {{missing}} D {{toString}}',
    );
  });

  it('picks weighted routes deterministically per case and roughly by weight', () => {
    const policy = {
      routingPolicy: {
        strategy: 'weighted' as const,
        routes: [
          { target: 'http://a.test/m', weight: 3 },
          { target: 'http://b.test/m', weight: 1 },
          { target: 'http://c.test/m', weight: 0 },
        ],
      },
      fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    };
    const counts = new Map<string | undefined, number>();
    for (let i = 0; i < 2_000; i++) {
      const primary = planRoutes(`case-${i}`, policy).primary;
      expect(planRoutes(`case-${i}`, policy).primary).toBe(primary);
      counts.set(primary, (counts.get(primary) ?? 0) + 1);
    }
    expect(counts.get('http://c.test/m')).toBeUndefined();
    expect(counts.get('http://a.test/m')).toBeGreaterThan(1_350);
    expect(counts.get('http://b.test/m')).toBeGreaterThan(350);
  });

  it('matches allowed hosts exactly by host and port', () => {
    expect(checkTarget('https://models.internal.example/v1', ['models.internal.example']).ok).toBe(true);
    expect(checkTarget('https://models.internal.example:8443/v1', ['models.internal.example']).ok).toBe(false);
    expect(checkTarget('http://models.internal.example:8080/v1', ['models.internal.example:8080']).ok).toBe(true);
    expect(checkTarget('http://[::1]:8080/', ['127.0.0.1:8080']).ok).toBe(false);
    expect(checkTarget('http://0x7f.0.0.1:8080/', ['127.0.0.1:8080']).ok).toBe(true);
    expect(checkTarget('gopher://models.internal.example/', ['models.internal.example']).ok).toBe(false);
  });
});
