// Prints the bundle size of every Lambda function in cdk.out, after `cdk synth` (npm run synth). Each function's
// asset folder is named in its template metadata (aws:asset:path); the bundle is index.mjs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT_KB = 250;
const API_LIMIT_KB = 150;

interface TemplateResource {
  Type: string;
  Properties?: { FunctionName?: unknown };
  Metadata?: Record<string, unknown>;
}

const outdir = process.argv[2] ?? 'cdk.out';
const rows: { stack: string; path: string; bundle: number; total: number }[] = [];
for (const file of readdirSync(outdir).filter((name) => name.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as {
    Resources?: Record<string, TemplateResource>;
  };
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
    const dir = join(outdir, assetPath);
    const bundle = join(dir, 'index.mjs');
    if (!existsSync(bundle)) continue; // CDK's own handlers (BucketDeployment) are not ours to size
    const total = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    const path = String(resource.Metadata?.['aws:cdk:path'] ?? logicalId).replace(/\/Function\/Resource$/, '');
    rows.push({ stack: file.replace('.template.json', ''), path, bundle: statSync(bundle).size, total });
  }
}

if (rows.length === 0) {
  console.log(`no bundled functions found in ${outdir} (was bundling skipped?)`);
} else {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`.padStart(10);
  console.log(`\nFunction bundles in ${outdir} (index.mjs; with source map)`);
  for (const row of rows.sort((a, b) => b.bundle - a.bundle)) {
    const limit = row.path.includes('/Api-') ? API_LIMIT_KB : LIMIT_KB;
    const flag = row.bundle > limit * 1024 ? `  over the ${limit} KB target` : '';
    console.log(`${kb(row.bundle)} ${kb(row.total)}  ${row.path}${flag}`);
  }
}
