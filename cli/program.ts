// `govern`: the pipeline CLI. runCli() runs one invocation in-process (tests, the benchmark) and resolves with its
// exit code; main.ts wires it to the process.
import { Command, CommanderError } from 'commander';
import { registerArtefactCommands } from './commands/artefacts.js';
import { registerEvidenceCommands } from './commands/evidence.js';
import { registerPolicyCommands } from './commands/policies.js';
import { registerRelaxationCommands } from './commands/relaxations.js';
import { registerReleaseCommands } from './commands/releases.js';
import { registerSampleCommands } from './commands/samples.js';
import { type CliIo, type CommandContext, createContext } from './context.js';
import { CliError, EXIT } from './exit-codes.js';
import pkg from './package.json' with { type: 'json' };

export type { CliIo } from './context.js';
export { EXIT } from './exit-codes.js';

export const VERSION: string = pkg.version;

const EXIT_CODE_HELP = `
Exit codes:
  0 ok                      4 no or refused credentials (401/403)
  1 unexpected              5 API unreachable (after retries)
  2 usage / invalid input   6 API server error 5xx (after retries)
  3 blocked (gate, failed   7 other 4xx: not found, conflict,
    eval run)                 an Idempotency-Key reused
                            8 eval run ended in error

Environment: GOVERN_API_URL, GOVERN_TOKEN, GOVERN_OIDC=github, GOVERN_OIDC_AUDIENCE,
  GOVERN_IDEMPOTENCY_SCOPE, GOVERN_RETRIES, GOVERN_TIMEOUT_MS. See docs/cli.md.`;

function buildProgram(io: CliIo, failure: { error?: unknown }): Command {
  const program = new Command('govern')
    .description('Register, evaluate, gate and promote AI releases against the governance control plane.')
    .version(VERSION)
    .option('--api <url>', 'the API base URL (env GOVERN_API_URL; default http://127.0.0.1:3000)')
    .option('--json', 'print machine-readable JSON on stdout (and no progress on stderr)')
    .option('-q, --quiet', 'print no progress or messages on stderr (errors still)')
    .option('--oidc <provider>', "authenticate with the CI's OIDC token: github (env GOVERN_OIDC)")
    .option('--idempotency-key <key>', 'use this Idempotency-Key for the (first) write instead of the derived one')
    .option('--retries <n>', 'retries on network errors and 5xx (env GOVERN_RETRIES; default 3)')
    .option('--timeout <ms>', 'per-request timeout (env GOVERN_TIMEOUT_MS; default 30000)')
    .addHelpText('after', EXIT_CODE_HELP)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text.replace(/\n$/, '')),
      writeErr: (text) => io.stderr(text.replace(/\n$/, '')),
    });

  const run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => {
    command.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      try {
        await action(createContext(self, io), ...(args.slice(0, -1) as never[]));
      } catch (error) {
        failure.error = error;
      }
    });
  };
  registerArtefactCommands(program, run);
  registerReleaseCommands(program, run);
  registerEvidenceCommands(program, run);
  registerRelaxationCommands(program, run);
  registerPolicyCommands(program, run);
  registerSampleCommands(program, run);
  // Every subcommand reports usage errors through the same override instead of exiting the process.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput(program.configureOutput());
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs `govern` with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const failure: { error?: unknown } = {};
  const program = buildProgram(io, failure);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') return EXIT.usage;
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    failure.error = error;
  }
  if (failure.error === undefined) return EXIT.ok;
  return report(failure.error, io, program.opts<{ json?: boolean }>().json === true);
}

function report(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof CliError) {
    io.stderr(`govern: ${error.message}`);
    for (const line of error.lines) io.stderr(line);
    if (json && error.json !== undefined) io.stdout(JSON.stringify(error.json, null, 2));
    return error.exitCode;
  }
  io.stderr(`govern: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
  return EXIT.unexpected;
}
