// Fine-grained assertions on the synthesised templates of the dev stage (bundling skipped: the entries are named,
// not built; test/infra/bundling.test.ts bundles one function for real).
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CachePolicy, OriginRequestPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTH_ENV, principalFromClaims } from '../../functions/api/auth/verify-token.js';
import { PRINCIPAL_ROLES } from '../../functions/domain/types.js';
import { createTableInput, TTL_ATTRIBUTE } from '../../functions/store/table-definition.js';
import type { GovernanceApp } from '../../lib/app.js';
import { AuditArchive } from '../../lib/constructs/audit-archive.js';
import { ROLE_GROUPS } from '../../lib/constructs/identity.js';
import { nagPacks } from '../../lib/nag.js';
import { readRouteManifest, routesByModule } from '../../lib/route-manifest.js';
import { devGovernanceApp, statelessSide } from '../support/dev-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

let built: GovernanceApp;
let stateful: Template;
let stateless: Template;
const manifest = readRouteManifest();
const modules = [...routesByModule(manifest).keys()];

beforeAll(() => {
  built = devGovernanceApp();
  stateful = Template.fromStack(built.stateful);
  // The workflows and API stacks as one: every function, role and alarm of the stage (ADR 0019).
  stateless = statelessSide(built);
});

function only(template: Template, type: string): Record<string, unknown> {
  const found = Object.values(template.findResources(type) as Resources);
  expect(found).toHaveLength(1);
  return (found[0] as Resources[string]).Properties;
}

/** Our functions (GovernedFunction) carry POWERTOOLS_SERVICE_NAME; CDK's deployment handler does not. */
function governedFunctions(): [string, Resources[string]][] {
  return Object.entries(stateless.findResources('AWS::Lambda::Function') as Resources).filter(([, fn]) => {
    const env = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    return env?.POWERTOOLS_SERVICE_NAME !== undefined;
  });
}

/** The eval task functions of the eval-run state machine: GovernedFunctions told their task by EVAL_TASK. */
function isEvalTask([, fn]: [string, Resources[string]]): boolean {
  const env = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
  return env?.EVAL_TASK !== undefined;
}

/** The API functions and the authoriser (service names `api-<module>` and `authorizer`); not the workflows'. */
function apiFunctions(): [string, Resources[string]][] {
  return governedFunctions().filter(([, fn]) => {
    const service = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables
      .POWERTOOLS_SERVICE_NAME as string;
    return service === 'authorizer' || service.startsWith('api-');
  });
}

function roleOf(fn: Resources[string]): string {
  return (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string;
}

describe('the stateful stack', () => {
  it('keeps every audit archive object version under Object Lock COMPLIANCE for the stage retention', () => {
    stateful.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      },
    });
  });

  it('locks archive objects for the retention it is given, as prod does for ten years', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Archive');
    new AuditArchive(stack, 'Archive', { retentionDays: 3650, accessLogsBucket: new Bucket(stack, 'Logs') });

    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } } },
    });
  });

  it('builds the table from the shared definition: keys, indexes and stream as DynamoDB Local has them', () => {
    const definition = createTableInput('governance-dev');
    const table = only(stateful, 'AWS::DynamoDB::Table');

    expect(table.TableName).toBe('governance-dev');
    expect(table.KeySchema).toEqual(definition.KeySchema);
    expect(table.AttributeDefinitions).toEqual(definition.AttributeDefinitions);
    expect(table.GlobalSecondaryIndexes).toEqual(definition.GlobalSecondaryIndexes);
    expect(table.StreamSpecification).toEqual({ StreamViewType: definition.StreamSpecification.StreamViewType });
  });

  it('makes the table on-demand, recoverable to a point in time, protected from deletion, with TTL', () => {
    stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      },
    });
  });

  it('encrypts the table with its own rotating customer-managed key', () => {
    const table = only(stateful, 'AWS::DynamoDB::Table');
    const keyId = ((table.SSESpecification as { KMSMasterKeyId: { 'Fn::GetAtt': string[] } }).KMSMasterKeyId[
      'Fn::GetAtt'
    ] ?? [])[0] as string;

    expect(table.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
    const key = stateful.findResources('AWS::KMS::Key')[keyId] as Resources[string];
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key.Properties.KeySpec).toBeUndefined();
  });

  it('signs audit digests with a retained asymmetric P-256 key', () => {
    stateful.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
    });
  });

  it('lets only administrators create people, and requires MFA and a strong password', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      DeletionProtection: 'ACTIVE',
      UserPoolTier: 'PLUS',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireSymbols: true }) },
    });
  });

  it('has one Cognito group per role, and each group name maps to a role of the domain', () => {
    const groups = Object.values(stateful.findResources('AWS::Cognito::UserPoolGroup') as Resources).map(
      (group) => group.Properties.GroupName as string,
    );

    expect(groups.sort()).toEqual(ROLE_GROUPS.map((group) => group.name).sort());
    // One group per token: an application's token may hold no other role (ADR 0042), and names its one system.
    const roles = groups.flatMap(
      (group) => principalFromClaims({ sub: 'u', 'cognito:groups': [group], systems: ['sys_1'] }).roles,
    );
    expect([...roles].sort()).toEqual([...PRINCIPAL_ROLES].sort());
  });
});

describe('the stateless stack: functions', () => {
  it('has one function per API module, the $default route function and the authoriser', () => {
    const names = apiFunctions().map(([, fn]) => fn.Properties.FunctionName);

    expect(names.sort()).toEqual(
      [
        ...modules.map((module) => `governance-dev-api-${module}`),
        'governance-dev-api-not-found',
        'governance-dev-authorizer',
      ].sort(),
    );
  });

  it('runs every function on nodejs22.x, arm64, with active tracing and JSON logs in its own group', () => {
    const groups = stateless.findResources('AWS::Logs::LogGroup') as Resources;
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function') as Resources);

    for (const [id, fn] of governedFunctions()) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON' },
      });
    }
    for (const fn of functions) {
      const group = (fn.Properties.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)?.LogGroup?.Ref;
      expect(group, String(fn.Properties.FunctionName)).toBeDefined();
      expect(groups[group as string]?.Properties.RetentionInDays).toBe(30);
    }
  });

  it('gives every API function the environment the token verifier reads, for people and for pipelines', () => {
    for (const [id, fn] of apiFunctions()) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const set = AUTH_ENV.filter((name) => env[name] !== undefined);

      expect(set, id).toEqual([
        'AUTH_ISSUER',
        'AUTH_AUDIENCE',
        'AUTH_JWKS_URL',
        'AUTH_PIPELINE_ISSUER',
        'AUTH_PIPELINE_AUDIENCE',
        'AUTH_PIPELINE_JWKS_URL',
        'AUTH_PIPELINE_TRUST',
      ]);
      expect(env.AUTH_PIPELINE_ISSUER).toBe('https://token.actions.githubusercontent.com');
      expect(env.LOG_LEVEL).toBe('DEBUG');
    }
    for (const [id, fn] of governedFunctions().filter(isEvalTask))
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.LOG_LEVEL, id).toBe(
        'DEBUG',
      );
  });

  it('lets candidates start eval runs and release gates, approvals answer gate tasks, and nothing else touch Step Functions', () => {
    const machines = Object.entries(stateless.findResources('AWS::StepFunctions::StateMachine') as Resources);
    expect(machines).toHaveLength(2);
    const machineNamed = (name: string) =>
      machines.find(([, m]) => m.Properties.StateMachineName === `governance-dev-${name}`)?.[0] as string;
    const evalRun = machineNamed('eval-run');
    const gate = machineNamed('release-gate');
    expect(evalRun).toBeDefined();
    expect(gate).toBeDefined();
    const fnNamed = (name: string) =>
      apiFunctions().find(
        ([, fn]) => fn.Properties.FunctionName === `governance-dev-api-${name}`,
      )?.[1] as Resources[string];
    const candidatesFn = fnNamed('candidates');
    const approvalsFn = fnNamed('approvals');
    const envOf = (fn: Resources[string]) =>
      (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    const evalRunsFn = fnNamed('eval-runs');
    expect(envOf(candidatesFn).EVAL_STATE_MACHINE_ARN).toEqual({ Ref: evalRun });
    // A submitted run's last post hands the run to the eval machine for its aggregation (ADR 0016).
    expect(envOf(evalRunsFn).EVAL_STATE_MACHINE_ARN).toEqual({ Ref: evalRun });
    expect(envOf(candidatesFn).RELEASE_GATE_STATE_MACHINE_ARN).toEqual({ Ref: gate });
    expect(envOf(approvalsFn).RELEASE_GATE_STATE_MACHINE_ARN).toEqual({ Ref: gate });
    // Monitoring starts its runs on the eval machine, and an eval task's continuation (a monitoring run asking for a
    // rollback) starts the validation run: the machine by its fixed name, so its definition does not name itself
    // (ADR 0032).
    const evalTasks = governedFunctions().filter(isEvalTask);
    expect(evalTasks.length).toBeGreaterThan(0);
    for (const [id, fn] of evalTasks)
      expect(JSON.stringify(envOf(fn).EVAL_STATE_MACHINE_ARN), id).toContain(':stateMachine:governance-dev-eval-run');
    const startsChecks = (fn: Resources[string]) =>
      isEvalTask(['', fn]) || envOf(fn).POWERTOOLS_SERVICE_NAME === 'monitor';
    for (const [id, fn] of governedFunctions()) {
      if (fn !== candidatesFn && fn !== evalRunsFn && !startsChecks(fn))
        expect(envOf(fn).EVAL_STATE_MACHINE_ARN, id).toBeUndefined();
      // The gate-resume schedule names the gate too (test/infra/release-gate-state-machine.test.ts).
      if (fn !== candidatesFn && fn !== approvalsFn && envOf(fn).POWERTOOLS_SERVICE_NAME !== 'gate-resume')
        expect(envOf(fn).RELEASE_GATE_STATE_MACHINE_ARN, id).toBeUndefined();
    }

    const statesStatements = Object.values(stateless.findResources('AWS::IAM::Policy') as Resources).flatMap((policy) =>
      (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.filter((statement) =>
        ([statement.Action].flat() as string[]).some((action) => action.startsWith('states:')),
      ).map((statement) => ({ roles: policy.Properties.Roles, statement })),
    );
    // candidates starts both; approvals answers gate tasks; the gate's own waiting task answers its own wait and
    // the gate-resume schedule starts gates (test/infra/release-gate-state-machine.test.ts); the two starters of
    // gates read their attempts' statuses (DescribeExecution on the gate's executions: a failed one is restarted);
    // eval-runs starts the eval machine only.
    const checkStarters = new Set(
      governedFunctions()
        .filter(([, fn]) => startsChecks(fn))
        .map(([, fn]) => roleOf(fn)),
    );
    const byCheckStarters = statesStatements.filter((s) =>
      (s.roles as { Ref: string }[]).every((r) => checkStarters.has(r.Ref)),
    );
    for (const { statement } of byCheckStarters) {
      expect(statement.Action).toBe('states:StartExecution');
      expect(JSON.stringify(statement.Resource)).toMatch(/eval-run|EvalRun/);
    }
    expect(statesStatements.length - byCheckStarters.length).toBe(7);
    expect(statesStatements).toContainEqual({
      roles: [{ Ref: roleOf(evalRunsFn) }],
      statement: { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: evalRun } },
    });
    const readingAttempts = statesStatements.filter((s) => s.statement.Action === 'states:DescribeExecution');
    expect(readingAttempts.map((s) => s.statement.Sid)).toEqual(['ReadGateAttempts', 'ReadGateAttempts']);
    expect(readingAttempts.map((s) => s.roles)).toContainEqual([{ Ref: roleOf(candidatesFn) }]);
    for (const { statement } of readingAttempts)
      expect(JSON.stringify(statement.Resource)).toContain(':execution:governance-dev-release-gate:*');
    expect(statesStatements).toContainEqual({
      roles: [{ Ref: roleOf(candidatesFn) }],
      statement: { Effect: 'Allow', Action: 'states:StartExecution', Resource: [{ Ref: evalRun }, { Ref: gate }] },
    });
    const answering = statesStatements.find(
      (s) => JSON.stringify(s.roles) === JSON.stringify([{ Ref: roleOf(approvalsFn) }]),
    );
    expect(answering?.statement.Resource).toEqual({ Ref: gate });
    expect([answering?.statement.Action].flat().sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:SendTaskSuccess',
    ]);
  });

  it('lets the read-only modules read the table and nothing more', () => {
    const policies = Object.values(stateless.findResources('AWS::IAM::Policy') as Resources);
    const tableStatement = (rolePrefix: string) => {
      const policy = policies.find((p) => JSON.stringify(p.Properties.Roles).includes(`"${rolePrefix}`));
      expect(policy, rolePrefix).toBeDefined();
      const document = policy?.Properties.PolicyDocument as { Statement: { Sid?: string; Action: string[] }[] };
      return document.Statement.find((s) => s.Sid?.includes('GovernanceTable'));
    };

    // audit starts export jobs (POST /api/audit-exports, ADR 0044), so it writes its job records.
    for (const module of ['health', 'metrics']) {
      expect(tableStatement(`Api${module}Role`)).toMatchObject({
        Sid: 'ReadGovernanceTable',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
      });
    }
    expect(tableStatement('ApicandidatesRole')?.Action).toContain('dynamodb:ConditionCheckItem');
    expect(tableStatement('AuthorizerRole')).toBeUndefined();
  });

  it('gives no data-plane role a wildcard action, nor a wildcard resource beyond X-Ray', () => {
    const roles = Object.keys(stateless.findResources('AWS::IAM::Role'));
    const dataPlane = new Set(governedFunctions().map(([, fn]) => roleOf(fn)));
    const evalTaskRoles = governedFunctions()
      .filter(isEvalTask)
      .map(([, fn]) => roleOf(fn));
    // The eval-run state machine's role: log delivery and X-Ray need '*' (acknowledged in cdk-nag), and it may invoke
    // the four task functions only (test/infra/eval-state-machine.test.ts).
    const stateMachineRoles = Object.values(
      stateless.findResources('AWS::StepFunctions::StateMachine') as Resources,
    ).map((machine) => (machine.Properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    const xrayOnly = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    const others: string[] = [];

    for (const [id, policy] of Object.entries(stateless.findResources('AWS::IAM::Policy') as Resources)) {
      const attached = (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref);
      if (!attached.every((role) => dataPlane.has(role))) {
        others.push(...attached);
        continue;
      }
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement) {
        const actions = [statement.Action].flat() as string[];
        const resources = [statement.Resource].flat();
        expect(statement.Effect, id).toBe('Allow');
        expect(
          actions.filter((action) => action.includes('*')),
          id,
        ).toEqual([]);
        const literal = resources.map((resource) =>
          typeof resource === 'string' ? resource : JSON.stringify(resource),
        );
        // '*' only for what has no resource-level permission: X-Ray, and dynamodb:ListStreams of a stream source.
        if (literal.includes('*'))
          expect(
            actions.every((action) => xrayOnly.has(action) || action === 'dynamodb:ListStreams'),
            id,
          ).toBe(true);
        // Object wildcards: eval evidence under runs/ and audit archive objects, put and get only, never deleted.
        const prefixed = literal.filter((resource) => resource !== '*' && resource.includes('*'));
        // The release gate's executions, named per attempt: their status is read, nothing more.
        if (
          prefixed.length > 0 &&
          prefixed.every((resource) => resource.includes(':execution:governance-dev-release-gate:*'))
        ) {
          expect(actions, id).toEqual(['states:DescribeExecution']);
          continue;
        }
        // Provider connection secrets: a secret's ARN ends in a random suffix, so eval tasks read the secrets under
        // `<prefix>/providers/` by a prefix wildcard (ADR 0030), read only.
        if (
          prefixed.length > 0 &&
          prefixed.every((resource) => resource.includes(':secret:governance-dev/providers/*'))
        ) {
          expect(actions, id).toEqual(['secretsmanager:GetSecretValue']);
          continue;
        }
        // Audit exports (ADR 0044): the job writes (and abandons failed multipart uploads of) the export bucket's
        // exports/ objects; the audit API reads them only to sign download links. Never deleted, never listed.
        if (prefixed.length > 0 && prefixed.every((resource) => resource.endsWith('/exports/*"]]}'))) {
          expect(
            actions.every((action) => ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'].includes(action)),
            id,
          ).toBe(true);
          continue;
        }
        // Posted texts of submitted runs (ADR 0050): the eval-runs function keeps them under runs/<id>/texts/, put only.
        if (prefixed.length > 0 && prefixed.every((resource) => resource.endsWith('/runs/*/texts/*"]]}'))) {
          expect(actions, id).toEqual(['s3:PutObject']);
          continue;
        }
        if (prefixed.length > 0) {
          expect(
            prefixed.every((resource) => resource.endsWith('/runs/*"]]}') || /-audit-.*\/\*"\]\]\}$/.test(resource)),
            id,
          ).toBe(true);
          expect(
            actions.every((action) => ['s3:GetObject', 's3:PutObject'].includes(action)),
            id,
          ).toBe(true);
        }
      }
    }
    expect(evalTaskRoles).toHaveLength(4);
    expect(stateMachineRoles).toHaveLength(2);
    // Each API module, the $default route's function, the authoriser, the eval tasks, the function that closes runs of ended executions, the
    // five release-gate tasks and its resume schedule, the monitoring function and the audit archiver, digest
    // writer, reconciler and full verification, the event publisher and the webhook dispatcher, the data migrations,
    // the policy dry run job, the refusal outbox's drain, the audit export job (ADR 0044), the metric rollup consumer
    // (ADR 0043).
    expect(dataPlane.size).toBe(modules.length + 2 + evalTaskRoles.length + 1 + 5 + 1 + 1 + 4 + 2 + 1 + 1 + 1 + 1 + 1);
    expect(
      others.every(
        (role) =>
          roles.includes(role) &&
          (role.startsWith('DashboardDeploymentRole') ||
            stateMachineRoles.includes(role) ||
            // EventBridge Scheduler's role: invoke one function, send to its DLQ (test/infra/scheduled-function.test.ts).
            /SchedulerRole[0-9A-F]{8}$/.test(role)),
      ),
    ).toBe(true);
  });

  it('lets exactly the functions that call providers read their secrets: Prepare, ExecuteBatch and the monitoring pass', () => {
    // Prepare: which role each function has, by its service name (eval tasks: eval-<task>)
    const serviceOfRole = new Map(
      governedFunctions().map(([, fn]) => [
        roleOf(fn),
        (fn.Properties.Environment as { Variables: Record<string, string> }).Variables.POWERTOOLS_SERVICE_NAME,
      ]),
    );
    const readers: string[] = [];
    const statements: Record<string, unknown>[] = [];

    // Act: every statement of the stage that names a provider secret, and the roles it is attached to
    for (const policy of Object.values(stateless.findResources('AWS::IAM::Policy') as Resources)) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement) {
        if (!JSON.stringify(statement.Resource).includes(':secret:governance-dev/providers/*')) continue;
        statements.push(statement);
        for (const role of policy.Properties.Roles as { Ref: string }[])
          readers.push(serviceOfRole.get(role.Ref) ?? role.Ref);
      }
    }

    // Assess: read only, and no API function (the eval-runs function keeps posted texts, it grades nothing)
    expect(readers.sort()).toEqual(['eval-execute-batch', 'eval-prepare', 'monitor']);
    for (const statement of statements) expect(statement.Action).toBe('secretsmanager:GetSecretValue');
    const monitor = governedFunctions().find(
      ([, fn]) =>
        (fn.Properties.Environment as { Variables: Record<string, string> }).Variables.POWERTOOLS_SERVICE_NAME ===
        'monitor',
    )?.[1];
    const evalTask = governedFunctions().find(isEvalTask)?.[1];
    const hostsOf = (fn: Resources[string] | undefined) =>
      (fn?.Properties.Environment as { Variables: Record<string, string> } | undefined)?.Variables.EVAL_ALLOWED_HOSTS;
    expect(hostsOf(monitor)).toBeDefined();
    expect(hostsOf(monitor)).toBe(hostsOf(evalTask));
  });

  it('attaches no AWS managed policy to any role', () => {
    for (const role of Object.values(stateless.findResources('AWS::IAM::Role') as Resources)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('the stateless stack: HTTP API', () => {
  it('declares every route of the manifest once, integrated with its module', () => {
    const routes = Object.values(stateless.findResources('AWS::ApiGatewayV2::Route') as Resources).map(
      (route) => route.Properties.RouteKey,
    );

    expect(routes.sort()).toEqual([...manifest.map((route) => `${route.method} ${route.path}`), '$default'].sort());
  });

  it('sends what no route matches ($default) to the not-found function, without the authoriser', () => {
    const fallback = Object.values(stateless.findResources('AWS::ApiGatewayV2::Route') as Resources).find(
      (route) => route.Properties.RouteKey === '$default',
    );
    const integrations = stateless.findResources('AWS::ApiGatewayV2::Integration') as Resources;
    const join = (fallback?.Properties.Target ?? { 'Fn::Join': ['', ['', { Ref: '' }]] }) as {
      'Fn::Join': [string, [string, { Ref: string }]];
    };
    const target = join['Fn::Join'][1][1].Ref;
    const uri = JSON.stringify(integrations[target]?.Properties.IntegrationUri);
    const [notFoundId] =
      apiFunctions().find(([, fn]) => fn.Properties.FunctionName === 'governance-dev-api-not-found') ?? [];

    expect(fallback?.Properties.AuthorizationType).toBe('NONE');
    expect(notFoundId).toBeDefined();
    expect(uri).toContain(String(notFoundId));
  });

  it('puts the authoriser on every route except the public ones (health checks, published documents)', () => {
    const authorizers = Object.keys(stateless.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(authorizers).toHaveLength(1);
    const publicKeys = new Set(manifest.filter((r) => r.public).map((r) => `${r.method} ${r.path}`));
    expect(publicKeys).toContain('GET /api/openapi.json');
    expect(publicKeys).toContain('GET /api/docs');

    for (const route of Object.values(stateless.findResources('AWS::ApiGatewayV2::Route') as Resources)) {
      const key = route.Properties.RouteKey as string;
      if (publicKeys.has(key) || key === '$default') {
        expect(route.Properties.AuthorizationType, key).toBe('NONE');
      } else {
        expect(route.Properties, key).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizers[0] },
        });
      }
    }
  });

  it('authorises with a Lambda request authoriser on the Authorization header, cached briefly', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('throttles the stage and writes JSON access logs to a log group with retention', () => {
    const stage = only(stateless, 'AWS::ApiGatewayV2::Stage');

    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    const format = JSON.parse((stage.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });
});

describe('the stateless stack: CloudFront', () => {
  interface Behaviour {
    PathPattern?: string;
    TargetOriginId: string;
    ResponseHeadersPolicyId: unknown;
    FunctionAssociations?: unknown[];
  }
  interface DistributionConfig {
    Origins: { Id: string; DomainName: unknown; CustomOriginConfig?: unknown; OriginAccessControlId?: unknown }[];
    DefaultCacheBehavior: Behaviour;
    CacheBehaviors: Behaviour[];
    CustomErrorResponses?: unknown;
  }
  const distribution = () =>
    only(stateless, 'AWS::CloudFront::Distribution').DistributionConfig as unknown as DistributionConfig;

  it('sends /api/* and /health/* to the HTTP API, uncached, with every viewer header but Host', () => {
    const config = distribution();
    const api = config.Origins.find((origin) => origin.CustomOriginConfig !== undefined);
    const behaviours = config.CacheBehaviors;

    expect(api?.DomainName).toEqual({
      'Fn::Select': [
        2,
        { 'Fn::Split': ['/', { 'Fn::GetAtt': [expect.stringMatching(/^ApiHttpApi/), 'ApiEndpoint'] }] },
      ],
    });
    expect(behaviours.map((behaviour) => behaviour.PathPattern).sort()).toEqual(['/api/*', '/health/*']);
    for (const behaviour of behaviours) {
      expect(behaviour).toMatchObject({
        TargetOriginId: api?.Id,
        CachePolicyId: CachePolicy.CACHING_DISABLED.cachePolicyId,
        OriginRequestPolicyId: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: expect.arrayContaining(['POST', 'PATCH', 'DELETE']),
      });
    }
  });

  it('serves everything else from the private bucket through origin access control', () => {
    const config = distribution();
    const site = config.Origins.find((origin) => origin.OriginAccessControlId !== undefined);

    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(site?.Id);
    expect(JSON.stringify(site?.DomainName)).toContain('DashboardSite');
    stateless.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^DashboardSite') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    stateless.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'site-bucket/' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicPolicy: true, RestrictPublicBuckets: true }),
    });
  });

  it('adds CSP, HSTS and frame options to every response, API included', () => {
    const config = distribution();
    const policies = Object.keys(stateless.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const behaviours = [config.DefaultCacheBehavior, ...config.CacheBehaviors];

    expect(policies).toHaveLength(1);
    for (const behaviour of behaviours) expect(behaviour.ResponseHeadersPolicyId).toEqual({ Ref: policies[0] });
    const headers = (
      only(stateless, 'AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig as {
        SecurityHeadersConfig: Record<string, { Override: boolean; ContentSecurityPolicy?: unknown }>;
      }
    ).SecurityHeadersConfig;
    // The CSP names the hosted sign-in domain, a token until deployment: read it as the text it joins.
    const csp = JSON.stringify(headers.ContentSecurityPolicy?.ContentSecurityPolicy);
    expect(csp).toMatch(/default-src 'self'.*script-src 'self'.*connect-src 'self' https:\/\/.*frame-ancestors 'none'/);
    expect(headers).toMatchObject({
      ContentSecurityPolicy: { Override: true },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ContentTypeOptions: { Override: true },
    });
  });

  it('rewrites client-side routes to index.html on the bucket behaviour only, so API errors stay intact', () => {
    const config = distribution();

    expect(config.CustomErrorResponses).toBeUndefined();
    expect(config.DefaultCacheBehavior.FunctionAssociations).toHaveLength(1);
    for (const behaviour of config.CacheBehaviors) {
      expect(behaviour.FunctionAssociations).toBeUndefined();
    }
  });

  it('deploys the site and its config.json (Cognito sign-in settings) into the site bucket and invalidates', () => {
    stateless.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: Match.stringLikeRegexp('^DashboardSite') },
      DistributionPaths: ['/*'],
    });
    const deployment = Object.values(stateless.findResources('Custom::CDKBucketDeployment') as Resources)[0];
    // Two sources: the site (the dashboard build, or the placeholder before a build) and config.json, whose
    // client id and URLs are resolved at deploy time through markers.
    expect(deployment?.Properties.SourceObjectKeys).toHaveLength(2);
    const markers = JSON.stringify(deployment?.Properties.SourceMarkers);
    expect(markers).toContain('DashboardClient');
  });

  it('lists the dashboard URL as the app client callback, with the authorization code flow and no secret', () => {
    stateless.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      GenerateSecret: false,
      CallbackURLs: [
        {
          'Fn::Join': [
            '',
            [
              'https://',
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^DashboardDistribution'), 'DomainName'] },
              '/auth/callback',
            ],
          ],
        },
        {
          'Fn::Join': [
            '',
            ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^DashboardDistribution'), 'DomainName'] }, '/'],
          ],
        },
        'http://localhost:5173/',
      ],
      WriteAttributes: ['email', 'name'],
    });
  });
});

describe('operations', () => {
  it('alarms on API 5xx and on every function error and throttle, notifying the operator topic', () => {
    // The operator topic; the governance notifications topic (test/infra/events.test.ts) carries no alarms.
    const topics = Object.keys(stateless.findResources('AWS::SNS::Topic')).filter((id) => !id.startsWith('Events'));
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm') as Resources);
    const metrics = alarms.map((alarm) => `${alarm.Properties.Namespace}/${alarm.Properties.MetricName}`);

    expect(topics).toHaveLength(1);
    expect(metrics).toContain('AWS/ApiGateway/5xx');
    // Every API function, the $default route's function and the authoriser, each scheduled function (monitoring, gate resume, audit digest, audit
    // reconciler, audit full verification), the audit archiver, the event publisher and the webhook dispatcher, the
    // policy dry run job, the refusal outbox's drain, the audit export job (ADR 0044), the metric rollup consumer
    // (ADR 0043).
    expect(metrics.filter((metric) => metric === 'AWS/Lambda/Errors')).toHaveLength(
      modules.length + 2 + 5 + 1 + 2 + 1 + 1 + 1 + 1,
    );
    expect(metrics.filter((metric) => metric === 'AWS/Lambda/Throttles')).toHaveLength(modules.length + 2);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[0] }]);
  });

  it('encrypts the topic with a key CloudWatch may use, and refuses plain-HTTP publishing', () => {
    stateless.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    stateless.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    stateless.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  it('gives the eval-runs function 29 s for a results post of up to 5,000 cases, under the 30 s integration limit', () => {
    const evalRuns = Object.values(stateless.findResources('AWS::Lambda::Function') as Resources).find(
      (fn) => fn.Properties.FunctionName === 'governance-dev-api-eval-runs',
    );
    expect(evalRuns?.Properties).toMatchObject({ Timeout: 29, MemorySize: 1024 });
  });

  it('logs each workflow state with its execution data in dev only (prod leaves it out)', () => {
    const machines = Object.values(stateless.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: { LoggingConfiguration: { IncludeExecutionData: boolean } };
    }[];
    expect(machines.map((m) => m.Properties.LoggingConfiguration.IncludeExecutionData)).toEqual([true, true]);
  });

  it('has a CloudWatch dashboard', () => {
    stateless.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions or Serverless finding anywhere in the app', () => {
    const findings = nagPacks(built.app).flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.flatMap((violation) =>
          violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`),
        ),
    );

    expect(findings).toEqual([]);
  });

  it('would report a finding: an unlogged bucket fails the same check', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    new Bucket(new Stack(app, 'Control'), 'Unlogged', { enforceSSL: true });

    const findings = nagPacks(app).flatMap((pack) => pack.validateScope(app).violations.map((v) => v.ruleName));

    expect(findings).toContain('AwsSolutions-S1');
  });

  it('acknowledges findings on resources only, never on a whole stack or the app', () => {
    const key = 'aws:cdk:acknowledged-rules';
    const scopes = built.app.node
      .findAll()
      .filter((construct) => construct.node.metadata.some((entry) => entry.type === key));

    expect(scopes.length).toBeGreaterThan(0);
    for (const scope of scopes) {
      expect(scope instanceof Stack || scope === built.app, scope.node.path).toBe(false);
    }
  });
});
