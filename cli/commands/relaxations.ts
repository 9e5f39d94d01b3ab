// `govern relax list|approve|reject|withdraw`, `govern waive`, `govern systems update` and `govern incident
// resolve|update`: changes that loosen a rule come back as relaxation requests (202) for a second person.
import type { Command } from 'commander';
import { idOf, patchIncidentRequest, patchSystemRequest, waiverRequest } from '../../functions/contracts/index.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

type Run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => void;

interface RelaxationView {
  id: string;
  kind: string;
  systemName: string;
  from: string;
  to: string;
  status: string;
  deciderRole: string;
  expiresAt: string;
  requestedBy: { userId: string };
}

const line = (r: RelaxationView) =>
  `${r.id}\t${r.status}\t${r.kind}\t${r.systemName}\t${r.from} -> ${r.to}\t${r.requestedBy.userId}\t${r.expiresAt}`;

/** Prints a change's answer: the relaxation request of a 202 (nothing changed yet), or what changed. */
export function printChange(
  ctx: CommandContext,
  reply: { status: number; body: unknown },
  changed: (body: never) => string | string[],
) {
  if (reply.status === 202) {
    const r = reply.body as RelaxationView;
    ctx.info(
      `nothing changed yet: relaxation request ${r.id} (${r.kind} ${r.from} -> ${r.to}) awaits a reviewer:${r.deciderRole} until ${r.expiresAt}`,
    );
    ctx.result(r, r.id);
    return;
  }
  ctx.result(reply.body, changed(reply.body as never));
}

/** `48h`, `7d`, `90m` from now, or an ISO 8601 instant, as an ISO 8601 instant. */
export function expiresFrom(text: string, now: Date = new Date()): string {
  const match = /^(\d+)([mhd])$/.exec(text.trim());
  if (!match) return text;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return new Date(now.getTime() + Number(match[1]) * unit).toISOString();
}

export function registerRelaxationCommands(program: Command, run: Run) {
  const relax = program.command('relax').description('relaxation requests: decided by a second person');
  run(
    relax
      .command('list')
      .description('requests, one per line: id, status, kind, system, from -> to, requester, expiry')
      .option('--status <status>', 'open (default), approved, rejected, withdrawn, expired or superseded')
      .option('--system <id>', 'only this system (sys_...)'),
    async (ctx: CommandContext, opts: { status?: string; system?: string }) => {
      const items: RelaxationView[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.client.get<{ items: RelaxationView[]; nextCursor: string | null }>(
          '/api/relaxation-requests',
          { status: opts.status ?? (opts.system ? undefined : 'open'), systemId: opts.system, limit: '100', cursor },
        );
        items.push(...page.body.items);
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      ctx.result(items, items.map(line));
    },
  );
  for (const verb of ['approve', 'reject'] as const) {
    run(
      relax
        .command(`${verb} <id>`)
        .description(
          verb === 'approve'
            ? 'approve a request: the change is applied now (409 if the value it was bound to changed)'
            : 'reject a request: nothing changes',
        )
        .requiredOption('--reason <text>', 'why'),
      async (ctx: CommandContext, id: string, opts: { reason: string }) => {
        const reply = await ctx.client.post<RelaxationView>(
          `/api/relaxation-requests/${ctx.validate(idOf('rlx'), id, 'the request id')}/${verb}`,
          { reason: opts.reason },
        );
        ctx.info(`${reply.body.id} is ${reply.body.status}`);
        ctx.result(reply.body, line(reply.body));
      },
    );
  }
  run(
    relax.command('withdraw <id>').description('withdraw your open request: nothing changes'),
    async (ctx: CommandContext, id: string) => {
      const reply = await ctx.client.post<RelaxationView>(
        `/api/relaxation-requests/${ctx.validate(idOf('rlx'), id, 'the request id')}/withdraw`,
      );
      ctx.result(reply.body, line(reply.body));
    },
  );

  run(
    program
      .command('waive <candidate>')
      .description('ask a governance reviewer to waive gate reason codes for one candidate (bound to its snapshot)')
      .requiredOption('--codes <codes>', 'comma-separated reason codes, e.g. BLOCKING_INCIDENT_OPEN,EVAL_EXPIRED')
      .requiredOption('--reason <text>', 'why this release may ship despite them')
      .option(
        '--expires <when>',
        'how long the waiver lasts: 48h, 7d or an ISO 8601 instant (default 7d, at most 30d)',
      ),
    async (ctx: CommandContext, candidate: string, opts: { codes: string; reason: string; expires?: string }) => {
      const body = ctx.validate(
        waiverRequest,
        {
          codes: opts.codes
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
          reason: opts.reason,
          ...(opts.expires ? { expiresAt: expiresFrom(opts.expires) } : {}),
        },
        'the waiver',
      );
      const reply = await ctx.client.post<RelaxationView>(
        `/api/release-candidates/${ctx.validate(idOf('rc'), candidate, 'the candidate id')}/waivers`,
        body,
      );
      printChange(ctx, reply, () => reply.body.id);
    },
  );

  const systems = program.commands.find((c) => c.name() === 'systems');
  if (!systems) throw new CliError(EXIT.unexpected, 'the systems command is missing');
  run(
    systems
      .command('update <id>')
      .description('change a system; lowering the risk tier or EU AI Act category prints the relaxation request')
      .option('--risk-tier <tier>', 'low, medium, high or critical')
      .option('--eu-category <category>', 'minimal, limited, high or unacceptable')
      .option('--status <status>', 'active or deprecated')
      .option('--reason <text>', 'why (recorded on a relaxation request)'),
    async (
      ctx: CommandContext,
      id: string,
      opts: { riskTier?: string; euCategory?: string; status?: string; reason?: string },
    ) => {
      const body = ctx.validate(
        patchSystemRequest,
        {
          ...(opts.riskTier ? { riskTier: opts.riskTier } : {}),
          ...(opts.euCategory ? { euAiActCategory: opts.euCategory } : {}),
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.reason ? { reason: opts.reason } : {}),
        },
        'the change',
      );
      const reply = await ctx.client.patch(`/api/systems/${ctx.validate(idOf('sys'), id, 'the system id')}`, body);
      printChange(
        ctx,
        reply,
        (s: { id: string; riskTier: string; euAiActCategory: string }) =>
          `${s.id}\t${s.riskTier}\t${s.euAiActCategory}`,
      );
    },
  );

  const incident = program.commands.find((c) => c.name() === 'incident');
  if (!incident) throw new CliError(EXIT.unexpected, 'the incident command is missing');
  run(
    incident
      .command('resolve <id>')
      .description('resolve an incident; one of a blocking severity prints the relaxation request instead')
      .requiredOption('--resolution <text>', 'what was done'),
    async (ctx: CommandContext, id: string, opts: { resolution: string }) => {
      const reply = await ctx.client.post(
        `/api/incidents/${ctx.validate(idOf('inc'), id, 'the incident id')}/resolve`,
        {
          resolution: opts.resolution,
        },
      );
      printChange(ctx, reply, (i: { id: string; status: string }) => `${i.id}\t${i.status}`);
    },
  );
  run(
    incident
      .command('update <id>')
      .description('change severity or status; lowering a blocking severity prints the relaxation request instead')
      .option('--severity <level>', 'low, medium, high or critical')
      .option('--status <status>', 'open or mitigating')
      .option('--reason <text>', 'why (recorded on a relaxation request)'),
    async (ctx: CommandContext, id: string, opts: { severity?: string; status?: string; reason?: string }) => {
      const body = ctx.validate(
        patchIncidentRequest,
        {
          ...(opts.severity ? { severity: opts.severity } : {}),
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.reason ? { reason: opts.reason } : {}),
        },
        'the change',
      );
      const reply = await ctx.client.patch(`/api/incidents/${ctx.validate(idOf('inc'), id, 'the incident id')}`, body);
      printChange(
        ctx,
        reply,
        (i: { id: string; severity: string; status: string }) => `${i.id}\t${i.severity}\t${i.status}`,
      );
    },
  );
}
