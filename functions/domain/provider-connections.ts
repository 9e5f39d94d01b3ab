// Provider connections (issue 16): how the control plane reaches a model provider (OpenAI or any server speaking
// its chat completions, Anthropic, Bedrock) and where the credential is. A connection holds a *reference* to its
// secret, never the value; each change is a new immutable version, so a model config route that names
// `{id, version}` names exactly one server and one credential reference for as long as the version exists.
// Pure: the rules the store and the API apply.

import { MAX_CONNECTION_CONCURRENCY, type ProviderKind } from './types.js';

export type { ProviderKind } from './types.js';

/** One version of a provider connection, as stored and answered (it carries no secret). */
export interface ProviderConnectionVersion {
  id: string;
  name: string;
  version: number;
  provider: ProviderKind;
  /** The API's base URL; null for Bedrock's regional endpoint. */
  baseUrl: string | null;
  /** Bedrock's region (also the SigV4 signing region when a baseUrl points at another endpoint); null otherwise. */
  region: string | null;
  /** Where the credential is: `arn:aws:secretsmanager:...`, `env:NAME` or `file:NAME`; null for Bedrock on IAM. */
  secretRef: string | null;
  concurrencyLimit: number;
  changeSummary: string;
  createdAt: string;
  createdBy: string;
}

/** What an admin gives to register a connection or a new version of one. */
export interface ProviderConnectionInput {
  provider: ProviderKind;
  baseUrl: string | null;
  region: string | null;
  secretRef: string | null;
  concurrencyLimit: number;
}

/** A route's pin on one connection version (model config `routingPolicy.routes[].connection`). */
export interface ConnectionPin {
  id: string;
  version: number;
}

const SECRET_REF_FORMS = [
  // Secrets Manager: a secret ARN (with its random suffix) or a name, never a value.
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/,
  /^env:[A-Z_][A-Z0-9_]{0,127}$/,
  /^file:[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
];

/** Whether `ref` has one of the reference forms; a pasted key (`sk-...`) has none, so it is refused, not stored. */
export function isSecretRef(ref: string): boolean {
  return SECRET_REF_FORMS.some((form) => form.test(ref));
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** One problem per field, in the API's `errors` shape; empty when the input may be stored. */
export function connectionProblems(
  input: ProviderConnectionInput,
  checkHost: (baseUrl: string) => string | null,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (input.provider === 'bedrock') {
    if (input.region === null) problems.push({ path: 'region', message: 'a Bedrock connection names its region' });
  } else {
    if (input.baseUrl === null)
      problems.push({ path: 'baseUrl', message: `an ${input.provider} connection names its base URL` });
    if (input.region !== null) problems.push({ path: 'region', message: 'only a Bedrock connection has a region' });
    if (input.secretRef === null)
      problems.push({ path: 'secretRef', message: `an ${input.provider} connection names the secret of its API key` });
  }
  if (input.region !== null && !REGION.test(input.region))
    problems.push({ path: 'region', message: 'an AWS region such as eu-west-1' });
  if (input.secretRef !== null && !isSecretRef(input.secretRef))
    problems.push({
      path: 'secretRef',
      message: 'a reference to a secret: a Secrets Manager ARN, env:NAME or file:NAME (never the value)',
    });
  // The egress allow-list applies to every endpoint, Bedrock's regional one included.
  if (input.baseUrl !== null || (input.provider === 'bedrock' && input.region !== null && REGION.test(input.region))) {
    const refused = checkHost(connectionEndpoint(input));
    if (refused !== null) problems.push({ path: input.baseUrl !== null ? 'baseUrl' : 'region', message: refused });
  }
  if (
    !Number.isInteger(input.concurrencyLimit) ||
    input.concurrencyLimit < 1 ||
    input.concurrencyLimit > MAX_CONNECTION_CONCURRENCY
  )
    problems.push({ path: 'concurrencyLimit', message: `an integer from 1 to ${MAX_CONNECTION_CONCURRENCY}` });
  return problems;
}

/** The endpoint a connection calls, for allow-list checks and evidence: its base URL or Bedrock's regional one. */
export function connectionEndpoint(c: Pick<ProviderConnectionVersion, 'provider' | 'baseUrl' | 'region'>): string {
  if (c.baseUrl !== null) return c.baseUrl;
  return `https://bedrock-runtime.${c.region ?? 'us-east-1'}.amazonaws.com`;
}

/** The connection versions a model config's routes name, once each, in route order. */
export function pinnedConnections(routes: readonly { connection?: ConnectionPin }[]): ConnectionPin[] {
  const seen = new Map<string, ConnectionPin>();
  for (const route of routes) {
    if (route.connection) seen.set(`${route.connection.id}#${route.connection.version}`, route.connection);
  }
  return [...seen.values()];
}
