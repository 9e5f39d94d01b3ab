// Redaction, retention and the bounds of a batch of production samples (ADR 0042), from their definitions in
// functions/domain/samples.ts: nothing an application posts is written before these run.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  checkSampleSettings,
  defaultSampleSettings,
  luhnValid,
  prepareSamples,
  redactionRules,
  redactText,
  type SampleSettings,
} from '../../../functions/domain/samples.js';
import { SAMPLE_LIMITS } from '../../../functions/domain/types.js';

const NOW = '2026-12-07T12:00:00.000Z';

function redact(text: string, settings: SampleSettings = defaultSampleSettings()) {
  const counts: Record<string, number> = {};
  return { text: redactText(text, redactionRules(settings), counts), counts };
}

function prepare(samples: Parameters<typeof prepareSamples>[0]['samples'], settings = defaultSampleSettings()) {
  let n = 0;
  return prepareSamples({
    samples,
    settings,
    now: NOW,
    newId: () => `smp_${++n}`,
    systemId: 'sys_1',
    releaseId: 'rc_1',
    environment: 'production',
  });
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.detail.field as string;
    throw error;
  }
  return undefined;
}

describe('the built-in redaction rules', () => {
  it('replace e-mail addresses, phone numbers and Luhn-valid card numbers, and count each', () => {
    // Prepare
    const text = 'Mail ada@example.org or call +44 20 7946 0958; card 4111 1111 1111 1111 expires soon.';

    // Act
    const out = redact(text);

    // Assess
    expect(out.text).toBe('Mail [REDACTED:email] or call [REDACTED:phone]; card [REDACTED:card] expires soon.');
    expect(out.counts).toEqual({ email: 1, phone: 1, card: 1 });
  });

  it('leave a digit run that fails the Luhn check to the phone rule only when it is phone-length', () => {
    // Act
    const sixteen = redact('order 4111 1111 1111 1112 shipped');
    const dates = redact('served on 2026-12-07 at 12:00, case 12345');

    // Assess
    expect(luhnValid('4111 1111 1111 1112')).toBe(false);
    expect(sixteen.counts.card).toBeUndefined();
    expect(dates.text).toBe('served on 2026-12-07 at 12:00, case 12345');
    expect(dates.counts).toEqual({});
  });

  it('run only the rules the system keeps on', () => {
    // Prepare
    const settings: SampleSettings = { redaction: { builtIn: ['email'], patterns: [] }, retentionDays: 30 };

    // Act
    const out = redact('ada@example.org, +44 20 7946 0958', settings);

    // Assess
    expect(out.text).toBe('[REDACTED:email], +44 20 7946 0958');
  });
});

describe('a system’s own redaction patterns', () => {
  it('replace what they match, case-insensitively when asked', () => {
    // Prepare
    const settings = checkSampleSettings({
      redaction: { builtIn: [], patterns: [{ name: 'policy-number', pattern: 'POL-[0-9]{6}', ignoreCase: true }] },
      retentionDays: 7,
    });

    // Act
    const out = redact('claims for pol-123456 and POL-654321', settings);

    // Assess
    expect(out.text).toBe('claims for [REDACTED:policy-number] and [REDACTED:policy-number]');
    expect(out.counts).toEqual({ 'policy-number': 2 });
  });

  it('are refused, naming the field, when invalid, backtracking, empty-matching or named twice', () => {
    // Prepare
    const withPattern = (pattern: string, name = 'mine'): SampleSettings => ({
      redaction: { builtIn: [], patterns: [{ name, pattern }] },
      retentionDays: 30,
    });

    // Act
    const invalid = fieldOf(() => checkSampleSettings(withPattern('(unclosed')));
    const backreference = fieldOf(() => checkSampleSettings(withPattern('(a)\\1')));
    const empty = fieldOf(() => checkSampleSettings(withPattern('a*')));
    const builtInName = fieldOf(() => checkSampleSettings(withPattern('x', 'email')));

    // Assess
    expect(invalid).toBe('redaction.patterns[0].pattern');
    expect(backreference).toBe('redaction.patterns[0].pattern');
    expect(empty).toBe('redaction.patterns[0].pattern');
    expect(builtInName).toBe('redaction.patterns[0].name');
  });

  it('keep retention within 1 to 90 days', () => {
    // Act
    const tooLong = fieldOf(() => checkSampleSettings({ redaction: { builtIn: [], patterns: [] }, retentionDays: 91 }));
    const none = fieldOf(() => checkSampleSettings({ redaction: { builtIn: [], patterns: [] }, retentionDays: 0 }));

    // Assess
    expect(tooLong).toBe('retentionDays');
    expect(none).toBe('retentionDays');
  });
});

describe('a batch of samples prepared for writing', () => {
  it('is redacted in its input, output and metadata, and expires after the retention (TTL in epoch seconds)', () => {
    // Act
    const out = prepare([
      {
        input: { question: 'I am ada@example.org', nested: ['call +44 20 7946 0958'] },
        output: 'Noted, ada@example.org.',
        latencyMs: 120,
        metadata: { user: 'ada@example.org', region: 'eu' },
      },
    ]);

    // Assess
    const [sample] = out.samples;
    expect(sample?.input).toEqual({ question: 'I am [REDACTED:email]', nested: ['call [REDACTED:phone]'] });
    expect(sample?.output).toBe('Noted, [REDACTED:email].');
    expect(sample?.metadata).toEqual({ user: '[REDACTED:email]', region: 'eu' });
    expect(out.redactions).toEqual({ email: 3, phone: 1 });
    expect(out.expiresAt).toBe('2027-01-06T12:00:00.000Z');
    expect(out.ttl).toBe(Date.parse('2027-01-06T12:00:00.000Z') / 1000);
    expect(sample).toMatchObject({ at: NOW, receivedAt: NOW, latencyMs: 120, costUsd: null });
  });

  it('is refused over the batch limit, naming samples', () => {
    // Prepare
    const many = Array.from({ length: SAMPLE_LIMITS.maxBatch + 1 }, () => ({ input: 'q', output: 'a' }));

    // Act
    const field = fieldOf(() => prepare(many));

    // Assess
    expect(field).toBe('samples');
  });

  it('is refused for an output over its byte bound, a future time or one older than the retention', () => {
    // Act
    const huge = fieldOf(() => prepare([{ input: 'q', output: 'é'.repeat(SAMPLE_LIMITS.maxOutputBytes / 2 + 1) }]));
    const future = fieldOf(() =>
      prepare([
        { input: 'q', output: 'a' },
        { input: 'q', output: 'a', at: '2026-12-08T00:00:00Z' },
      ]),
    );
    const old = fieldOf(() => prepare([{ input: 'q', output: 'a', at: '2026-10-01T00:00:00Z' }]));

    // Assess
    expect(huge).toBe('samples[0].output');
    expect(future).toBe('samples[1].at');
    expect(old).toBe('samples[0].at');
  });

  it('stores well-formed text when the output holds a lone surrogate', () => {
    // Act
    const out = prepare([{ input: 'q', output: 'broken \uD800 text' }]);

    // Assess
    expect(out.samples[0]?.output).toBe('broken \uFFFD text');
  });
});
