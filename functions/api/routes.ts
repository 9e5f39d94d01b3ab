// Every route of the API, by resource module. The local stack serves them all from one process; in AWS each
// module is its own Lambda function (lib/ names the module files as bundling entries).
import * as approvals from './approvals.js';
import * as audit from './audit.js';
import * as candidates from './candidates.js';
import * as datasets from './datasets.js';
import * as evalRuns from './eval-runs.js';
import * as events from './events.js';
import * as health from './health.js';
import * as incidents from './incidents.js';
import * as judgeConfigs from './judge-configs.js';
import * as metrics from './metrics.js';
import * as modelCards from './model-cards.js';
import * as modelConfigs from './model-configs.js';
import * as policies from './policies.js';
import * as policyDryRuns from './policy-dry-runs.js';
import * as prompts from './prompts.js';
import * as providerConnections from './provider-connections.js';
import * as reference from './reference.js';
import * as relaxations from './relaxations.js';
import * as reports from './reports.js';
import * as samples from './samples.js';
import * as systems from './systems.js';
import * as webhooks from './webhooks.js';

export const API_MODULES = {
  health,
  systems,
  prompts,
  'model-configs': modelConfigs,
  datasets,
  candidates,
  'eval-runs': evalRuns,
  approvals,
  incidents,
  audit,
  metrics,
  'model-cards': modelCards,
  events,
  webhooks,
  reports,
  'policy-dry-runs': policyDryRuns,
  reference,
  relaxations,
  // Last: routes added later keep the earlier modules' order (the contract probes sample in this order).
  policies,
  'provider-connections': providerConnections,
  'judge-configs': judgeConfigs,
  samples,
} as const;

export type ApiModuleName = keyof typeof API_MODULES;
