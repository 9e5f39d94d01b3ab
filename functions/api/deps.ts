// What handlers need from the outside world, and the composition root of the API's Lambda functions: built once
// per container from checked configuration and passed to the handler. The local stack and the tests compose their
// own Deps (a store over DynamoDB Local, a verifier over the local JWKS) and pass them the same way.
import type { Principal } from '../domain/types.js';
import { type Env, once } from '../store/config.js';
import type { EvidenceStore } from '../store/evidence-store.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import type { SecretCipher } from '../store/webhook-secrets.js';
import type { AuditExportJobs } from '../workflows/audit-export.js';
import type { EvalRunner } from '../workflows/eval-runner.js';
import type { GateCallbacks, GateRunner } from '../workflows/gate-runner.js';
import type { EmitDryRunRequest } from '../workflows/policy-dry-run.js';
import { tokenVerifierFromEnv } from './auth/verify-token.js';

export interface Deps {
  store: GovernanceStore;
  verifyToken: (authorization: string | undefined) => Promise<Principal>;
  /**
   * The per-case evidence of eval runs, for GET /api/eval-runs/{id}/cases, and where posted texts wait for the eval
   * worker to grade their model-graded assertions (ADR 0050): the eval-runs function composes the S3 store of
   * EVIDENCE_BUCKET, the local stack its S3 stand-in's; other functions have none.
   */
  evidence?: EvidenceStore;
  /** Runs eval runs; the candidates function composes one (Step Functions in AWS), the local stack its own. */
  evalRunner?: EvalRunner;
  /** Starts the release gate of an approval round; absent, decisions alone move the candidate. */
  gateRunner?: GateRunner;
  /** Completes a gate's wait after a decision commits; absent, none. */
  gateCallbacks?: GateCallbacks;
  /**
   * The S3 audit archive's state of one system, for GET /api/audit-events/verify. The local stack configures it; in
   * Lambda it is built from AUDIT_BUCKET; absent, the archive is reported `not_configured`.
   */
  auditArchive?: (
    systemId: string,
    request?: { requestFull?: boolean },
  ) => Promise<Record<string, unknown> & { status: string }>;
  /** Seals webhook signing secrets: the webhooks function composes KMS, the local stack its key file's cipher. */
  webhookSecrets?: SecretCipher;
  /**
   * Starts the job of a policy dry run (ADR 0027): the policy-dry-runs function composes an EventBridge put, the
   * local stack its in-process runner; absent, a dry run cannot start.
   */
  startPolicyDryRun?: EmitDryRunRequest;
  /**
   * Starts audit export jobs and signs their download links (ADR 0044): the audit function composes an EventBridge
   * put and the export bucket of AUDIT_EXPORT_BUCKET, the local stack its in-process runner and S3 stand-in; absent,
   * an export cannot start.
   */
  auditExports?: AuditExportJobs;
  /**
   * The egress allow-list (`host`, `host:port`, `host:*`) provider connections are checked against when registered:
   * the provider-connections function reads EVAL_ALLOWED_HOSTS, the local stack passes its own; absent, none.
   */
  evalAllowedHosts?: readonly string[];
  /** Checks the dependencies /health/deps reports on. */
  checkDependencies?: () => Promise<Record<string, 'ok' | string>>;
}

/**
 * The dependencies every API function has: the store over TABLE_NAME (its cursors sealed with the Secrets Manager
 * secret CURSOR_SECRET_ARN names, read when a list first needs it and cached, never from the environment) and the
 * token verifier of AUTH_*.
 */
export function apiDepsFromEnv(env: Env): Deps {
  return { store: storeFromEnv(env), verifyToken: tokenVerifierFromEnv(env) };
}

/**
 * The dependencies of an API Lambda function, built on the container's first request from its environment (and
 * `extend`, for what one function alone needs); a missing setting fails that request, naming the variable.
 */
export function lambdaDeps(extend?: (base: Deps, env: Env) => Promise<Deps>): DepsProvider {
  return once(async () => {
    const base = apiDepsFromEnv(process.env);
    return extend ? extend(base, process.env) : base;
  });
}

/** Where the dependencies of a handler come from: the composition root of its Lambda entry or of the local stack. */
export type DepsProvider = () => Deps | Promise<Deps>;
