// `govern incident open`, `govern systems list`, `govern datasets list|export`, `govern model-card`,
// `govern report eu-ai-act`.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createIncidentRequest, idOf } from '../../functions/contracts/index.js';
import { promptfooTestsOf } from '../../functions/domain/promptfoo-tests.js';
import { type Assertion, DATASET_KINDS, type EvalCase } from '../../functions/domain/types.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

type Run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => void;

const systemId = idOf('sys');

export function registerEvidenceCommands(program: Command, run: Run) {
  const incident = program.command('incident').description('incidents of a system');
  run(
    incident
      .command('open')
      .description('open an incident; prints its id (open incidents of high or critical severity block promotion)')
      .option('--system <id>', 'the AI system (sys_...)')
      .option('--title <text>', 'a short title')
      .option('--severity <level>', 'low, medium, high or critical')
      .option('--description <text>', 'what happened')
      .option('--candidate <id>', 'the release concerned (rc_...)')
      .option('-f, --file <path>', 'the incident as JSON (the body of POST /api/incidents); flags override'),
    async (
      ctx: CommandContext,
      opts: {
        system?: string;
        title?: string;
        severity?: string;
        description?: string;
        candidate?: string;
        file?: string;
      },
    ) => {
      const file = opts.file ? ((await ctx.readJson(opts.file)) as Record<string, unknown>) : {};
      const body = ctx.validate(
        createIncidentRequest,
        {
          ...file,
          ...(opts.system ? { systemId: opts.system } : {}),
          ...(opts.title ? { title: opts.title } : {}),
          ...(opts.severity ? { severity: opts.severity } : {}),
          ...(opts.description ? { description: opts.description } : {}),
          ...(opts.candidate ? { candidateId: opts.candidate } : {}),
        },
        opts.file ?? 'the incident',
      );
      const reply = await ctx.client.post<{ id: string; severity: string }>('/api/incidents', body);
      ctx.info(`${reply.replayed ? 'replayed' : 'opened'} ${reply.body.severity} incident ${reply.body.id}`);
      ctx.result(reply.body, reply.body.id);
    },
  );

  const systems = program.command('systems').description('the registry of AI systems');
  run(
    systems
      .command('list')
      .description('systems the caller may read, "id<TAB>name" per line (with --search: name, team, owner or id)')
      .option('--search <text>', 'a case-insensitive part of the name, owner team, owner, domain or id'),
    async (ctx: CommandContext, opts: { search?: string }) => {
      const items: { id: string; name: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.client.get<{ items: typeof items; nextCursor: string | null }>('/api/systems', {
          q: opts.search,
          limit: '100',
          cursor,
        });
        items.push(...page.body.items);
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      ctx.result(
        items,
        items.map((s) => `${s.id}\t${s.name}`),
      );
    },
  );

  const datasets = program.command('datasets').description('eval datasets of a system');
  run(
    datasets
      .command('list')
      .description("ids of the system's eval datasets, one per line, optionally of some kinds")
      .requiredOption('--system <id>', 'the AI system (sys_...)')
      .option('--kind <kind...>', `only these kinds (${DATASET_KINDS.join(', ')})`),
    async (ctx: CommandContext, opts: { system: string; kind?: string[] }) => {
      ctx.validate(systemId, opts.system, '--system');
      const unknown = (opts.kind ?? []).filter((k) => !(DATASET_KINDS as readonly string[]).includes(k));
      if (unknown.length) throw new CliError(EXIT.usage, `unknown dataset kind(s): ${unknown.join(', ')}`);
      const items: { id: string; name: string; kind: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.client.get<{ items: typeof items; nextCursor: string | null }>('/api/eval-datasets', {
          systemId: opts.system,
          limit: '100',
          cursor,
        });
        items.push(...page.body.items);
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      const chosen = opts.kind?.length ? items.filter((d) => opts.kind?.includes(d.kind)) : items;
      ctx.result(
        chosen,
        chosen.map((d) => d.id),
      );
    },
  );

  run(
    datasets
      .command('export')
      .description(
        "a dataset's cases as promptfoo tests (JSON, for `tests: file://tests.json`): each carries vars.caseId and metadata.caseId and the assertions promptfoo scores the same way",
      )
      .argument('<datasetId>', 'the eval dataset (ds_...)')
      .option('--format <format>', 'promptfoo (the only format)', 'promptfoo')
      .option('-o, --output <file>', 'write the tests to a file instead of stdout'),
    async (ctx: CommandContext, id: string, opts: { format: string; output?: string }) => {
      ctx.validate(idOf('ds'), id, 'the dataset id');
      if (opts.format !== 'promptfoo') throw new CliError(EXIT.usage, `unknown format ${opts.format}: use promptfoo`);
      type DatasetPage = { defaultAssert?: Assertion[]; cases: { items: EvalCase[]; nextCursor: string | null } };
      const cases: EvalCase[] = [];
      let defaults: Assertion[] | undefined;
      let cursor: string | undefined;
      do {
        const page = await ctx.client.get<DatasetPage>(`/api/eval-datasets/${id}`, { limit: '100', cursor });
        defaults = page.body.defaultAssert;
        cases.push(...page.body.cases.items);
        cursor = page.body.cases.nextCursor ?? undefined;
      } while (cursor);
      const { tests, untranslated } = promptfooTestsOf({ ...(defaults ? { defaultAssert: defaults } : {}) }, cases);
      for (const u of untranslated)
        ctx.info(`not exported: case ${u.caseId} ${u.type}${u.name ? ` (${u.name})` : ''}: ${u.why}`);
      const text = `${JSON.stringify(tests, null, 2)}\n`;
      if (opts.output) {
        await writeFile(ctx.path(opts.output), text);
        ctx.info(`wrote ${tests.length} promptfoo tests to ${opts.output}`);
      } else ctx.io.stdout(text.trimEnd());
    },
  );

  run(
    program
      .command('model-card')
      .description("the model card (JSON) of a release candidate, or of a system's active production release")
      .argument('[candidateId]', 'the release candidate (rc_...)')
      .option('--system <id>', 'the system instead (its active production release, else its latest candidate)')
      .option('-o, --output <file>', 'write the card to a file instead of stdout'),
    async (ctx: CommandContext, id: string | undefined, opts: { system?: string; output?: string }) => {
      if ((id === undefined) === (opts.system === undefined)) {
        throw new CliError(EXIT.usage, 'name either a candidate id or --system <id>');
      }
      const path = id
        ? `/api/release-candidates/${ctx.validate(idOf('rc'), id, 'the candidate id')}/model-card`
        : `/api/systems/${ctx.validate(systemId, opts.system, '--system')}/model-card`;
      const card = (await ctx.client.get<unknown>(path)).body;
      const text = `${JSON.stringify(card, null, 2)}\n`;
      if (opts.output) {
        await writeFile(ctx.path(opts.output), text);
        ctx.info(`wrote the model card to ${opts.output}`);
      } else ctx.io.stdout(text.trimEnd());
    },
  );

  const report = program.command('report').description('compliance reports generated from the registry');
  run(
    report
      .command('eu-ai-act')
      .description('the EU AI Act compliance report of a system (PDF)')
      .requiredOption('--system <id>', 'the AI system (sys_...)')
      .requiredOption('-o, --output <file>', 'where to write the PDF'),
    async (ctx: CommandContext, opts: { system: string; output: string }) => {
      ctx.validate(systemId, opts.system, '--system');
      const { bytes, contentType } = await ctx.client.download(`/api/systems/${opts.system}/reports/eu-ai-act`);
      if (!contentType.includes('application/pdf')) {
        throw new CliError(EXIT.unexpected, `expected a PDF, the API answered ${contentType || 'no content type'}`);
      }
      await writeFile(ctx.path(opts.output), bytes);
      ctx.info(`wrote the EU AI Act report (${bytes.length} bytes) to ${opts.output}`);
      ctx.result({ file: opts.output, bytes: bytes.length }, opts.output);
    },
  );
}
