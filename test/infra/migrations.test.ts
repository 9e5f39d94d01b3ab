// The data migrations function of the dev stage (lib/constructs/migrations.ts, in the workflows stack): one function the operator invokes
// after a deploy that brings a migration, with Lambda's longest timeout, read-write access to the table and its
// indexes only, and its name as a stack output for the runbook's `aws lambda invoke`.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { devGovernanceApp } from '../support/dev-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let template: Template;

beforeAll(() => {
  template = Template.fromStack(devGovernanceApp().workflows);
});

describe('the data migrations function', () => {
  it('runs for up to 15 minutes under its own name, as docs/runbooks/data-migrations.md invokes it', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources).filter((fn) =>
      String(fn.Properties.FunctionName).endsWith('-migrations'),
    );
    expect(functions).toHaveLength(1);
    expect(functions[0]?.Properties).toMatchObject({ Timeout: 900, MemorySize: 1024, Architectures: ['arm64'] });
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.some((name) => name.startsWith('MigrationsFunctionName'))).toBe(true);
  });

  it('may read and write the table and its indexes, and scan nothing', () => {
    const [roleId] = Object.entries(template.findResources('AWS::IAM::Role') as Resources).find(([, role]) =>
      String(role.Properties.Description).includes('migrations'),
    ) ?? [''];
    const actions = Object.values(template.findResources('AWS::IAM::Policy') as Resources)
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement)
      .flatMap((s) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem']));
    expect(actions).not.toContain('dynamodb:Scan');
  });
});
