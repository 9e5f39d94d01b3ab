// `govern prompt create|submit` and `govern model-config create|submit`: versions from files in the team's repository.
import type { Command } from 'commander';
import { ARTEFACT_CONTRACTS, idOf, reviewRequest } from '../../functions/contracts/index.js';
import { ARTEFACT_KIND_NAMES, ARTEFACT_KINDS } from '../../functions/domain/artefact-kinds.js';
import type { CommandContext } from '../context.js';

type Run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => void;

interface Artefact {
  id: string;
  name: string;
  version: number;
  status: string;
}

// One command group per registered artefact kind (functions/domain/artefact-kinds.ts).
const KINDS = ARTEFACT_KIND_NAMES.map((name) => ({
  command: name.replaceAll('_', '-'),
  label: ARTEFACT_KINDS[name].label,
  path: `/api/${ARTEFACT_KINDS[name].resource}`,
  schema: ARTEFACT_CONTRACTS[name].create,
  prefix: ARTEFACT_KINDS[name].idPrefix,
}));

export function registerArtefactCommands(program: Command, run: Run) {
  for (const kind of KINDS) {
    const group = program.command(kind.command).description(`${kind.label}s of a system`);
    run(
      group
        .command('create')
        .description(`register a new ${kind.label} from a JSON file; prints its id`)
        .requiredOption('--system <id>', 'the AI system (sys_...)')
        .requiredOption(
          '-f, --file <path>',
          `the ${kind.label} as JSON (the body of POST ${kind.path}; systemId optional)`,
        )
        .option('--submit', 'submit it for review right away'),
      async (ctx: CommandContext, opts: { system: string; file: string; submit?: boolean }) => {
        const file = (await ctx.readJson(opts.file)) as Record<string, unknown>;
        const body = ctx.validate(kind.schema, { ...file, systemId: opts.system }, opts.file);
        const created = await ctx.client.post<Artefact>(kind.path, body);
        ctx.info(
          `${created.replayed ? 'replayed' : 'created'} ${kind.label} ${created.body.id} (${created.body.name} v${created.body.version})`,
        );
        let out = created.body;
        if (opts.submit) {
          const submitted = await ctx.client.post<Artefact>(`${kind.path}/${out.id}/submit`);
          ctx.info(`submitted ${out.id} for review`);
          out = submitted.body;
        }
        ctx.result(out, out.id);
      },
    );
    run(
      group
        .command('submit')
        .description(`submit a draft ${kind.label} for review`)
        .argument('<id>', `the ${kind.label} (${kind.prefix}_...)`)
        .option('--comment <text>', 'a note for the reviewers, kept in the audit event'),
      async (ctx: CommandContext, id: string, opts: { comment?: string }) => {
        ctx.validate(idOf(kind.prefix), id, 'the id');
        // The body is optional: sent only with a comment.
        const body = opts.comment ? ctx.validate(reviewRequest, { comment: opts.comment }, 'the request') : undefined;
        const reply = await ctx.client.post<Artefact>(`${kind.path}/${id}/submit`, body);
        ctx.info(`${kind.label} ${id} is ${reply.body.status}`);
        ctx.result(reply.body, `${id} ${reply.body.status}`);
      },
    );
  }
}
