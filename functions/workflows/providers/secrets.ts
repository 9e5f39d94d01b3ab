// Where a connection's secret is read at run time (the SecretResolver port). In AWS: Secrets Manager, by ARN, cached
// per container (functions/store/secret-value.ts); `env:` and `file:` references are refused there, because a
// function's environment is readable with lambda:GetFunctionConfiguration. Locally: an environment variable
// (`env:NAME`) or a file under the data folder (`file:NAME` → `.data/provider-secrets/NAME`). Errors name the
// connection and the reference, never a value.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../domain/errors.js';
import type { ProviderConnectionVersion } from '../../domain/provider-connections.js';
import { cachedSecretValue, type SecretSource } from '../../store/secret-value.js';

/** The secret of a connection version, or null when it names none (Bedrock on IAM). */
export type SecretResolver = (connection: ProviderConnectionVersion) => Promise<string | null>;

const describe = (c: ProviderConnectionVersion) => `provider connection ${c.name} (${c.id} v${c.version})`;

function missing(c: ProviderConnectionVersion, why: string): ValidationError {
  return new ValidationError(`${describe(c)}: its secret ${c.secretRef} ${why}`, { field: 'secretRef' });
}

/** Secrets Manager, one cached source per secret ARN (read on first use, kept for the TTL). */
export function secretsManagerResolver(
  source: (secretId: string) => SecretSource = (id) => cachedSecretValue(id),
): SecretResolver {
  const sources = new Map<string, SecretSource>();
  return async (c) => {
    if (c.secretRef === null) return null;
    if (!c.secretRef.startsWith('arn:')) throw missing(c, 'is not a Secrets Manager ARN, the only kind read in AWS');
    let read = sources.get(c.secretRef);
    if (!read) {
      read = source(c.secretRef);
      sources.set(c.secretRef, read);
    }
    try {
      return await read();
    } catch (error) {
      throw missing(c, `could not be read (${(error as Error).name})`);
    }
  };
}

/** The local stack's resolver: `env:NAME` from `env`, `file:NAME` from `<dataDir>/provider-secrets/NAME`. */
export function localSecretResolver(options: {
  env?: Record<string, string | undefined>;
  dataDir: string;
}): SecretResolver {
  const env = options.env ?? process.env;
  return async (c) => {
    const ref = c.secretRef;
    if (ref === null) return null;
    if (ref.startsWith('env:')) {
      const value = env[ref.slice(4)];
      if (value === undefined || value === '') throw missing(c, 'is not set');
      return value;
    }
    if (ref.startsWith('file:')) {
      try {
        const value = (await readFile(join(options.dataDir, 'provider-secrets', ref.slice(5)), 'utf8')).trim();
        if (value === '') throw new Error('empty');
        return value;
      } catch {
        throw missing(c, 'has no file or is empty');
      }
    }
    throw missing(c, 'is a Secrets Manager ARN, which the local stack does not read');
  };
}
