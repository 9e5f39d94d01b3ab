// A KMS key whose every statement for an AWS service principal carries aws:SourceAccount and aws:SourceArn, so the
// service may use the key only on behalf of this account's named sources (the confused-deputy guard of the IAM
// User Guide, "The confused deputy problem"). Statements CDK adds by itself go through addToResourcePolicy too (an
// encrypted topic's grantPublish to events.amazonaws.com adds kms:Decrypt and kms:GenerateDataKey* without
// conditions): they get the same conditions here, and a service without a declared source fails synthesis.
import { Stack } from 'aws-cdk-lib';
import { type AddToResourcePolicyResult, type PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, type KeyProps } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface SourceBoundKeyProps extends KeyProps {
  /** Per service principal (`events.amazonaws.com`), the ARN pattern of the sources that may use the key. */
  sources: Record<string, string>;
}

/** The service principals a statement names (their names as written, before CDK renders them per region). */
function servicesOf(statement: PolicyStatement): string[] {
  return statement.principals.filter((p) => p instanceof ServicePrincipal).map((p) => p.service);
}

export class SourceBoundKey extends Key {
  private readonly sources: Record<string, string>;

  constructor(scope: Construct, id: string, props: SourceBoundKeyProps) {
    const { sources, ...keyProps } = props;
    super(scope, id, keyProps);
    this.sources = sources;
  }

  override addToResourcePolicy(statement: PolicyStatement, allowNoOp?: boolean): AddToResourcePolicyResult {
    const services = servicesOf(statement);
    if (services.length > 0) {
      // Called by the base constructor before `sources` is set, for the account's own statement only.
      const arns = services.map((service) => {
        const arn = this.sources?.[service];
        if (!arn) throw new Error(`${this.node.path}: no source ARN is declared for ${service}`);
        return arn;
      });
      const conditions = (statement.conditions ?? {}) as Record<string, Record<string, unknown>>;
      if (conditions.StringEquals?.['aws:SourceAccount'] === undefined)
        statement.addCondition('StringEquals', { 'aws:SourceAccount': Stack.of(this).account });
      if (conditions.ArnLike?.['aws:SourceArn'] === undefined)
        statement.addCondition('ArnLike', { 'aws:SourceArn': arns.length === 1 ? arns[0] : arns });
    }
    return super.addToResourcePolicy(statement, allowNoOp);
  }
}
