// docs/cost.md prices what the stacks hold; the counts it quotes are read here from the synthesised dev and prod
// templates, and the test fails when the page and the templates disagree (the table between the
// `template-figures` markers: a figure per row, its dev and its prod value).
import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GovernanceApp } from '../../lib/app.js';
import { devGovernanceApp, prodGovernanceApp } from '../support/dev-app.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };

const serviceOf = (r: Resource) =>
  (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
    ?.POWERTOOLS_SERVICE_NAME as string | undefined;

/** Each figure of the page, by the text of its first cell, computed from every resource of a stage's stacks. */
const FIGURES: Record<string, (resources: Resource[], built: GovernanceApp) => string> = {
  stacks: (_, built) => String(stacksOf(built).length),
  'Lambda functions of ours': (rs) => String(rs.filter((r) => serviceOf(r) !== undefined).length),
  'of them, API handlers and the authoriser': (rs) =>
    String(rs.filter((r) => serviceOf(r) === 'authorizer' || serviceOf(r)?.startsWith('api-')).length),
  'CloudWatch alarms': (rs) => count(rs, 'AWS::CloudWatch::Alarm'),
  'CloudWatch dashboards': (rs) => count(rs, 'AWS::CloudWatch::Dashboard'),
  'customer-managed KMS keys': (rs) => count(rs, 'AWS::KMS::Key'),
  'log groups': (rs) => count(rs, 'AWS::Logs::LogGroup'),
  'state machines': (rs) => count(rs, 'AWS::StepFunctions::StateMachine'),
  'EventBridge Scheduler schedules': (rs) => count(rs, 'AWS::Scheduler::Schedule'),
  'audit digest interval': (rs) => {
    const digest = rs.find(
      (r) => r.Type === 'AWS::Scheduler::Schedule' && String(r.Properties?.Name).endsWith('-audit-digest'),
    );
    return String(digest?.Properties?.ScheduleExpression);
  },
  'SQS queues': (rs) => count(rs, 'AWS::SQS::Queue'),
  'S3 buckets': (rs) => count(rs, 'AWS::S3::Bucket'),
  'WAF web ACLs created': (rs) => count(rs, 'AWS::WAFv2::WebACL'),
};

const count = (resources: Resource[], type: string) => String(resources.filter((r) => r.Type === type).length);
const stacksOf = (built: GovernanceApp) => built.app.node.children.filter((child) => child instanceof Stack);
const resourcesOf = (built: GovernanceApp) =>
  stacksOf(built).flatMap((stack) => Object.values(Template.fromStack(stack).toJSON().Resources ?? {}) as Resource[]);

/** The rows of the marked table in docs/cost.md: [figure, dev, prod]. */
function documentedFigures(): string[][] {
  const page = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8');
  const marked = /<!-- template-figures:start[^>]*-->([\s\S]*?)<!-- template-figures:end -->/.exec(page);
  if (!marked?.[1]) throw new Error('docs/cost.md has no template-figures table');
  return marked[1]
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')),
    )
    .slice(1);
}

let computed: { dev: Resource[]; prod: Resource[]; devApp: GovernanceApp; prodApp: GovernanceApp };

beforeAll(() => {
  const devApp = devGovernanceApp();
  const prodApp = prodGovernanceApp();
  computed = { dev: resourcesOf(devApp), prod: resourcesOf(prodApp), devApp, prodApp };
}, 120_000);

describe('docs/cost.md', () => {
  it('quotes every figure of its template table as the synthesised dev and prod templates hold it', () => {
    const rows = documentedFigures();
    expect(rows.map(([figure]) => figure).sort()).toEqual(Object.keys(FIGURES).sort());
    for (const [figure, dev, prod] of rows) {
      const compute = FIGURES[figure as string] as (typeof FIGURES)[string];
      expect({ figure, dev, prod }).toEqual({
        figure,
        dev: compute(computed.dev, computed.devApp),
        prod: compute(computed.prod, computed.prodApp),
      });
    }
  });
});
