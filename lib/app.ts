// The CDK app: the stacks of one stage (stateful, workflows, stateless), with cdk-nag's AWS Solutions and
// Serverless packs validating everything.
// bin/app.ts runs it for the CLI; the infra tests build it with bundling skipped.
import { App, type AppProps, Tags } from 'aws-cdk-lib';
import { type StageConfig, stageConfig } from './config.js';
import { EDGE_REGION, EdgeStack } from './edge-stack.js';
import { applyNagPacks } from './nag.js';
import { StatefulStack } from './stateful-stack.js';
import { StatelessStack } from './stateless-stack.js';
import { WorkflowsStack } from './workflows-stack.js';

export interface GovernanceApp {
  app: App;
  config: StageConfig;
  stateful: StatefulStack;
  /** State machines, monitoring, audit archiver, events, operator alerts: deployed before `stateless`. */
  workflows: WorkflowsStack;
  /** Functions of the API, the HTTP API, the dashboard's hosting and app client, the API's alarms. */
  stateless: StatelessStack;
  /** The stage's own web ACL in us-east-1, when its config asks for one (`webAcl`). */
  edge?: EdgeStack;
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
  const edge = config.webAcl
    ? new EdgeStack(app, `${config.prefix}-edge`, {
        env: { ...stackEnv, region: EDGE_REGION },
        config,
        webAcl: config.webAcl,
        description: 'Governance control plane: the WAF web ACL in front of CloudFront (rate limits per client)',
      })
    : undefined;
  // The stateless side is two stacks (ADR 0019), each far below CloudFormation's 500 resources
  // (test/infra/stack-headroom.test.ts): the API stack's functions start, answer and read the workflows stack's
  // state machines and archive, so the workflows stack deploys first and owns the alerts topic both notify.
  const workflows = new WorkflowsStack(app, `${config.prefix}-workflows`, {
    env: stackEnv,
    config,
    table: stateful.table,
    auditSigningKey: stateful.auditDigestKey,
    description: 'Governance control plane: state machines, monitoring, audit archiver, events, operator alerts',
  });
  const webAclArn = edge?.webAclArn ?? config.webAclArn;
  const stateless = new StatelessStack(app, `${config.prefix}-stateless`, {
    env: stackEnv,
    config,
    table: stateful.table,
    userPool: stateful.identity.userPool,
    userPoolDomain: stateful.identity.domain,
    workflows,
    ...(webAclArn ? { webAclArn } : {}),
    description: 'Governance control plane: API functions, HTTP API, dashboard hosting, API alarms',
  });

  Tags.of(app).add('application', 'governance-control-plane');
  Tags.of(app).add('stage', config.stage);
  applyNagPacks(app);
  return { app, config, stateful, workflows, stateless, ...(edge ? { edge } : {}) };
}
