// Secrets are read from Secrets Manager at run time and kept for a bounded time (functions/store/secret-value.ts).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedSecretValue, SECRET_TTL_MS } from '../../../functions/store/secret-value.js';

const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:OriginVerify-AbCdEf';
let secrets: AwsClientStub<SecretsManagerClient>;

// Every client of the process is stubbed while a test runs, and restored after it (the unit tier shares modules).
beforeEach(() => {
  secrets = mockClient(SecretsManagerClient);
});
afterEach(() => secrets.restore());

describe('a cached secret value', () => {
  it('reads the secret once for concurrent callers and again only after the TTL, picking up a rotation', async () => {
    // Prepare
    let clock = 0;
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN })
      .resolvesOnce({ SecretString: 'v1' })
      .resolves({ SecretString: 'v2' });
    const secret = cachedSecretValue(ARN, { now: () => clock });

    // Act
    const concurrent = await Promise.all([secret(), secret(), secret()]);
    clock = SECRET_TTL_MS - 1;
    const beforeExpiry = await secret();
    clock = SECRET_TTL_MS;
    const afterExpiry = await secret();

    // Assess
    expect(concurrent).toEqual(['v1', 'v1', 'v1']);
    expect(beforeExpiry).toBe('v1');
    expect(afterExpiry).toBe('v2');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not keep a failed read: the next call asks again', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: 'v1' });
    const secret = cachedSecretValue(ARN);

    // Act
    const failed = await secret().catch((error: Error) => error.message);
    const retried = await secret();

    // Assess
    expect(failed).toBe('throttled');
    expect(retried).toBe('v1');
  });

  it('refuses a secret without a string value rather than sealing with nothing', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });

    await expect(cachedSecretValue(ARN)()).rejects.toThrow(/has no string value/);
  });
});
