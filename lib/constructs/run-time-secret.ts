// A secret a function reads at run time from Secrets Manager (functions/store/secret-value.ts), never from its
// environment: an environment is readable with lambda:GetFunctionConfiguration, and a CloudFormation dynamic
// reference there would resolve the value into it at deploy time. The environment names the secret's ARN; the
// function's role may read that one secret and nothing else of Secrets Manager.
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { GovernedFunction } from './governed-function.js';

/** Tells `fn` the secret's ARN in `variable` and lets it read the secret's value (GetSecretValue only). */
export function readSecretAtRunTime(fn: GovernedFunction, secret: ISecret, variable: string, sid: string): void {
  fn.lambda.addEnvironment(variable, secret.secretArn);
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({ sid, actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
}
