// The EU AI Act report's function in the synthesised stack: more memory and time than the other API functions (it
// reads a system's whole history and renders a PDF), read-only table access, and read access to the audit archive
// whose state it prints.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { devGovernanceApp } from '../support/dev-app.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

let stateless: Template;
let reports: { id: string; props: Record<string, unknown> };

beforeAll(() => {
  const built = devGovernanceApp();
  stateless = Template.fromStack(built.stateless);
  const found = Object.entries(stateless.findResources('AWS::Lambda::Function') as Resources).find(
    ([, fn]) =>
      (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === 'api-reports',
  );
  if (!found) throw new Error('no api-reports function');
  reports = { id: found[0], props: found[1].Properties };
}, 120_000);

describe('the report function', () => {
  it('has 1,024 MB and 29 s, under the HTTP API integration limit of 30 s', () => {
    expect(reports.props.MemorySize).toBe(1024);
    expect(reports.props.Timeout).toBe(29);
  });

  it('is told the audit bucket and may read and list its audit/ prefix only, and may not write the table', () => {
    const role = (reports.props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(stateless.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: { Sid?: string; Action: string | string[] }[] }).Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

    expect((reports.props.Environment as { Variables: Record<string, unknown> }).Variables.AUDIT_BUCKET).toEqual(
      expect.anything(),
    );
    expect(statements.map((s) => s.Sid)).toEqual(expect.arrayContaining(['ReadAuditArchive', 'ListAuditArchive']));
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:ListBucket', 'dynamodb:Query']));
    expect(actions.filter((a) => /^s3:(Put|Delete)|^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    stateless.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadAuditArchive' })]) },
    });
  });
});
