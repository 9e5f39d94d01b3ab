// The CDK app: both stacks of one stage, with cdk-nag's AWS Solutions and Serverless packs validating everything.
// bin/app.ts runs it for the CLI; the infra tests build it with bundling skipped.
import { App, type AppProps, Tags } from 'aws-cdk-lib';
import { type StageConfig, stageConfig } from './config.js';
import { applyNagPacks } from './nag.js';
import { StatefulStack } from './stateful-stack.js';
import { StatelessStack } from './stateless-stack.js';

export interface GovernanceApp {
  app: App;
  config: StageConfig;
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/** Builds the app of the stage named by the `stage` context. */
export function createGovernanceApp(props: AppProps = {}, env: Record<string, string | undefined> = {}): GovernanceApp {
  const app = new App(props);
  const config = stageConfig((key) => app.node.tryGetContext(key), env);
  // A concrete region and an optional account: synth never looks anything up, so it runs without credentials.
  const stackEnv = { region: config.region, ...(config.account ? { account: config.account } : {}) };

  const stateful = new StatefulStack(app, `${config.prefix}-stateful`, {
    env: stackEnv,
    config,
    description: 'Governance control plane: table, audit archive, signing key, user pool (retained on delete)',
    terminationProtection: config.stage === 'prod',
  });
  const stateless = new StatelessStack(app, `${config.prefix}-stateless`, {
    env: stackEnv,
    config,
    table: stateful.table,
    auditSigningKey: stateful.auditDigestKey,
    userPool: stateful.identity.userPool,
    userPoolDomain: stateful.identity.domain,
    description: 'Governance control plane: functions, HTTP API, dashboard hosting, alarms',
  });

  Tags.of(app).add('application', 'governance-control-plane');
  Tags.of(app).add('stage', config.stage);
  applyNagPacks(app);
  return { app, config, stateful, stateless };
}
