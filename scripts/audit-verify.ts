// `npm run audit:verify -- --dir <folder> | --bucket <name> [--endpoint URL] [--system ID|org ...] [--from N] [--to N]
//   [--public-key FILE ...] [--min-digest N] [--workers N] [--strict] [--json]`
// Verifies the audit archive offline: every event hash and link, seq contiguity, batch membership, Merkle roots, the
// digest chain and every signature. Prints a summary; exits 1 naming the first broken place, 2 on bad usage.
// Without --dir or --bucket it verifies the running local stack's archive.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { inlineChecker, workerChecker } from '../functions/audit/verify/pool.js';
import { verifyArchive } from '../functions/audit/verify/verifier.js';
import { isOrganisationChain } from '../functions/domain/audit-chain.js';
import { dirArchive, runningStack, s3Archive } from '../local/audit-cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage =
  'usage: npm run audit:verify -- (--dir <folder> | --bucket <name> [--endpoint URL]) [--system ID|org] [--from N] [--to N] [--public-key FILE] [--min-digest N] [--workers N] [--strict] [--json]';
let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    options: {
      dir: { type: 'string' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
      system: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
      'min-digest': { type: 'string' },
      workers: { type: 'string' },
      strict: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
try {
  values = parse().values;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const int = (name: string, text: string | undefined) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, not ${text}\n${usage}`);
    process.exit(2);
  }
  return n;
};
const fromSeq = int('from', values.from);
const toSeq = int('to', values.to);
const minDigestSeq = int('min-digest', values['min-digest']);
const workers = int('workers', values.workers) ?? availableParallelism();

let source: string;
let archive: ReturnType<typeof dirArchive> | ReturnType<typeof s3Archive>;
const publicKeyFiles = [...(values['public-key'] ?? [])];
if (values.dir) {
  archive = dirArchive(values.dir);
  source = `folder ${values.dir}`;
} else if (values.bucket) {
  archive = s3Archive(values.bucket, values.endpoint);
  source = `bucket ${values.bucket}${values.endpoint ? ` at ${values.endpoint}` : ''}`;
} else {
  const stack = await runningStack();
  if (!stack.audit) {
    console.error(`name the archive: --dir or --bucket (no running local stack found)\n${usage}`);
    process.exit(2);
  }
  archive = s3Archive(stack.audit.bucket, stack.audit.endpoint);
  source = `bucket ${stack.audit.bucket} of the running local stack (${stack.audit.endpoint})`;
  if (!publicKeyFiles.length) publicKeyFiles.push(stack.audit.publicKeyFile);
}
const publicKeys = await Promise.all(publicKeyFiles.map((f) => readFile(f, 'utf8')));

const checker = workers > 0 ? workerChecker(workers) : inlineChecker();
const started = performance.now();
const report = await verifyArchive({
  archive,
  ...(values.system ? { systems: values.system } : {}),
  ...(fromSeq !== undefined ? { fromSeq } : {}),
  ...(toSeq !== undefined ? { toSeq } : {}),
  ...(publicKeys.length ? { publicKeys } : {}),
  ...(minDigestSeq !== undefined ? { minDigestSeq } : {}),
  checker,
  strict: values.strict,
  onProgress: (p) =>
    process.stderr.write(
      `  … ${p.events.toLocaleString('en')} events in ${p.batches.toLocaleString('en')} batches, system ${p.systemsDone + 1} of ${p.systems}, ${Math.round(p.events / (p.elapsedMs / 1000)).toLocaleString('en')} events/s\n`,
    ),
}).finally(() => checker.close());
const seconds = (performance.now() - started) / 1000;

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`Audit archive: ${source}`);
  console.log(
    `  keys: ${report.keys} (${report.keySource === 'pinned' ? 'pinned with --public-key' : 'taken from the archive itself: pin them with --public-key'})`,
  );
  console.log(
    `  digests: ${report.digests}${report.lastDigest ? ` (last: #${report.lastDigest.digestSeq}, interval ending ${report.lastDigest.intervalEnd})` : ''}`,
  );
  // The organisation chain (policy transitions, ADR 0024) is verified like a system's and named on its own line.
  const organisation = report.perSystem.find((s) => isOrganisationChain(s.systemId));
  console.log(
    `  systems: ${report.systems - (organisation ? 1 : 0)}${organisation ? ' and the organisation chain' : ''}; batches: ${report.batches} (${report.listedBatches} sealed by digests, ${report.unlistedBatches} not listed)`,
  );
  if (organisation)
    console.log(
      `  organisation chain: ${organisation.events} events verified, archived head seq ${organisation.archivedHead}, sealed head seq ${organisation.sealedHead}`,
    );
  console.log(
    `  events: ${report.events} (${report.sealedEvents} sealed, ${report.pendingEvents} after the last digest); raw duplicates: ${report.rawDuplicateEvents}`,
  );
  console.log(
    `  ${Math.round(report.events / Math.max(seconds, 0.001)).toLocaleString('en')} events/s with ${workers || 'no'} worker(s), ${seconds.toFixed(1)} s`,
  );
  if (report.ok) console.log('OK: every hash, link, batch, root, digest and signature verifies.');
  else console.log(`BROKEN: ${report.brokenAt?.message}`);
}
process.exit(report.ok ? 0 : 1);
