// The rules of a provider connection (functions/domain/provider-connections.ts): what each provider needs, the
// forms of a secret reference (never a value), and the egress allow-list on every endpoint.
import { describe, expect, it } from 'vitest';
import {
  connectionEndpoint,
  connectionProblems,
  isSecretRef,
  type ProviderConnectionInput,
} from '../../../functions/domain/provider-connections.js';
import { checkTarget } from '../../../functions/workflows/allowed-hosts.js';

const allowLoopback = (url: string) => {
  const check = checkTarget(url, ['127.0.0.1:*']);
  return check.ok ? null : check.reason;
};
const openai: ProviderConnectionInput = {
  provider: 'openai',
  baseUrl: 'http://127.0.0.1:4010/v1',
  region: null,
  secretRef: 'env:OPENAI_API_KEY',
  concurrencyLimit: 4,
};

describe('provider connection rules', () => {
  it('accepts an OpenAI connection on an allowed host with an environment reference', () => {
    // Act
    const problems = connectionProblems(openai, allowLoopback);

    // Assess
    expect(problems).toEqual([]);
  });

  it('refuses a pasted API key as a secret reference, naming secretRef', () => {
    // Act
    const problems = connectionProblems({ ...openai, secretRef: 'sk-proj-abcdef0123456789' }, allowLoopback);

    // Assess
    expect(problems.map((p) => p.path)).toEqual(['secretRef']);
    expect(JSON.stringify(problems)).not.toContain('sk-proj-abcdef0123456789');
  });

  it('knows the three reference forms and nothing else', () => {
    // Act
    const verdicts = [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:governance-dev/providers/openai-AbCdEf',
      'env:OPENAI_API_KEY',
      'file:openai-key',
      'env:lower',
      'file:../etc/passwd',
      'sk-ant-api03-xyz',
    ].map(isSecretRef);

    // Assess
    expect(verdicts).toEqual([true, true, true, false, false, false]);
  });

  it('refuses a base URL outside the egress allow-list', () => {
    // Act
    const problems = connectionProblems({ ...openai, baseUrl: 'http://169.254.169.254/v1' }, allowLoopback);

    // Assess
    expect(problems).toEqual([{ path: 'baseUrl', message: '169.254.169.254:80 is not an allowed host' }]);
  });

  it('checks a Bedrock connection without a base URL against its regional endpoint', () => {
    // Prepare
    const bedrock: ProviderConnectionInput = {
      provider: 'bedrock',
      baseUrl: null,
      region: 'eu-west-1',
      secretRef: null,
      concurrencyLimit: 4,
    };

    // Act
    const refused = connectionProblems(bedrock, allowLoopback);
    const allowed = connectionProblems(bedrock, (url) =>
      checkTarget(url, ['bedrock-runtime.eu-west-1.amazonaws.com']).ok ? null : 'refused',
    );

    // Assess
    expect(connectionEndpoint(bedrock)).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com');
    expect(refused.map((p) => p.path)).toEqual(['region']);
    expect(allowed).toEqual([]);
  });

  it('asks an Anthropic connection for its base URL and secret, and no region', () => {
    // Act
    const problems = connectionProblems(
      { provider: 'anthropic', baseUrl: null, region: 'eu-west-1', secretRef: null, concurrencyLimit: 0 },
      allowLoopback,
    );

    // Assess
    expect(problems.map((p) => p.path).sort()).toEqual(['baseUrl', 'concurrencyLimit', 'region', 'secretRef']);
  });
});
