// Checked configuration of a Lambda container: a setting that is missing fails at cold start with a message naming
// the environment variable, never falls back to a default (a wrong table name would write somewhere else).
// No imports: entries that bundle one store module alone (the webhook dispatcher) read their settings here too.
export type Env = Record<string, string | undefined>;

/** A setting the container cannot run without. */
export class ConfigurationError extends Error {
  readonly variable: string;

  constructor(variable: string, purpose: string) {
    super(`${variable} is not set: it names ${purpose}; set it in the function's environment`);
    this.name = 'ConfigurationError';
    this.variable = variable;
  }
}

/** The value of `variable`, or a ConfigurationError naming it. */
function requiredSetting(env: Env, variable: string, purpose: string): string {
  const value = env[variable]?.trim();
  if (!value) throw new ConfigurationError(variable, purpose);
  return value;
}

/** The governance table's name from TABLE_NAME. */
export function tableNameFromEnv(env: Env): string {
  return requiredSetting(env, 'TABLE_NAME', 'the governance DynamoDB table');
}

/** The eval evidence bucket's name from EVIDENCE_BUCKET. */
export function evidenceBucketFromEnv(env: Env): string {
  return requiredSetting(env, 'EVIDENCE_BUCKET', 'the S3 bucket of eval evidence');
}

/** Builds a container's dependencies once, on first use, and hands the same ones (or the same failure) after. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
