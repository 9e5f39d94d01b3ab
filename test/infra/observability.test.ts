// Every governed function logs and measures through Powertools (functions/observability): its construct names the
// service and the one metrics namespace, and keeps X-Ray active tracing (ADR 0010).
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE as FUNCTIONS_NAMESPACE } from '../../functions/observability/metrics.js';
import { GovernedFunction, METRICS_NAMESPACE } from '../../lib/constructs/governed-function.js';

let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ObservabilityTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  new GovernedFunction(stack, 'Archiver', {
    entry: 'functions/audit/archiver-handler.ts',
    description: 'Audit archiver',
    serviceName: 'audit-archiver',
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
  });
  template = Template.fromStack(stack);
});

describe('the observability settings of a governed function', () => {
  it('names the Powertools service and the governance metrics namespace in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'audit-archiver',
          POWERTOOLS_METRICS_NAMESPACE: 'GovernanceControlPlane',
          LOG_LEVEL: 'INFO',
        },
      },
    });
  });

  it('uses the namespace the functions fall back to, so local and deployed metrics land in the same place', () => {
    expect(METRICS_NAMESPACE).toBe(FUNCTIONS_NAMESPACE);
  });

  it('keeps X-Ray active tracing and JSON logs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
    });
  });
});
