// promptfoo's results file as the posts `govern evals submit --promptfoo` makes (ADR 0041, docs/promptfoo.md): parts
// of at most 500 rows and 4 MiB of the same shape, checked as a whole before the first is posted. Each post is
// all-or-nothing on the API's side; the parts together are not: a part the API refuses leaves the parts before it
// recorded. So what a whole file can be checked for here is checked first (every part against the API's contract,
// every row naming a case, no case named twice anywhere in the file), and a refusal names the file's rows.
import { promptfooResultsRequest } from '../functions/contracts/index.js';
import { promptfooRepeatProblem, promptfooRowCase } from '../functions/domain/promptfoo-tests.js';
import { CliError, EXIT } from './exit-codes.js';

/** Rows per post, and the most bytes of JSON one post may carry (the route takes 5 MiB). */
const PROMPTFOO_ROWS_PER_POST = 500;
const PROMPTFOO_BYTES_PER_POST = 4 * 1024 * 1024;

/** One post: its body, and the file's index of its first row. */
interface PromptfooPart {
  body: Record<string, unknown>;
  firstRow: number;
  rows: number;
}

/** A part's row `results.results.<i>` named as the file's row (`results.results.<firstRow + i>`). */
function inFile(text: string, firstRow: number): string {
  return text.replace(/results\.results\.(\d+)/g, (_, i: string) => `results.results.${firstRow + Number(i)}`);
}

/**
 * promptfoo's results file as posts of the same shape, each with some of its rows: the version and eval id go with
 * every part; what the API does not read (its config, prompts, stats) stays behind.
 */
export function promptfooParts(file: unknown): PromptfooPart[] {
  const f = file as { evalId?: unknown; metadata?: unknown; results?: { version?: unknown; results?: unknown } };
  const rows = f?.results?.results;
  if (!Array.isArray(rows) || rows.length === 0)
    throw new CliError(EXIT.usage, 'the promptfoo file has no results.results rows: is it `promptfoo eval -o` output?');
  const envelope = (chunk: unknown[]) => ({
    ...(f.evalId === undefined ? {} : { evalId: f.evalId }),
    ...(f.metadata === undefined ? {} : { metadata: f.metadata }),
    results: { version: f.results?.version, results: chunk },
  });
  const parts: PromptfooPart[] = [];
  let chunk: unknown[] = [];
  let firstRow = 0;
  let bytes = 0;
  rows.forEach((row: unknown, index) => {
    const size = Buffer.byteLength(JSON.stringify(row), 'utf8');
    if (chunk.length > 0 && (chunk.length >= PROMPTFOO_ROWS_PER_POST || bytes + size > PROMPTFOO_BYTES_PER_POST)) {
      parts.push({ body: envelope(chunk), firstRow, rows: chunk.length });
      chunk = [];
      firstRow = index;
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  });
  parts.push({ body: envelope(chunk), firstRow, rows: chunk.length });
  return parts;
}

/**
 * Every refusal a whole file can be given before anything is posted, naming the file's rows: a part the API's
 * contract refuses (its shape, the results version), a row naming no case, two rows naming one case (which posts of
 * separate parts would not see: the second would find the case posted and be ignored).
 */
export function checkPromptfooParts(parts: readonly PromptfooPart[]): void {
  for (const part of parts) {
    const parsed = promptfooResultsRequest.safeParse(part.body);
    if (!parsed.success)
      throw new CliError(
        EXIT.usage,
        'the promptfoo file does not match the API contract: nothing was posted',
        parsed.error.issues.map((issue) =>
          inFile(
            issue.path.length ? `  ${issue.path.join('.')}: ${issue.message}` : `  ${issue.message}`,
            part.firstRow,
          ),
        ),
      );
  }
  const firstRowOf = new Map<string, number>();
  for (const part of parts) {
    const rows = (part.body.results as { results: Parameters<typeof promptfooRowCase>[0][] }).results;
    rows.forEach((row, i) => {
      const field = `results.results.${part.firstRow + i}`;
      const named = promptfooRowCase(row, field);
      if ('problem' in named) throw new CliError(EXIT.usage, `${named.problem}: nothing was posted`);
      const earlier = firstRowOf.get(named.caseId);
      if (earlier !== undefined)
        throw new CliError(
          EXIT.usage,
          `${promptfooRepeatProblem(`results.results.${earlier}`, field, named.caseId)}: nothing was posted`,
        );
      firstRowOf.set(named.caseId, part.firstRow + i);
    });
  }
}

/**
 * The API's refusal of part `index` with the file's rows named, and what the parts before it left: recorded, kept, and
 * skipped when the same command runs again (a case already posted keeps its first result).
 */
export function partRefused(error: unknown, parts: readonly PromptfooPart[], index: number): unknown {
  if (!(error instanceof CliError)) return error;
  const part = parts[index] as PromptfooPart;
  const left =
    index === 0
      ? ['  nothing was recorded']
      : [
          `  ${index === 1 ? 'part 1' : `parts 1 to ${index}`} (rows 0 to ${part.firstRow - 1}) ${index === 1 ? 'was recorded and is' : 'were recorded and are'} kept; part ${index + 1} (rows ${part.firstRow} to ${part.firstRow + part.rows - 1}) and after were not`,
          '  fix the file and run the same command again: cases already posted keep their results, the others are recorded',
        ];
  return new CliError(
    error.exitCode,
    `part ${index + 1}/${parts.length}: ${inFile(error.message, part.firstRow)}`,
    [...error.lines.map((line) => inFile(line, part.firstRow)), ...left],
    error.json,
  );
}
