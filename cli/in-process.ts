// One `govern` invocation in this process, with its output captured: for tests and the benchmark, where spawning a
// process per call would measure Node's start-up rather than the round trip.
import { runCli } from './program.js';

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `govern argv` with exactly `env` (nothing of process.env) in `cwd`. */
export async function runCaptured(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd = process.cwd(),
): Promise<CapturedRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env,
    cwd,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
