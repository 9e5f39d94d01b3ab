// cdk-nag 3 runs as a CDK policy-validation plugin: `cdk synth` fails on any finding that is not acknowledged.
// Acknowledgements go on the construct that owns the finding (and so cover only it and its children), never on a
// stack or the app, and each says why.
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgement {
  /** The rule, e.g. `AwsSolutions-S1`, or one finding of it, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  id: string;
  reason: string;
}

/** Acknowledges findings of `scope` (a resource or the construct that wraps it) with a reason. */
export function acknowledge(scope: IConstruct, rules: NagAcknowledgement[]): void {
  Validations.of(scope).acknowledge(...rules);
}

interface PatternAcknowledgement {
  scope: IConstruct;
  pattern: RegExp;
  reason: string;
}

const patterns: PatternAcknowledgement[] = [];

/**
 * Acknowledges the findings of `scope` whose id matches `pattern`: for granular findings whose ids embed generated
 * names (`AwsSolutions-IAM5[Resource::<SiteBucket1234.Arn>/*]`) on resources that aws-cdk-lib creates for us.
 * Resolved by applyNagPacks, which finds the exact ids.
 */
export function acknowledgeMatching(scope: IConstruct, pattern: RegExp, reason: string): void {
  patterns.push({ scope, pattern, reason });
}

/** The packs applied to the whole app. */
export function nagPacks(app: IConstruct): NagPack[] {
  return [new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true })];
}

/** Turns pattern acknowledgements into exact ones, then registers the packs as validation plugins of `app`. */
export function applyNagPacks(app: IConstruct): NagPack[] {
  const mine = patterns.filter((entry) => entry.scope.node.root === app.node.root);
  if (mine.length > 0) {
    for (const pack of nagPacks(app)) {
      for (const violation of pack.validateScope(app).violations) {
        for (const resource of violation.violatingResources) {
          const path = resource.constructPath ?? '';
          const owner = mine.find(
            (entry) =>
              (path === entry.scope.node.path || path.startsWith(`${entry.scope.node.path}/`)) &&
              entry.pattern.test(violation.ruleName),
          );
          if (owner) acknowledge(owner.scope, [{ id: violation.ruleName, reason: owner.reason }]);
        }
      }
    }
  }
  const packs = nagPacks(app);
  Validations.of(app).addPlugins(...packs);
  return packs;
}
