// What handlers need from the outside world, built once per container. The local stack and the tests configure
// their own (a store over DynamoDB Local, a verifier over the local JWKS) through configureDeps.
import type { Principal } from '../domain/types.js';
import { sharedDocumentClient } from '../store/client.js';
import { createStore, type GovernanceStore } from '../store/index.js';
import { configureCursorSecret } from '../store/pagination.js';
import { DEFAULT_TABLE_NAME } from '../store/table-definition.js';
import type { EvalRunner } from '../workflows/eval-runner.js';
import type { GateCallbacks, GateRunner } from '../workflows/gate-runner.js';
import { tokenVerifierFromEnv } from './auth/verify-token.js';

export interface Deps {
  store: GovernanceStore;
  verifyToken: (authorization: string | undefined) => Promise<Principal>;
  /**
   * Runs simulated evals. When absent, the candidates module creates one (kept out of other bundles): with
   * EVAL_STATE_MACHINE_ARN set, StartExecution of the eval-run state machine; otherwise in-process.
   */
  evalRunner?: EvalRunner;
  /**
   * Starts the release gate of an approval round. When absent: with RELEASE_GATE_STATE_MACHINE_ARN set,
   * StartExecution of the release-gate state machine; otherwise no gate (decisions alone move the candidate).
   */
  gateRunner?: GateRunner;
  /**
   * Completes a gate's wait after a decision commits. When absent: with RELEASE_GATE_STATE_MACHINE_ARN set,
   * SendTaskSuccess / SendTaskFailure; otherwise none.
   */
  gateCallbacks?: GateCallbacks;
  /**
   * The S3 audit archive's state of one system, for GET /api/audit-events/verify. The local stack configures it; in
   * Lambda it is built from AUDIT_BUCKET; absent, the archive is reported `not_configured`.
   */
  auditArchive?: (systemId: string) => Promise<Record<string, unknown> & { status: string }>;
  /** Checks the dependencies /health/deps reports on. */
  checkDependencies?: () => Promise<Record<string, 'ok' | string>>;
}

let configured: Deps | undefined;

/** Replaces the dependencies of every handler in this process (local stack, tests). */
export function configureDeps(deps: Deps): void {
  configured = deps;
}

/** The dependencies of this container: configured ones, or ones built from the Lambda environment. */
export function getDeps(): Deps {
  if (!configured) {
    configureCursorSecret(process.env.CURSOR_SECRET);
    const store = createStore({ doc: sharedDocumentClient(), tableName: process.env.TABLE_NAME ?? DEFAULT_TABLE_NAME });
    configured = {
      store,
      verifyToken: tokenVerifierFromEnv(process.env),
    };
  }
  return configured;
}
