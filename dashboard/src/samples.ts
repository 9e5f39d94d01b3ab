// Production samples (ADR 0042) as the dashboard shows them: what redaction replaced, in counts; the monitoring
// pass that last scored a release's samples; and the settings form's rows turned into the body the API takes.
import { BUILT_IN_REDACTIONS, type EvalRun } from '../../functions/domain/types';
import { api, type Page } from './api';

/** GET/PUT /api/systems/{id}/sample-settings. */
export interface SampleSettings {
  redaction: {
    builtIn: (typeof BUILT_IN_REDACTIONS)[number][];
    patterns: { name: string; pattern: string; ignoreCase?: boolean }[];
  };
  retentionDays: number;
}

/** One item of GET /api/systems/{id}/samples (text already redacted by the API when it was posted). */
export interface ProductionSample {
  id: string;
  systemId: string;
  releaseId: string;
  environment: string;
  at: string;
  receivedAt: string;
  input: string | Record<string, unknown>;
  output: string;
  latencyMs: number | null;
  costUsd: number | null;
  metadata: Record<string, string | number | boolean>;
  redactions: Record<string, number>;
  expiresAt: string;
}

const BUILT_IN_NAMES: Record<string, string> = {
  email: 'e-mail addresses',
  phone: 'phone numbers',
  card: 'card numbers',
};

/** A redaction rule's name for people: the built-ins in words, the system's own patterns by their name. */
export function redactionLabel(rule: string): string {
  return BUILT_IN_NAMES[rule] ?? rule;
}

/** What redaction replaced in a sample, in counts: "account-id: 1, e-mail addresses: 2"; "nothing" when none. */
export function redactionSummary(redactions: Record<string, number>): string {
  const parts = Object.entries(redactions)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, n]) => `${redactionLabel(rule)}: ${n}`);
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

/** A sample's input as one line of text: text as it is, a JSON object as compact JSON. */
export function sampleText(value: string | Record<string, unknown>): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Pages of a release's runs read to find its newest monitoring run over samples (runs come newest first). */
const RUN_PAGES = 5;

/** The newest monitoring run of `releaseId` that scored production samples, or null when none has. */
export async function latestSampleRun(releaseId: string): Promise<EvalRun | null> {
  let cursor: string | null = null;
  for (let i = 0; i < RUN_PAGES; i++) {
    const page: Page<EvalRun> = await api.get<Page<EvalRun>>('/api/eval-runs', {
      candidateId: releaseId,
      limit: 100,
      cursor: cursor ?? undefined,
    });
    const found = page.items.find((run) => run.sampleWindow !== undefined);
    if (found) return found;
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  return null;
}

/** A row of the settings form: every field a string as the inputs hold it. */
export interface PatternRow {
  name: string;
  pattern: string;
  ignoreCase: boolean;
}

export interface SettingsForm {
  builtIn: string[];
  patterns: PatternRow[];
  retentionDays: string;
}

export function formOf(settings: SampleSettings): SettingsForm {
  return {
    builtIn: [...settings.redaction.builtIn],
    patterns: settings.redaction.patterns.map((p) => ({
      name: p.name,
      pattern: p.pattern,
      ignoreCase: p.ignoreCase === true,
    })),
    retentionDays: String(settings.retentionDays),
  };
}

/**
 * The PUT body of a form, as typed: the API checks it (names, patterns that run in linear time, the retention's
 * bounds) and answers a 400 naming the field, which the page shows. Rows left entirely blank are dropped; a
 * retention that is not a number is sent as typed, so the API names it.
 */
export function settingsBody(form: SettingsForm): unknown {
  const days = form.retentionDays.trim();
  return {
    redaction: {
      builtIn: BUILT_IN_REDACTIONS.filter((rule) => form.builtIn.includes(rule)),
      patterns: form.patterns
        .filter((p) => p.name.trim() !== '' || p.pattern !== '')
        .map((p) => ({ name: p.name.trim(), pattern: p.pattern, ...(p.ignoreCase ? { ignoreCase: true } : {}) })),
    },
    retentionDays: days !== '' && Number.isFinite(Number(days)) ? Number(days) : days,
  };
}
