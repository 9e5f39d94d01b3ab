// A secret's value read from Secrets Manager at run time, never from the function's environment (an environment is
// readable with lambda:GetFunctionConfiguration): the environment names the secret by its ARN, the value is fetched
// on first use and kept in the container for a bounded time, so a rotated value is picked up within that time.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How long a container keeps a value before it asks Secrets Manager again (the Lambda extension's default TTL). */
export const SECRET_TTL_MS = 5 * 60_000;

/** The current value of one secret; the same read serves concurrent callers. */
export type SecretSource = () => Promise<string>;

export interface CachedSecretOptions {
  /** Default: the container's one Secrets Manager client. */
  client?: Pick<SecretsManagerClient, 'send'>;
  ttlMs?: number;
  now?: () => number;
}

let sharedClient: SecretsManagerClient | undefined;

function secretsClient(): SecretsManagerClient {
  sharedClient ??= new SecretsManagerClient({ region: process.env.AWS_REGION ?? 'us-east-1', maxAttempts: 3 });
  return sharedClient;
}

/**
 * The value of the secret `secretId` (its ARN or name), read with GetSecretValue and cached for `ttlMs`. A failed
 * read is not cached: the next call asks again. The error never carries the value (there is none yet).
 */
export function cachedSecretValue(secretId: string, options: CachedSecretOptions = {}): SecretSource {
  const ttlMs = options.ttlMs ?? SECRET_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { value: string; readAt: number } | undefined;
  let reading: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const client = options.client ?? secretsClient();
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (typeof out.SecretString !== 'string' || out.SecretString === '') {
      throw new Error(`secret ${secretId} has no string value`);
    }
    cached = { value: out.SecretString, readAt: now() };
    return cached.value;
  };
  return () => {
    if (cached && now() - cached.readAt < ttlMs) return Promise.resolve(cached.value);
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}
