// `govern policy show|diff|propose|approve|activate`: the governance policy document (docs/architecture/policy.md).
import type { Command } from 'commander';
import { policyDecisionRequest, policyDraftRequest, policyVersionParams } from '../../functions/contracts/index.js';
import { policyDiff } from '../../functions/domain/policy-diff.js';
import type { CommandContext } from '../context.js';

/** What the CLI reads of a policy version (the API's PolicyVersion). */
interface PolicyVersion {
  version: number;
  status: string;
  baseVersion: number | null;
  document: Record<string, unknown>;
  documentHash: string;
  approvals: unknown[];
  quorum: number;
}

type Run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => void;

const versionNumber = (ctx: CommandContext, value: string) =>
  Number(ctx.validate(policyVersionParams.shape.version, value, 'the version'));

const line = (v: PolicyVersion) =>
  `policy v${v.version} ${v.status}: ${v.approvals.length}/${v.quorum} approvals, base ${v.baseVersion ?? 'none'}, ${v.documentHash.slice(0, 12)}`;

const show = (value: unknown) => (value === undefined ? '(absent)' : JSON.stringify(value));

export function registerPolicyCommands(program: Command, run: Run) {
  const group = program.command('policy').description('the governance policy: versions, drafts and activation');
  run(
    group
      .command('show')
      .description('the version in force, or --version N')
      .option('--version <n>', 'a version number'),
    async (ctx: CommandContext, opts: { version?: string }) => {
      const version = opts.version
        ? (await ctx.client.get<PolicyVersion>(`/api/policies/${versionNumber(ctx, opts.version)}`)).body
        : (await ctx.client.get<{ active: PolicyVersion }>('/api/policies')).body.active;
      ctx.result(version, [line(version), JSON.stringify(version.document, null, 2)]);
    },
  );
  run(
    group
      .command('diff')
      .description("what changed from version A's document to version B's, field by field")
      .argument('<a>', 'a version number')
      .argument('<b>', 'a version number'),
    async (ctx: CommandContext, a: string, b: string) => {
      const [from, to] = await Promise.all(
        [a, b].map(async (v) => (await ctx.client.get<PolicyVersion>(`/api/policies/${versionNumber(ctx, v)}`)).body),
      );
      const changes = policyDiff((from as PolicyVersion).document, (to as PolicyVersion).document);
      ctx.result(
        changes,
        changes.length === 0
          ? [`v${a} and v${b} hold the same rules`]
          : changes.map((c) => `${c.path}: ${show(c.from)} -> ${show(c.to)}`),
      );
    },
  );
  run(
    group
      .command('propose')
      .description('draft a new version from a JSON document and submit it for approval; prints its number')
      .requiredOption('-f, --file <path>', 'the policy document as JSON (version and effectiveFrom are ignored)')
      .requiredOption('--reason <text>', 'why, kept in the audit event'),
    async (ctx: CommandContext, opts: { file: string; reason: string }) => {
      const body = ctx.validate(
        policyDraftRequest,
        { document: await ctx.readJson(opts.file), reason: opts.reason },
        opts.file,
      );
      const draft = await ctx.client.post<PolicyVersion>('/api/policies', body);
      const submitted = await ctx.client.post<PolicyVersion>(`/api/policies/${draft.body.version}/submit`);
      ctx.info(`drafted and submitted policy v${submitted.body.version}`);
      ctx.result(submitted.body, String(submitted.body.version));
    },
  );
  for (const [name, description] of [
    ['approve', 'approve a submitted version (a governance reviewer who did not write it)'],
    ['activate', 'put an approved version in force (needs its quorum; copies it to every system)'],
  ] as const) {
    run(
      group
        .command(name)
        .description(description)
        .argument('<version>', 'a version number')
        .option('--reason <text>', 'kept in the audit event'),
      async (ctx: CommandContext, v: string, opts: { reason?: string }) => {
        const body = ctx.validate(policyDecisionRequest, opts.reason ? { reason: opts.reason } : {}, 'the request');
        const reply = await ctx.client.post<PolicyVersion>(`/api/policies/${versionNumber(ctx, v)}/${name}`, body);
        ctx.result(reply.body, line(reply.body));
      },
    );
  }
}
