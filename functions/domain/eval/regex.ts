// Regular expressions from datasets, run without catastrophic backtracking (ADR 0035). V8's backtracking engine is
// exponential on patterns such as `(a+)+$`; V8 also has a linear-time engine (no backreferences, no lookaround) and
// can fall back to it once a match has backtracked too often. Both are switched on for this process the first time a
// dataset regex is compiled: a pattern is accepted at upload only when the linear engine can run it, and a match runs
// on the fast engine and moves to the linear one after 50,000 backtracks (V8's default), so no pattern that passed
// upload can take more than time linear in the output (about 7 µs per character in the worst case, measured on this
// machine: 1 MiB in under 8 s). The input is bounded too (MAX_REGEX_INPUT_CHARS).
import { setFlagsFromString } from 'node:v8';

/** Longest pattern a regex assertion may carry. */
const MAX_REGEX_LENGTH = 512;
/** Longest output a regex assertion matches; a longer one fails the assertion (fail closed) rather than run long. */
export const MAX_REGEX_INPUT_CHARS = 1_048_576;

/** V8's flag for the linear-time engine (a variable: it is not a flag of the language, so no literal may carry it). */
const LINEAR = 'l';

let linearEngine: boolean | undefined;

/** Switches V8's linear-time engine on (once per process); false when this V8 has none. */
function enableLinearEngine(): boolean {
  if (linearEngine !== undefined) return linearEngine;
  try {
    setFlagsFromString('--enable-experimental-regexp-engine');
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    new RegExp('a', LINEAR);
    linearEngine = true;
  } catch {
    linearEngine = false;
  }
  return linearEngine;
}

/** Why a pattern cannot be a regex assertion's value, or null when it can. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'the pattern is empty';
  if (pattern.length > MAX_REGEX_LENGTH) return `the pattern is longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `not a valid regular expression: ${(error as Error).message}`;
  }
  if (!enableLinearEngine()) return 'this process cannot run regular expressions in linear time';
  try {
    new RegExp(pattern, LINEAR);
  } catch {
    return 'the pattern needs backtracking (a backreference or a lookaround), which could run for unbounded time';
  }
  return null;
}

// Compiled patterns, bounded: a batch uses the same few patterns for every case.
const MAX_CACHED = 256;
const compiled = new Map<string, RegExp>();

/** The pattern compiled for matching (a checked pattern: regexProblem returned null for it). */
export function compiledRegex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    enableLinearEngine();
    re = new RegExp(pattern);
    if (compiled.size >= MAX_CACHED) {
      const oldest = compiled.keys().next().value;
      if (oldest !== undefined) compiled.delete(oldest);
    }
    compiled.set(pattern, re);
  }
  return re;
}
