// The EU AI Act report function as Lambda runs it: bundled for real by the function construct (local esbuild,
// minified ESM) into a directory with no node_modules, then invoked in a fresh Node process against DynamoDB Local.
// pdfkit's Node build would fail here ("Cannot find module '#standard-fonts/Helvetica'"): its font metrics are
// required from package-internal paths at run time. functions/reports/pdfkit.ts uses the browser build with the
// metrics imported as modules, which the bundle carries.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernedFunction } from '../../lib/constructs/governed-function.js';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKeys, mintToken } from '../../local/dev-keys.js';
import { systemInput } from '../support/fixtures.js';
import { actorOf, createTestStore, dynamoEndpoint, principal } from '../support/store.js';

const run = promisify(execFile);

let outdir: string;
let keysDir: string;
let assetDir: string;
let drop: () => Promise<void>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'report-bundling-'));
  keysDir = mkdtempSync(join(tmpdir(), 'report-bundling-keys-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Bundled', { env: { region: 'eu-central-1' } });
  new GovernedFunction(stack, 'Reports', {
    entry: 'functions/api/reports.ts',
    description: 'report bundling test',
    serviceName: 'api-reports',
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: 'INFO',
  });
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const code = (Object.values(functions)[0] as { Properties: { Code: { S3Key: string } } }).Properties.Code;
  assetDir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
}, 180_000);

afterAll(async () => {
  await drop?.();
  rmSync(outdir, { recursive: true, force: true });
  rmSync(keysDir, { recursive: true, force: true });
});

describe('the bundled report function', () => {
  it('is one ES module with its map and nothing else: no font file, no package.json, no node_modules', () => {
    const source = readFileSync(join(assetDir, 'index.mjs'), 'utf8');

    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(source).toContain('Helvetica-Bold');
    expect(source).not.toContain('#standard-fonts/');
    expect(statSync(join(assetDir, 'index.mjs')).size).toBeLessThan(3 * 1024 * 1024);
  });

  it('answers a PDF, generated in a fresh process from the bundle alone, over a system in DynamoDB Local', async () => {
    const test = await createTestStore();
    drop = test.drop;
    const owner = principal('omar.owner', ['model_owner'], { name: 'Omar Owner', teams: ['support-ai'] });
    const { system } = await test.store.systems.createSystem(
      actorOf(owner),
      systemInput({ name: 'Bundled Report Probe', ownerTeam: 'support-ai' }),
    );
    const keys = await loadOrCreateDevKeys(keysDir);
    const token = await mintToken({ keys, userId: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });
    const event = {
      version: '2.0',
      routeKey: 'GET /api/systems/{id}/reports/eu-ai-act',
      rawPath: `/api/systems/${system.id}/reports/eu-ai-act`,
      rawQueryString: '',
      headers: { authorization: `Bearer ${token}` },
      pathParameters: { id: system.id },
      requestContext: { http: { method: 'GET', path: `/api/systems/${system.id}/reports/eu-ai-act` }, requestId: 'r1' },
      isBase64Encoded: false,
    };
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)});
      const res = await handler(${JSON.stringify(event)}, { awsRequestId: 'bundle-test' });
      process.stdout.write(JSON.stringify(res));`;

    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      cwd: assetDir,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'local',
        DYNAMO_ENDPOINT: dynamoEndpoint(),
        TABLE_NAME: test.tableName,
        AUTH_ISSUER: DEV_ISSUER,
        AUTH_AUDIENCE: DEV_AUDIENCE,
        AUTH_JWKS_JSON: await readFile(keys.jwksPath, 'utf8'),
      },
    });
    const res = JSON.parse(stdout) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
      isBase64Encoded: boolean;
    };
    const pdf = Buffer.from(res.body, 'base64');
    const text = (await new PDFParse({ data: new Uint8Array(pdf) }).getText()).text.replace(/\s+/g, ' ');

    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(text).toContain('Bundled Report Probe');
    expect(text).toContain('Table chain verification verified');
    expect(text).toContain(res.headers['x-report-content-hash']);
  }, 60_000);
});
