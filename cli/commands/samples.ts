// `govern samples list|post|settings`: production samples of a system (ADR 0042, 0049). `post` reads a JSON Lines file,
// checks every line against the contract and the size bounds before anything is sent (a bad line is named by its
// number, nothing posted), then posts batches of at most 25 pinned to the release the first batch landed on, so a
// promotion part-way makes the rest refused (409 ACTIVE_RELEASE_CHANGED) instead of split between two releases.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type * as z from 'zod';
import { idOf, postSamplesRequest, sampleInput, sampleSettingsBody } from '../../functions/contracts/index.js';
import { sampleSizeProblem } from '../../functions/domain/sample-bounds.js';
import { BUILT_IN_REDACTIONS, ENVIRONMENTS, SAMPLE_LIMITS } from '../../functions/domain/types.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printChange } from './relaxations.js';

type SampleInput = z.output<typeof sampleInput>;
type SampleSettings = z.output<typeof sampleSettingsBody>;

type Run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => void;

/** Lines named in one error message at most; the count of the rest follows. */
const MAX_NAMED_LINES = 20;

/** A sample of a file with the line it came from (1-based). */
export interface NumberedSample {
  line: number;
  sample: SampleInput;
}

/**
 * The samples of a JSON Lines text, one JSON object per line (blank lines skipped), each checked against the
 * contract and the size bounds. Any bad line: a usage error naming each (up to 20) by its number and field.
 */
export function parseSamplesJsonl(text: string, file: string): NumberedSample[] {
  const samples: NumberedSample[] = [];
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push(`  line ${line}: not JSON (${(error as Error).message})`);
      continue;
    }
    const parsed = sampleInput.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.join('.');
        problems.push(`  line ${line}: ${field ? `${field}: ` : ''}${issue.message}`);
      }
      continue;
    }
    const sample = parsed.data;
    const size = sampleSizeProblem(sample);
    if (size) problems.push(`  line ${line}: ${size.field} ${size.message}`);
    else samples.push({ line, sample });
  }
  if (problems.length > 0) {
    const named = problems.slice(0, MAX_NAMED_LINES);
    if (problems.length > named.length) named.push(`  and ${problems.length - named.length} more`);
    throw new CliError(EXIT.usage, `${file}: ${problems.length} problem(s); nothing was posted`, named);
  }
  if (samples.length === 0) throw new CliError(EXIT.usage, `${file} holds no sample (one JSON object per line)`);
  return samples;
}

/** `items` in consecutive batches of at most `size`. */
export function batchesOf<T>(items: readonly T[], size: number = SAMPLE_LIMITS.maxBatch): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size ${size}`);
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/**
 * The file line a problem of a refused batch names: the API says `samples[3].at` (the domain's bounds) or
 * `samples.3.at` (the contract's); null when it names no sample.
 */
export function lineOfProblem(path: string, batch: readonly NumberedSample[]): { line: number; field: string } | null {
  const match = /^samples(?:\[(\d+)\]|\.(\d+))\.?(.*)$/.exec(path);
  if (!match) return null;
  const entry = batch[Number(match[1] ?? match[2])];
  return entry ? { line: entry.line, field: match[3] ?? '' } : null;
}

interface PostedBatch {
  accepted: number;
  releaseId: string;
  environment: string;
  sampleIds: string[];
  redactions: Record<string, number>;
  retentionDays: number;
  expiresAt: string;
}

/**
 * `--set` assignments applied to the current settings: `retentionDays=N`, `builtIn=email,phone` (empty: none),
 * `pattern.NAME=REGEX` (adds or replaces; empty: removes), `pattern.NAME.ignoreCase=true|false`. The API checks
 * the result (names, linear-time patterns, bounds) as for any PUT.
 */
export function applySettings(current: SampleSettings, sets: readonly string[]): SampleSettings {
  const next: SampleSettings = {
    redaction: { builtIn: [...current.redaction.builtIn], patterns: current.redaction.patterns.map((p) => ({ ...p })) },
    retentionDays: current.retentionDays,
  };
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq < 1) throw new CliError(EXIT.usage, `--set ${set}: expected key=value`);
    const key = set.slice(0, eq);
    const value = set.slice(eq + 1);
    if (key === 'retentionDays') {
      const days = Number(value);
      if (value.trim() === '' || !Number.isInteger(days)) {
        throw new CliError(EXIT.usage, `--set retentionDays=${value}: a whole number of days`);
      }
      next.retentionDays = days;
    } else if (key === 'builtIn') {
      const rules = value === '' ? [] : value.split(',').map((r) => r.trim());
      const unknown = rules.filter((r) => !(BUILT_IN_REDACTIONS as readonly string[]).includes(r));
      if (unknown.length > 0) {
        throw new CliError(EXIT.usage, `--set builtIn: unknown rule(s) ${unknown.join(', ')}`, [
          `  built-in rules: ${BUILT_IN_REDACTIONS.join(', ')}`,
        ]);
      }
      next.redaction.builtIn = BUILT_IN_REDACTIONS.filter((r) => rules.includes(r));
    } else if (key.startsWith('pattern.') && key.endsWith('.ignoreCase')) {
      const name = key.slice('pattern.'.length, -'.ignoreCase'.length);
      const pattern = next.redaction.patterns.find((p) => p.name === name);
      if (!pattern) throw new CliError(EXIT.usage, `--set ${key}: no pattern named ${name}`);
      if (value !== 'true' && value !== 'false') throw new CliError(EXIT.usage, `--set ${key}: true or false`);
      if (value === 'true') pattern.ignoreCase = true;
      else delete pattern.ignoreCase;
    } else if (key.startsWith('pattern.') && key.length > 'pattern.'.length) {
      const name = key.slice('pattern.'.length);
      const others = next.redaction.patterns.filter((p) => p.name !== name);
      const kept = next.redaction.patterns.find((p) => p.name === name);
      next.redaction.patterns =
        value === ''
          ? others
          : kept
            ? next.redaction.patterns.map((p) => (p === kept ? { ...p, pattern: value } : p))
            : [...others, { name, pattern: value }];
    } else {
      throw new CliError(EXIT.usage, `--set ${key}: unknown setting`, [
        '  settings: retentionDays, builtIn, pattern.NAME, pattern.NAME.ignoreCase',
      ]);
    }
  }
  return next;
}

function settingsLines(s: SampleSettings): string[] {
  return [
    `built-in rules: ${s.redaction.builtIn.join(', ') || 'none'}`,
    ...(s.redaction.patterns.length === 0
      ? ['patterns: none']
      : s.redaction.patterns.map((p) => `pattern ${p.name}: ${p.pattern}${p.ignoreCase ? ' (any case)' : ''}`)),
    `retention: ${s.retentionDays} days`,
  ];
}

/** One line of a sample for a terminal: text cut to `width` characters, without line breaks. */
function cut(text: string, width = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(EXIT.usage, `${name} must be ${min} to ${max}`);
  return n;
}

export function registerSampleCommands(program: Command, run: Run) {
  const samples = program.command('samples').description("a system's production samples (ADR 0042)");
  const systemId = (ctx: CommandContext, id: string) => ctx.validate(idOf('sys'), id, 'the system id');

  run(
    samples
      .command('list')
      .description(
        'a page of the samples, newest first: "id<TAB>served<TAB>release<TAB>redacted<TAB>output" per line; the next page\'s --cursor on stderr (admins and owners)',
      )
      .argument('<systemId>', 'the AI system (sys_...)')
      .option('--limit <n>', 'samples per page (1 to 100; default the API’s)')
      .option('--cursor <cursor>', 'the page after the one that printed this cursor')
      .option('--release <rc>', 'only samples of this release'),
    async (ctx: CommandContext, id: string, opts: { limit?: string; cursor?: string; release?: string }) => {
      systemId(ctx, id);
      const limit = integerOption(opts.limit, '--limit', 1, 100);
      if (opts.release) ctx.validate(idOf('rc'), opts.release, '--release');
      type Sample = {
        id: string;
        at: string;
        releaseId: string;
        output: string;
        redactions: Record<string, number>;
      };
      const page = await ctx.client.get<{ items: Sample[]; nextCursor: string | null }>(`/api/systems/${id}/samples`, {
        limit: limit === undefined ? undefined : String(limit),
        cursor: opts.cursor,
        releaseId: opts.release,
      });
      const { items, nextCursor } = page.body;
      ctx.result(
        page.body,
        items.map((s) => {
          const redacted = Object.entries(s.redactions)
            .map(([rule, n]) => `${rule}:${n}`)
            .join(',');
          return `${s.id}\t${s.at}\t${s.releaseId}\t${redacted || '-'}\t${cut(s.output)}`;
        }),
      );
      if (items.length === 0) ctx.info('no samples');
      if (nextCursor) ctx.info(`more: --cursor ${nextCursor}`);
    },
  );

  run(
    samples
      .command('post')
      .description(
        `posts a JSON Lines file of samples (one {"input","output",...} per line) in batches of at most ${SAMPLE_LIMITS.maxBatch} to the active release; every line is checked first (a bad one is named, nothing posted)`,
      )
      .argument('<systemId>', 'the AI system (sys_...)')
      .requiredOption('-f, --file <path>', 'the samples, one JSON object per line')
      .option('--environment <env>', `whose active release (${ENVIRONMENTS.join(' or ')}; default production)`)
      .option('--release <rc>', 'the release you expect active (another one: 409 ACTIVE_RELEASE_CHANGED)'),
    async (ctx: CommandContext, id: string, opts: { file: string; environment?: string; release?: string }) => {
      systemId(ctx, id);
      let text: string;
      try {
        text = await readFile(ctx.path(opts.file), 'utf8');
      } catch (error) {
        throw new CliError(EXIT.usage, `cannot read ${opts.file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      const numbered = parseSamplesJsonl(text, opts.file);
      const batches = batchesOf(numbered);
      let releaseId = opts.release;
      const posted: PostedBatch[] = [];
      let done = 0;
      for (const [b, batch] of batches.entries()) {
        const body = ctx.validate(
          postSamplesRequest,
          {
            ...(opts.environment ? { environment: opts.environment } : {}),
            ...(releaseId ? { releaseId } : {}),
            samples: batch.map((n) => n.sample),
          },
          `batch ${b + 1}`,
        );
        const first = batch[0]?.line ?? 0;
        const last = batch[batch.length - 1]?.line ?? 0;
        let reply: PostedBatch;
        try {
          reply = (await ctx.client.post<PostedBatch>(`/api/systems/${id}/samples`, body)).body;
        } catch (error) {
          throw refusedBatch(error, { batch, b, batches: batches.length, done, file: opts.file, first });
        }
        posted.push(reply);
        releaseId = reply.releaseId;
        done += reply.accepted;
        ctx.info(`batch ${b + 1}/${batches.length}: lines ${first}–${last}, ${done}/${numbered.length} samples posted`);
      }
      const redactions: Record<string, number> = {};
      for (const p of posted)
        for (const [rule, n] of Object.entries(p.redactions)) redactions[rule] = (redactions[rule] ?? 0) + n;
      const lastBatch = posted[posted.length - 1];
      const summary = {
        accepted: done,
        batches: posted.length,
        releaseId: lastBatch?.releaseId ?? null,
        environment: lastBatch?.environment ?? null,
        sampleIds: posted.flatMap((p) => p.sampleIds),
        redactions,
        expiresAt: lastBatch?.expiresAt ?? null,
      };
      const redacted = Object.entries(redactions)
        .map(([rule, n]) => `${rule} ${n}`)
        .join(', ');
      ctx.result(
        summary,
        `posted ${done} samples to ${summary.releaseId} (${summary.environment}) in ${posted.length} batch(es); redacted: ${redacted || 'nothing'}; kept until ${summary.expiresAt}`,
      );
    },
  );

  run(
    samples
      .command('settings')
      .description(
        'the redaction rules and retention of the samples; with --set, changes them (GET, then PUT of the result; admins and owners)',
      )
      .argument('<systemId>', 'the AI system (sys_...)')
      .option(
        '--set <key=value...>',
        'retentionDays=N, builtIn=email,phone,card (empty: none), pattern.NAME=REGEX (empty: remove), pattern.NAME.ignoreCase=true|false',
      ),
    async (ctx: CommandContext, id: string, opts: { set?: string[] }) => {
      systemId(ctx, id);
      const path = `/api/systems/${id}/sample-settings`;
      const current = (await ctx.client.get<SampleSettings>(path)).body;
      if (!opts.set?.length) {
        ctx.result(current, settingsLines(current));
        return;
      }
      const body = ctx.validate(sampleSettingsBody, applySettings(current, opts.set), 'the settings');
      // A loosening (a rule off or removed, a pattern changed, longer retention) is a relaxation request (202).
      const reply = await ctx.client.put<SampleSettings>(path, body);
      if (reply.status !== 202) ctx.info('settings saved (audited system.sample_settings_changed)');
      printChange(ctx, reply, settingsLines);
    },
  );
}

/** A refused batch's error, with what was posted before it and the file line each problem names. */
function refusedBatch(
  error: unknown,
  at: { batch: readonly NumberedSample[]; b: number; batches: number; done: number; file: string; first: number },
): unknown {
  if (!(error instanceof CliError)) return error;
  const problem = (error.json ?? {}) as {
    field?: unknown;
    detail?: unknown;
    errors?: { path: string; message: string }[];
  };
  const named: string[] = [];
  if (typeof problem.field === 'string') {
    const where = lineOfProblem(problem.field, at.batch);
    if (where) named.push(`  ${at.file} line ${where.line}: ${String(problem.detail ?? where.field)}`);
  }
  for (const e of problem.errors ?? []) {
    const where = lineOfProblem(e.path, at.batch);
    if (where) named.push(`  ${at.file} line ${where.line}: ${where.field ? `${where.field}: ` : ''}${e.message}`);
  }
  const before =
    at.b === 0
      ? 'nothing was posted'
      : `${at.b === 1 ? 'batch 1 was' : `batches 1–${at.b} were`} posted (${at.done} samples, the lines before ${at.first})`;
  return new CliError(
    error.exitCode,
    `batch ${at.b + 1}/${at.batches} (from line ${at.first}) was refused: ${error.message}`,
    [...error.lines, ...named, `  ${before}; nothing from line ${at.first} on`],
    error.json,
  );
}
