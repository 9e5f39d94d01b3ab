// The one test that bundles for real: the function construct runs local esbuild (no Docker) and produces a small,
// minified ES module with a source map that Node can import. The authoriser is bundled because it sits in front
// of every API call; bench/bundles.ts measures every handler the same way.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernedFunction } from '../../lib/constructs/governed-function.js';

const LIMIT_BYTES = 250 * 1024;
let outdir: string;
let assetDir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'bundling-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Bundled', { env: { region: 'eu-central-1' } });
  new GovernedFunction(stack, 'Authorizer', {
    entry: 'functions/api/auth/authorizer.ts',
    description: 'bundling test',
    serviceName: 'authorizer',
    logRetention: RetentionDays.ONE_WEEK,
    logLevel: 'INFO',
  });
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const code = (Object.values(functions)[0] as { Properties: { Code: { S3Key: string } } }).Properties.Code;
  assetDir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
}, 120_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('bundling a function for real', () => {
  it('produces a minified ES module under 250 KB, with its source map beside it', () => {
    const bundle = join(assetDir, 'index.mjs');
    const source = readFileSync(bundle, 'utf8');

    expect(statSync(bundle).size).toBeLessThan(LIMIT_BYTES);
    expect(statSync(join(assetDir, 'index.mjs.map')).size).toBeGreaterThan(0);
    expect(source.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
    expect(source).toMatch(/export\s*\{[^}]*as handler/);
    expect(source.split('\n').length).toBeLessThan(20);
  });

  it('bundles every dependency: the only imports left are Node built-ins', () => {
    const source = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    const imported = [...source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((match) => match[1]);

    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((name) => !name?.startsWith('node:'))).toEqual([]);
  });

  it('keeps the TypeScript sources out of the source map', () => {
    const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
    };

    expect(map.sources.some((source) => source.endsWith('functions/api/auth/authorizer.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('can be imported by Node and exports the handler', async () => {
    const module = (await import(pathToFileURL(join(assetDir, 'index.mjs')).href)) as { handler?: unknown };

    expect(typeof module.handler).toBe('function');
  });
});
