// Production samples (issue 17, item 4; ADR 0042): what an application posts of its active release's real traffic,
// how it is redacted before anything is written, and how long it is kept. Samples are evidence for post-market
// monitoring, not governed transitions: they expire (DynamoDB TTL) and never reach the write-once audit archive.
// Pure: the store writes, the API parses.

import { ValidationError } from './errors.js';
import { regexProblem } from './eval/regex.js';
import { contentHash } from './hashing.js';
import { sampleSizeProblem } from './sample-bounds.js';
import {
  BUILT_IN_REDACTIONS,
  type BuiltInRedaction,
  MAX_REDACTION_PATTERNS,
  REDACTION_NAME_PATTERN,
  SAMPLE_LIMITS,
  SAMPLE_RETENTION,
} from './types.js';

/** A system's own redaction rule: a name (the placeholder says it) and a regular expression. */
interface RedactionPattern {
  name: string;
  pattern: string;
  /** Match letters case-insensitively. */
  ignoreCase?: boolean;
}

/** What a system does to the samples it receives: its redaction rules and their retention. */
export interface SampleSettings {
  redaction: { builtIn: BuiltInRedaction[]; patterns: RedactionPattern[] };
  retentionDays: number;
}

/** The settings of a system that has set none: every built-in rule, no pattern of its own, 30 days. */
export function defaultSampleSettings(): SampleSettings {
  return {
    redaction: { builtIn: [...BUILT_IN_REDACTIONS], patterns: [] },
    retentionDays: SAMPLE_RETENTION.defaultDays,
  };
}

/**
 * The content hash of settings (`sha256:` + hex): what a relaxation request of them is bound to. Built-in rules are
 * a set (their order is not part of it); patterns run in order, so theirs is.
 */
export function sampleSettingsHash(settings: SampleSettings): string {
  return contentHash({
    builtIn: BUILT_IN_REDACTIONS.filter((rule) => settings.redaction.builtIn.includes(rule)),
    patterns: settings.redaction.patterns.map((p) => ({
      name: p.name,
      pattern: p.pattern,
      ignoreCase: Boolean(p.ignoreCase),
    })),
    retentionDays: settings.retentionDays,
  });
}

/** Checks settings a caller gives (their shape is the contract's): each pattern compiles and runs in linear time. */
export function checkSampleSettings(settings: SampleSettings): SampleSettings {
  const { retentionDays } = settings;
  if (
    !Number.isInteger(retentionDays) ||
    retentionDays < SAMPLE_RETENTION.minDays ||
    retentionDays > SAMPLE_RETENTION.maxDays
  ) {
    throw new ValidationError(
      `retentionDays must be a whole number of days from ${SAMPLE_RETENTION.minDays} to ${SAMPLE_RETENTION.maxDays}`,
      { field: 'retentionDays' },
    );
  }
  const patterns = settings.redaction.patterns;
  if (patterns.length > MAX_REDACTION_PATTERNS) {
    throw new ValidationError(`at most ${MAX_REDACTION_PATTERNS} redaction patterns`, {
      field: 'redaction.patterns',
    });
  }
  const names = new Set<string>(BUILT_IN_REDACTIONS);
  patterns.forEach((p, i) => {
    const field = `redaction.patterns[${i}]`;
    if (!REDACTION_NAME_PATTERN.test(p.name))
      throw new ValidationError(`${field}.name must be lower-case letters, digits, - and _`, {
        field: `${field}.name`,
      });
    if (names.has(p.name))
      throw new ValidationError(`${field}.name ${p.name} is used twice (or is a built-in rule)`, {
        field: `${field}.name`,
      });
    names.add(p.name);
    const problem = regexProblem(p.pattern);
    if (problem) throw new ValidationError(`${field}.pattern: ${problem}`, { field: `${field}.pattern` });
    // A pattern that matches the empty string would insert a placeholder between every character.
    if (new RegExp(p.pattern, p.ignoreCase ? 'i' : '').test(''))
      throw new ValidationError(`${field}.pattern matches the empty string`, { field: `${field}.pattern` });
  });
  return {
    redaction: { builtIn: [...new Set(settings.redaction.builtIn)], patterns: patterns.map((p) => ({ ...p })) },
    retentionDays,
  };
}

/** One compiled rule: its name and a global expression, with an optional check of each match (card numbers). */
interface Rule {
  name: string;
  re: RegExp;
  accept?: (match: string) => boolean;
}

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/g;
// 13 to 19 digits, single spaces or hyphens between them; only runs that pass the Luhn check are card numbers.
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// An international or national number: an optional +, digits with spaces, dots, hyphens and parentheses; 8 to 15
// digits in all (E.164), and not an ISO date or time.
const PHONE = /(?<![\w+])(?:\+|\(\d)?[\d(][\d ().-]{6,22}\d(?![\w])/g;

/** Whether a run of digits (spaces and hyphens ignored) passes the Luhn check. */
export function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function phoneLike(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  if (digits < 8 || digits > 15) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(match.trim())) return false; // a date
  return true;
}

/** The rules of `settings` in the order they run: card numbers before phones (a card is also a long digit run). */
export function redactionRules(settings: SampleSettings): Rule[] {
  const rules: Rule[] = [];
  const on = new Set(settings.redaction.builtIn);
  if (on.has('card')) rules.push({ name: 'card', re: CARD, accept: luhnValid });
  if (on.has('email')) rules.push({ name: 'email', re: EMAIL });
  if (on.has('phone')) rules.push({ name: 'phone', re: PHONE, accept: phoneLike });
  for (const p of settings.redaction.patterns) {
    // regexProblem switches V8's linear-time engine on in this process before the pattern runs (regex.ts).
    if (regexProblem(p.pattern) !== null) continue; // checked when the settings were written; never runs unchecked
    rules.push({ name: p.name, re: new RegExp(p.pattern, p.ignoreCase ? 'gi' : 'g') });
  }
  return rules;
}

/** The placeholder a redacted match becomes. */
function redactionPlaceholder(name: string): string {
  return `[REDACTED:${name}]`;
}

/** Redacts one string, counting per rule what it replaced. */
export function redactText(text: string, rules: readonly Rule[], counts: Record<string, number>): string {
  let out = text;
  for (const rule of rules) {
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (match) => {
      if (match === '' || (rule.accept && !rule.accept(match))) return match;
      counts[rule.name] = (counts[rule.name] ?? 0) + 1;
      return redactionPlaceholder(rule.name);
    });
  }
  return out;
}

/** Redacts every string in a JSON value (object keys are kept: they are the application's field names). */
function redactValue(value: unknown, rules: readonly Rule[], counts: Record<string, number>): unknown {
  if (typeof value === 'string') return redactText(value, rules, counts);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, rules, counts));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, rules, counts);
    return out;
  }
  return value;
}

/** One sample as the caller posts it (the contract has checked its shape). */
export interface SampleInput {
  input: string | Record<string, unknown>;
  output: string | Record<string, unknown>;
  latencyMs?: number;
  costUsd?: number;
  /** When the application served it; default: when it was received. */
  at?: string;
  metadata?: Record<string, string | number | boolean>;
}

/** One sample as it is stored: redacted, its output as text, its expiry. */
export interface ProductionSample {
  id: string;
  systemId: string;
  releaseId: string;
  environment: 'staging' | 'production';
  at: string;
  receivedAt: string;
  input: string | Record<string, unknown>;
  output: string;
  latencyMs: number | null;
  costUsd: number | null;
  metadata: Record<string, string | number | boolean>;
  /** How many matches each redaction rule replaced in this sample; absent rules replaced nothing. */
  redactions: Record<string, number>;
  expiresAt: string;
}

/** A string with every lone surrogate replaced by U+FFFD: stored text is always valid UTF-8. */
function wellFormedText(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function wellFormedValue(value: unknown): unknown {
  if (typeof value === 'string') return wellFormedText(value);
  if (Array.isArray(value)) return value.map(wellFormedValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[wellFormedText(k)] = wellFormedValue(v);
    return out;
  }
  return value;
}

/**
 * Checks a batch against the bounds (a 400 naming the sample and field, before anything is written) and returns it
 * redacted and ready to store, with the redaction counts of the whole batch. `now` is the receiving time.
 */
export function prepareSamples(input: {
  samples: readonly SampleInput[];
  settings: SampleSettings;
  now: string;
  newId: () => string;
  systemId: string;
  releaseId: string;
  environment: 'staging' | 'production';
}): { samples: ProductionSample[]; redactions: Record<string, number>; expiresAt: string; ttl: number } {
  const { samples, settings, now } = input;
  if (samples.length === 0) throw new ValidationError('samples must hold at least one sample', { field: 'samples' });
  if (samples.length > SAMPLE_LIMITS.maxBatch) {
    throw new ValidationError(`a batch holds at most ${SAMPLE_LIMITS.maxBatch} samples, this one ${samples.length}`, {
      field: 'samples',
      limit: SAMPLE_LIMITS.maxBatch,
    });
  }
  const nowMs = Date.parse(now);
  const expiresMs = nowMs + settings.retentionDays * 86_400_000;
  const oldestMs = nowMs - settings.retentionDays * 86_400_000;
  const rules = redactionRules(settings);
  const total: Record<string, number> = {};
  const out = samples.map((s, i) => {
    const at = `samples[${i}]`;
    const size = sampleSizeProblem(s);
    if (size) throw new ValidationError(`${at}.${size.field} ${size.message}`, { field: `${at}.${size.field}` });
    const outputText = typeof s.output === 'string' ? s.output : JSON.stringify(s.output);
    const metadata = s.metadata ?? {};
    const servedAt = s.at ?? now;
    const servedMs = Date.parse(servedAt);
    if (Number.isNaN(servedMs) || servedMs > nowMs + SAMPLE_LIMITS.maxClockSkewMs)
      throw new ValidationError(`${at}.at lies in the future`, { field: `${at}.at` });
    if (servedMs < oldestMs)
      throw new ValidationError(`${at}.at is older than the system's retention of ${settings.retentionDays} days`, {
        field: `${at}.at`,
      });
    const counts: Record<string, number> = {};
    const sample: ProductionSample = {
      id: input.newId(),
      systemId: input.systemId,
      releaseId: input.releaseId,
      environment: input.environment,
      at: new Date(servedMs).toISOString(),
      receivedAt: now,
      input: wellFormedValue(redactValue(s.input, rules, counts)) as ProductionSample['input'],
      output: wellFormedText(redactText(outputText, rules, counts)),
      latencyMs: s.latencyMs ?? null,
      costUsd: s.costUsd ?? null,
      metadata: wellFormedValue(redactValue(metadata, rules, counts)) as ProductionSample['metadata'],
      redactions: counts,
      expiresAt: new Date(expiresMs).toISOString(),
    };
    for (const [name, n] of Object.entries(counts)) total[name] = (total[name] ?? 0) + n;
    return sample;
  });
  return {
    samples: out,
    redactions: total,
    expiresAt: new Date(expiresMs).toISOString(),
    ttl: Math.ceil(expiresMs / 1000),
  };
}
