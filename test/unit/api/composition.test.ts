// The composition roots read checked configuration: a Lambda container without its settings fails on its first
// request with a message naming the variable, and never falls back to a default table name.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiDepsFromEnv } from '../../../functions/api/deps.js';
import { handler as systemsHandler } from '../../../functions/api/systems.js';
import { ConfigurationError, once, tableNameFromEnv } from '../../../functions/store/config.js';
import { evidenceStoreFromEnv } from '../../../functions/store/evidence-store.js';
import { cursorKeyFromSecret } from '../../../functions/store/pagination.js';
import { storeFromEnv } from '../../../functions/store/store-from-env.js';
import { captureOutput } from '../observability/output-capture.js';

const CURSOR_ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:CursorSecret-AbCdEf';
const AUTH = { AUTH_ISSUER: 'https://issuer.test', AUTH_AUDIENCE: 'governance', AUTH_JWKS_JSON: '{"keys":[]}' };

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('checked configuration', () => {
  it('refuses a missing or blank TABLE_NAME with an error that names the variable', () => {
    for (const env of [{}, { TABLE_NAME: '' }, { TABLE_NAME: '  ' }]) {
      expect(() => tableNameFromEnv(env)).toThrow(ConfigurationError);
      expect(() => tableNameFromEnv(env)).toThrow(/^TABLE_NAME is not set/);
    }
    expect(() => storeFromEnv({})).toThrow(/TABLE_NAME/);
  });

  it('reads the table name it is given and no other', () => {
    expect(tableNameFromEnv({ TABLE_NAME: 'governance-prod' })).toBe('governance-prod');
  });

  it('builds no API dependencies without TABLE_NAME, even when the token settings are there', () => {
    expect(() => apiDepsFromEnv(AUTH)).toThrow(/TABLE_NAME is not set/);
  });

  it('refuses a missing or blank EVIDENCE_BUCKET by name and builds the S3 evidence store of the bucket it names', () => {
    for (const env of [{}, { EVIDENCE_BUCKET: '' }, { EVIDENCE_BUCKET: '  ' }]) {
      expect(() => evidenceStoreFromEnv(env)).toThrow(ConfigurationError);
      expect(() => evidenceStoreFromEnv(env)).toThrow(/^EVIDENCE_BUCKET is not set/);
    }

    const evidence = evidenceStoreFromEnv({ EVIDENCE_BUCKET: 'governance-evidence-prod' });

    expect(evidence.describe()).toBe('s3://governance-evidence-prod/runs/');
  });

  it("seals the store's cursors with the secret CURSOR_SECRET_ARN names, read from Secrets Manager when a list needs it", async () => {
    // Prepare
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand, { SecretId: CURSOR_ARN }).resolves({ SecretString: 'the-secret' });
    const sealed = storeFromEnv({ TABLE_NAME: 'governance-prod', CURSOR_SECRET_ARN: CURSOR_ARN });
    const plain = storeFromEnv({ TABLE_NAME: 'governance-prod', CURSOR_SECRET: 'a value in the environment' });

    try {
      // Act: building the store reads nothing; the first list that seals a cursor does.
      const readsAtBuild = secrets.commandCalls(GetSecretValueCommand).length;
      const key = await sealed.ctx.cursorKey?.();
      await sealed.ctx.cursorKey?.();

      // Assess
      expect(readsAtBuild).toBe(0);
      expect(key).toEqual(cursorKeyFromSecret('the-secret'));
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(plain.ctx.cursorKey).toBeUndefined();
    } finally {
      secrets.restore();
    }
  });

  it('builds a container dependency once and hands the same one after', () => {
    const build = vi.fn(() => ({ built: true }));
    const get = once(build);

    expect(get()).toBe(get());
    expect(build).toHaveBeenCalledTimes(1);
  });
});

describe('a Lambda entry without its configuration', () => {
  it('answers its first request with a generic 500 and logs the missing variable by name', async () => {
    vi.stubEnv('TABLE_NAME', '');
    const logged = captureOutput();
    const event = {
      version: '2.0',
      routeKey: 'GET /api/systems',
      rawPath: '/api/systems',
      rawQueryString: '',
      headers: { authorization: 'Bearer x' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/api/systems' }, requestId: 'r1' },
    } as unknown as APIGatewayProxyEventV2;

    const res = (await systemsHandler(event, {
      awsRequestId: 'cold-start',
    } as Context)) as APIGatewayProxyStructuredResultV2;

    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('TABLE_NAME');
    logged.restore();
    expect(JSON.stringify(logged.lines.filter((l) => l.level === 'ERROR'))).toContain('TABLE_NAME is not set');
  });
});
