// The exit codes of `govern`, one per kind of outcome a pipeline may want to branch on (documented in docs/cli.md).
export const EXIT = {
  ok: 0,
  /** A bug or anything not foreseen below. */
  unexpected: 1,
  /** Bad arguments, an unreadable file, or a body the contracts (or the API, 400/413/415/422) refuse. */
  usage: 2,
  /** The gate blocks promotion (also a promotion refused by the gate, and an eval run whose thresholds failed). */
  blocked: 3,
  /** No credentials, or the API refused them (401) or the action (403). */
  auth: 4,
  /** The API could not be reached (connection refused, DNS, timeout) after the retries. */
  network: 5,
  /** The API answered 5xx after the retries. */
  server: 6,
  /**
   * Any other 4xx: not found, a conflict (state, expected active release, an idempotency key still in progress), and
   * an idempotency key reused with a different request (422 `IDEMPOTENCY_KEY_REUSED`).
   */
  rejected: 7,
  /** An eval run that ended in error (the evaluation itself failed, not the candidate). */
  evalError: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An outcome that ends the command with `exitCode`; `lines` are printed to stderr for humans. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly lines: string[] = [],
    /** What `--json` prints to stdout (the API's problem document, say). */
    readonly json?: unknown,
  ) {
    super(message);
  }
}
