// The store's public surface: one object per process, built from a DocumentClient and a table name.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as approvals from './approvals.js';
import * as artefacts from './artefacts.js';
import * as audit from './audit.js';
import * as auditExports from './audit-exports.js';
import * as budgets from './budgets.js';
import * as candidates from './candidates.js';
import * as datasets from './datasets.js';
import * as evalRuns from './eval-runs.js';
import * as idempotency from './idempotency.js';
import * as incidents from './incidents.js';
import * as modelCards from './model-cards.js';
import * as monitoring from './monitoring.js';
import * as overview from './overview.js';
import { cursorKeySource } from './pagination.js';
import * as policies from './policies.js';
import * as policyDryRuns from './policy-dry-runs.js';
import * as providerConnections from './provider-connections.js';
import * as refusals from './refusals.js';
import * as relaxations from './relaxations.js';
import * as reports from './report-inputs.js';
import * as rollbackRequests from './rollback-requests.js';
import * as rollups from './rollups.js';
import * as runCosts from './run-costs.js';
import * as samples from './samples.js';
import * as systems from './systems.js';
import type { RequestMeter, StoreContext } from './unit-of-work.js';
import * as webhooks from './webhooks.js';

export type { Page } from './pagination.js';

export type { RequestMeter } from './unit-of-work.js';

type Bound<M> = {
  [K in keyof M]: M[K] extends (ctx: StoreContext, ...args: infer A) => infer R ? (...args: A) => R : never;
};

function bind<M extends Record<string, unknown>>(ctx: StoreContext, module: M): Bound<M> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(module)) {
    if (typeof fn === 'function') out[name] = (...args: unknown[]) => fn(ctx, ...args);
  }
  return out as Bound<M>;
}

const modules = {
  systems,
  artefacts,
  datasets,
  candidates,
  evalRuns,
  approvals,
  incidents,
  audit,
  auditExports,
  idempotency,
  overview,
  policies,
  monitoring,
  modelCards,
  webhooks,
  reports,
  policyDryRuns,
  relaxations,
  providerConnections,
  runCosts,
  budgets,
  refusals,
  rollbackRequests,
  samples,
  rollups,
};
type Functions<M> = {
  [K in keyof M as M[K] extends (ctx: StoreContext, ...args: never[]) => unknown ? K : never]: M[K];
};

export type GovernanceStore = { ctx: StoreContext } & {
  [K in keyof typeof modules]: Bound<Functions<(typeof modules)[K]>>;
};

/** Builds the store over one table. `now` is injectable so the seed can write a believable history. */
export function createStore(options: {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
  maxAttempts?: number;
  meter?: RequestMeter;
  /** Queue units of work per system in this process (default true); tests of cross-process races turn it off. */
  queuePerSystem?: boolean;
  /** Told of each unit-of-work retry under contention (the composition root passes the meter's). */
  onContentionRetry?: () => void;
  /**
   * Seals list cursors: a value (.data/keys/cursor-secret locally) or a source read when a list needs it (the
   * Secrets Manager secret of CURSOR_SECRET_ARN in AWS); absent, cursors are plain.
   */
  cursorSecret?: string | (() => Promise<string>);
}): GovernanceStore {
  const cursorKey = options.cursorSecret ? cursorKeySource(options.cursorSecret) : undefined;
  const ctx: StoreContext = {
    doc: options.doc,
    tableName: options.tableName,
    now: options.now ?? (() => new Date()),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.meter ? { meter: options.meter } : {}),
    ...(options.onContentionRetry ? { onContentionRetry: options.onContentionRetry } : {}),
    ...(cursorKey ? { cursorKey } : {}),
    ...(options.queuePerSystem === false ? {} : { queues: new Map() }),
  };
  const store = { ctx } as GovernanceStore;
  for (const [name, module] of Object.entries(modules)) {
    (store as unknown as Record<string, unknown>)[name] = bind(ctx, module as Record<string, unknown>);
  }
  return store;
}
