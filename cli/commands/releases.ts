// The release path: `candidate create|submit`, `evals run --wait`, `evals estimate`, `gate`, `request-approval`, `promote`,
// `rollback`.
import type { Command } from 'commander';
import type { GateAnswer } from '../../functions/contracts/index.js';
import {
  createCandidateRequest,
  errorCode,
  gateQuery,
  idOf,
  promoteRequest,
  rollbackRequest,
  runEvalsRequest,
} from '../../functions/contracts/index.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { checkPromptfooParts, partRefused, promptfooParts } from '../promptfoo-parts.js';

/**
 * The gate answer as this CLI reads it: a reason's code may be one a later API version added (docs/api.md, Error
 * codes), so it is a string here, and any reason blocks.
 */
type GateReply = Omit<GateAnswer, 'reasons'> & { reasons: { code: string; message: string }[] };

/** A reason as a line for humans; a code this version does not know still blocks and says so. */
function reasonLine(reason: { code: string; message: string }): string {
  const known = errorCode.safeParse(reason.code).success;
  return `${reason.code}: ${reason.message}${known ? '' : ' (a code this govern version does not know; it still blocks)'}`;
}

type Run = (command: Command, action: (ctx: CommandContext, ...args: never[]) => Promise<void>) => void;

/** Polls the run until it has a verdict, printing progress to stderr; exit 3 when it failed, 4 on an error. */
async function waitForVerdict(
  ctx: CommandContext,
  started: EvalRun,
  opts: { interval: string; waitTimeout: string },
): Promise<void> {
  let runState = started;
  const interval = Math.max(50, Number(opts.interval) || 2000);
  const deadline = Date.now() + Math.max(1, Number(opts.waitTimeout) || 1800) * 1000;
  let shown = '';
  for (;;) {
    runState = (await ctx.client.get<EvalRun>(`/api/eval-runs/${runState.id}`)).body;
    const line = `eval run ${runState.id}: ${runState.status} ${runState.casesDone}/${runState.totalCases} cases`;
    if (line !== shown) ctx.info(line);
    shown = line;
    // A submitted run is aggregated after its last post: it has no verdict yet.
    if (runState.status !== 'queued' && runState.status !== 'running' && runState.status !== 'aggregating') break;
    if (Date.now() > deadline) {
      throw new CliError(EXIT.unexpected, `eval run ${runState.id} did not finish in ${opts.waitTimeout} s`);
    }
    await sleep(interval);
  }
  const verdicts = (runState.thresholdVerdicts ?? []).map(
    (v) => `  ${v.passed ? 'pass' : 'FAIL'} ${v.metric} ${v.direction} ${v.threshold ?? ''} actual ${v.actual ?? '-'}`,
  );
  if (runState.status === 'passed') {
    ctx.result(runState, [`${runState.id} passed`, ...verdicts]);
    return;
  }
  const reasons = runState.status === 'error' ? [runState.error ?? 'unknown error'] : runState.failureReasons;
  if (ctx.options.json) ctx.io.stdout(JSON.stringify(runState, null, 2));
  throw new CliError(
    runState.status === 'error' ? EXIT.evalError : EXIT.blocked,
    `eval run ${runState.id} ${runState.status}`,
    [...reasons.map((r) => `  ${r}`), ...verdicts],
  );
}

interface Candidate {
  id: string;
  status: string;
  environment: string;
  latestEvalRunId: string | null;
}

interface EvalRun {
  id: string;
  status: 'queued' | 'running' | 'aggregating' | 'passed' | 'failed' | 'error';
  casesDone: number;
  totalCases: number;
  failureReasons: string[];
  error: string | null;
  errorCode?: string;
  costEstimate?: Estimate;
  maxCost?: number;
  spentUsd?: number;
  thresholdVerdicts?: {
    metric: string;
    direction: string;
    threshold?: number;
    actual?: number | null;
    passed: boolean;
  }[];
}

/** A run's cost estimate (functions/domain/eval/cost-estimate.ts), as this CLI prints it. */
interface Estimate {
  cases: number;
  inputTokens: number;
  outputTokens: number;
  cost: number | null;
  upperBound: boolean;
  basis: string;
}

interface RunEstimate {
  estimate: Estimate;
  maxCost: number | null;
  startable: boolean;
  reason: string | null;
}

interface RunCostOptions {
  maxCost?: string;
  ifEstimateExceeds?: string;
}

/** The run-evals body of the options; a --max-cost that is not a number reaches the schema as one and is refused. */
function runEvalsBody(opts: RunCostOptions & { executor: string }): Record<string, unknown> {
  return {
    executor: opts.executor,
    ...(opts.maxCost !== undefined ? { maxCost: Number(opts.maxCost) } : {}),
    ...(opts.ifEstimateExceeds !== undefined ? { ifEstimateExceeds: opts.ifEstimateExceeds } : {}),
  };
}

function estimateLine(estimate: Estimate, maxCost: number | undefined): string {
  const cost =
    estimate.cost === null ? 'not priced' : `${estimate.upperBound ? 'at most ' : 'about '}${estimate.cost} USD`;
  const ceiling = maxCost === undefined ? '' : `, ceiling ${maxCost} USD`;
  return `estimate: ${cost} for ${estimate.cases} cases (${estimate.inputTokens} tokens in, ${estimate.outputTokens} out)${ceiling}`;
}

/** A rollback request as this CLI reads it (GET /api/release-candidates/{id}/rollback). */
interface RollbackRequestState {
  id: string;
  status: 'validating' | 'rolled_back' | 'blocked' | 'refused' | 'error';
  targetCandidateId: string;
  validationRunId: string | null;
  rollbackId: string | null;
  validation: { message: string } | null;
  problem: { code: string; message: string } | null;
}

/** The 202 answer of POST /api/release-candidates/{id}/rollback. */
interface RollbackAnswer {
  rollbackRequest: RollbackRequestState;
  validationRunId: string | null;
  status: RollbackRequestState['status'];
}

const candidateId = idOf('rc');
const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter(Boolean),
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A thresholds file is either an array of thresholds or a profile `{ "thresholds": [...] }` (evals/<system>/). */
function thresholdsOf(file: unknown): unknown {
  if (file && typeof file === 'object' && !Array.isArray(file) && 'thresholds' in file) {
    return (file as { thresholds: unknown }).thresholds;
  }
  return file;
}

export function registerReleaseCommands(program: Command, run: Run) {
  const candidate = program
    .command('candidate')
    .description('release candidates: exact versions, datasets, thresholds');
  run(
    candidate
      .command('create')
      .description('build a draft release candidate; prints its id')
      .option('--system <id>', 'the AI system (sys_...)')
      .option('--name <name>', 'a name for the candidate (default: from the file, else "<prompt> + <config>")')
      .option('--prompt-version <id>', 'the prompt version (pv_...)')
      .option('--model-config <id>', 'the model config version (mc_...)')
      .option('--dataset <ids>', 'eval dataset ids (ds_...), repeat or separate by commas', collect)
      .option('--judge-config <ids>', 'approved judge config versions (jc_...) its llm-rubric assertions name', collect)
      .option('--thresholds <file>', 'thresholds as JSON: an array, or a profile with "thresholds"')
      .option('--environment <env>', 'staging or production (default production)')
      .option('--notes <text>', 'notes for the reviewers')
      .option('-f, --file <path>', 'the candidate as JSON (the body of POST /api/release-candidates); flags override')
      .option('--submit', 'submit (freeze) it right away'),
    async (
      ctx: CommandContext,
      opts: {
        system?: string;
        name?: string;
        promptVersion?: string;
        modelConfig?: string;
        dataset?: string[];
        judgeConfig?: string[];
        thresholds?: string;
        environment?: string;
        notes?: string;
        file?: string;
        submit?: boolean;
      },
    ) => {
      const file = opts.file ? ((await ctx.readJson(opts.file)) as Record<string, unknown>) : {};
      const thresholds = opts.thresholds ? thresholdsOf(await ctx.readJson(opts.thresholds)) : undefined;
      const merged: Record<string, unknown> = {
        ...file,
        ...(opts.system ? { systemId: opts.system } : {}),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.promptVersion ? { promptVersionId: opts.promptVersion } : {}),
        ...(opts.modelConfig ? { modelConfigId: opts.modelConfig } : {}),
        ...(opts.dataset?.length ? { datasetIds: opts.dataset } : {}),
        ...(opts.judgeConfig?.length ? { judgeConfigIds: opts.judgeConfig } : {}),
        ...(thresholds !== undefined ? { thresholds } : {}),
        ...(opts.environment ? { environment: opts.environment } : {}),
        ...(opts.notes ? { notes: opts.notes } : {}),
      };
      if (merged.name === undefined && typeof merged.promptVersionId === 'string') {
        merged.name = `${merged.promptVersionId} + ${merged.modelConfigId ?? '?'}`;
      }
      const body = ctx.validate(createCandidateRequest, merged, opts.file ?? 'the candidate');
      const created = await ctx.client.post<Candidate>('/api/release-candidates', body);
      ctx.info(
        `${created.replayed ? 'replayed' : 'created'} release candidate ${created.body.id} (${created.body.status})`,
      );
      let out = created.body;
      if (opts.submit) {
        out = (await ctx.client.post<Candidate>(`/api/release-candidates/${out.id}/submit`)).body;
        ctx.info(`submitted ${out.id}`);
      }
      ctx.result(out, out.id);
    },
  );
  run(
    candidate.command('submit').description('freeze a draft candidate').argument('<candidateId>'),
    async (ctx: CommandContext, id: string) => {
      ctx.validate(candidateId, id, 'the candidate id');
      const reply = await ctx.client.post<Candidate>(`/api/release-candidates/${id}/submit`);
      ctx.info(`release candidate ${id} is ${reply.body.status}`);
      ctx.result(reply.body, `${id} ${reply.body.status}`);
    },
  );

  const evals = program.command('evals').description('eval runs of a candidate');
  run(
    evals
      .command('run')
      .description('start an eval run of the candidate; with --wait, wait for its verdict (exit 3 when it fails)')
      .argument('<candidateId>')
      .option('--executor <kind>', 'simulated, http, submitted or provider', 'simulated')
      .option('--max-cost <usd>', "the run's cost ceiling: refused when the estimate exceeds it, stopped when spent")
      .option('--if-estimate-exceeds <action>', 'refuse (default) or start, and stop at the ceiling')
      .option('--wait', 'poll the run until it finishes, printing progress to stderr')
      .option('--interval <ms>', 'polling interval in ms', '2000')
      .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 1)', '1800'),
    async (
      ctx: CommandContext,
      id: string,
      opts: RunCostOptions & { executor: string; wait?: boolean; interval: string; waitTimeout: string },
    ) => {
      ctx.validate(candidateId, id, 'the candidate id');
      const body = ctx.validate(runEvalsRequest, runEvalsBody(opts), 'the request');
      const started = await ctx.client.post<EvalRun>(`/api/release-candidates/${id}/run-evals`, body);
      const runState = started.body;
      ctx.info(`${started.replayed ? 'replayed: eval run' : 'eval run'} ${runState.id} ${runState.status}`);
      if (runState.costEstimate) ctx.info(`  ${estimateLine(runState.costEstimate, runState.maxCost)}`);
      if (!opts.wait) {
        ctx.result(runState, runState.id);
        return;
      }
      await waitForVerdict(ctx, runState, opts);
    },
  );

  run(
    evals
      .command('submit')
      .description(
        "post promptfoo's results file (`promptfoo eval -o results.json`) to a submitted run, in parts; the run is re-scored with the cases' assertions and gated (with --wait, exit 3 when it fails)",
      )
      .argument('<runId>', 'the submitted eval run (run_...), from `govern evals run <candidate> --executor submitted`')
      .requiredOption('--promptfoo <file>', "promptfoo's results file")
      .option('--wait', 'poll the run until it finishes, printing progress to stderr')
      .option('--interval <ms>', 'polling interval in ms', '2000')
      .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 1)', '1800'),
    async (
      ctx: CommandContext,
      id: string,
      opts: { promptfoo: string; wait?: boolean; interval: string; waitTimeout: string },
    ) => {
      ctx.validate(idOf('run'), id, 'the eval run id');
      const parts = promptfooParts(await ctx.readJson(opts.promptfoo));
      // Each post is all-or-nothing, the parts together are not: what the whole file can be refused for is checked
      // before the first post, and a later part's refusal says what the earlier ones left (ADR 0041).
      checkPromptfooParts(parts);
      let runState: EvalRun | undefined;
      for (const [i, part] of parts.entries()) {
        const reply = await ctx.client
          .post<EvalRun & { recorded?: number }>(`/api/eval-runs/${id}/promptfoo-results`, part.body)
          .catch((error: unknown) => {
            throw partRefused(error, parts, i);
          });
        runState = reply.body;
        ctx.info(`part ${i + 1}/${parts.length}: ${runState.casesDone}/${runState.totalCases} cases posted`);
      }
      const posted = runState as EvalRun;
      if (!opts.wait) {
        ctx.result(posted, `${posted.id} ${posted.status}`);
        return;
      }
      await waitForVerdict(ctx, posted, opts);
    },
  );

  run(
    evals
      .command('estimate')
      .description(
        'what an eval run of the candidate would cost (an upper bound) and whether a start would be refused for it; starts nothing (exit 3 when it would be refused)',
      )
      .argument('<candidateId>')
      .option('--executor <kind>', 'simulated, http, submitted or provider', 'simulated')
      .option('--max-cost <usd>', 'the ceiling to check the estimate against')
      .option('--if-estimate-exceeds <action>', 'refuse (default) or start'),
    async (ctx: CommandContext, id: string, opts: RunCostOptions & { executor: string }) => {
      ctx.validate(candidateId, id, 'the candidate id');
      const body = ctx.validate(runEvalsRequest, runEvalsBody(opts), 'the request');
      const reply = (await ctx.client.post<RunEstimate>(`/api/release-candidates/${id}/run-evals/estimate`, body)).body;
      const lines = [estimateLine(reply.estimate, reply.maxCost ?? undefined), `  basis: ${reply.estimate.basis}`];
      if (reply.startable) {
        ctx.result(reply, lines);
        return;
      }
      if (ctx.options.json) ctx.io.stdout(JSON.stringify(reply, null, 2));
      throw new CliError(
        EXIT.blocked,
        `a start of ${id} would be refused: ${reply.reason ?? 'over its ceiling'}`,
        lines,
      );
    },
  );

  run(
    program
      .command('gate')
      .description('exit 0 when the candidate may be promoted, 3 with every blocking reason when it may not')
      .argument('<candidateId>')
      .option('--environment <env>', "staging or production (default: the candidate's)"),
    async (ctx: CommandContext, id: string, opts: { environment?: string }) => {
      ctx.validate(candidateId, id, 'the candidate id');
      const query = ctx.validate(gateQuery, opts.environment ? { environment: opts.environment } : {}, 'the query');
      const gate = (await ctx.client.get<GateReply>(`/api/release-candidates/${id}/gate`, query)).body;
      if (gate.promotable === true && gate.reasons.length === 0) {
        ctx.result(gate, `${id} may be promoted to ${gate.environment}`);
        return;
      }
      if (ctx.options.json) ctx.io.stdout(JSON.stringify(gate, null, 2));
      throw new CliError(
        EXIT.blocked,
        `${id} is blocked from ${gate.environment} (${gate.status})`,
        gate.reasons.map(reasonLine),
      );
    },
  );

  run(
    program
      .command('request-approval')
      .description('open the approval round the risk tier requires; prints the approval ids')
      .argument('<candidateId>'),
    async (ctx: CommandContext, id: string) => {
      ctx.validate(candidateId, id, 'the candidate id');
      const reply = await ctx.client.post<{ candidate: Candidate; approvals: { id: string; role: string }[] }>(
        `/api/release-candidates/${id}/request-approval`,
      );
      ctx.info(
        `${id} is ${reply.body.candidate.status}; waiting for: ${reply.body.approvals.map((a) => a.role).join(', ')}`,
      );
      ctx.result(
        reply.body,
        reply.body.approvals.map((a) => `${a.id} ${a.role}`),
      );
    },
  );

  run(
    program
      .command('promote')
      .description('make the candidate the active release; names the active release it expects to replace')
      .argument('<candidateId>')
      .requiredOption(
        '--expected-active <id>',
        'the active release you expect to replace (rc_...), "none" when there is none, or "current" to read it from the gate now',
      )
      .option('--environment <env>', "staging or production (default: the candidate's)")
      .option('--reason <text>', 'why (recorded in the audit trail)'),
    async (
      ctx: CommandContext,
      id: string,
      opts: { expectedActive: string; environment?: string; reason?: string },
    ) => {
      ctx.validate(candidateId, id, 'the candidate id');
      let expected: string | null = opts.expectedActive === 'none' ? null : opts.expectedActive;
      if (opts.expectedActive === 'current') {
        const query = opts.environment ? { environment: opts.environment } : {};
        expected = (await ctx.client.get<GateAnswer>(`/api/release-candidates/${id}/gate`, query)).body
          .activeCandidateId;
        ctx.info(`the active release is ${expected ?? 'none'}`);
      }
      const body = ctx.validate(
        promoteRequest,
        {
          expectedActiveCandidateId: expected,
          ...(opts.environment ? { environment: opts.environment } : {}),
          ...(opts.reason ? { reason: opts.reason } : {}),
        },
        'the request',
      );
      const reply = await ctx.client.post<{ candidate: Candidate }>(`/api/release-candidates/${id}/promote`, body);
      ctx.info(`${id} is the active ${reply.body.candidate.environment} release`);
      ctx.result(reply.body, `${id} ${reply.body.candidate.status}`);
    },
  );

  run(
    program
      .command('rollback')
      .description(
        'roll this active release back to an earlier approved one (last-known-good by default); waits for the target’s validation run (exit 3 when blocked)',
      )
      .argument('<candidateId>', 'the active release to roll back')
      .requiredOption('--reason <text>', 'why')
      .option('--incident <id>', 'the incident behind it (inc_...)')
      .option('--target <id>', 'the release to restore (rc_...; default: last-known-good)')
      .option('--no-wait', 'print the 202 answer (the request and its validation run) and return at once')
      .option('--interval <ms>', 'polling interval in ms', '2000')
      .option('--wait-timeout <seconds>', 'give up waiting after this long (exit 1)', '1800'),
    async (
      ctx: CommandContext,
      id: string,
      opts: {
        reason: string;
        incident?: string;
        target?: string;
        wait: boolean;
        interval: string;
        waitTimeout: string;
      },
    ) => {
      ctx.validate(candidateId, id, 'the candidate id');
      const body = ctx.validate(
        rollbackRequest,
        {
          reason: opts.reason,
          ...(opts.incident ? { incidentId: opts.incident } : {}),
          ...(opts.target ? { targetCandidateId: opts.target } : {}),
        },
        'the request',
      );
      const reply = await ctx.client.post<RollbackAnswer>(`/api/release-candidates/${id}/rollback`, body);
      let request = reply.body.rollbackRequest;
      ctx.info(
        `rollback request ${request.id}: ${request.status} (target ${request.targetCandidateId}${request.validationRunId ? `, validation run ${request.validationRunId}` : ''})`,
      );
      if (!opts.wait) {
        ctx.result(reply.body, request.id);
        return;
      }
      const interval = Math.max(50, Number(opts.interval) || 2000);
      const deadline = Date.now() + Math.max(1, Number(opts.waitTimeout) || 1800) * 1000;
      let shown = '';
      while (request.status === 'validating') {
        if (request.validationRunId) {
          const runState = (await ctx.client.get<EvalRun>(`/api/eval-runs/${request.validationRunId}`)).body;
          const line = `validation run ${runState.id}: ${runState.status} ${runState.casesDone}/${runState.totalCases} cases`;
          if (line !== shown) ctx.info(line);
          shown = line;
        }
        if (Date.now() > deadline) {
          throw new CliError(
            EXIT.unexpected,
            `rollback request ${request.id} is still validating after ${opts.waitTimeout} s`,
          );
        }
        await sleep(interval);
        request = (await ctx.client.get<RollbackRequestState>(`/api/release-candidates/${id}/rollback`)).body;
      }
      const validation = request.validation ? [`  validation: ${request.validation.message}`] : [];
      if (request.status === 'rolled_back') {
        ctx.info(`rolled ${id} back to ${request.targetCandidateId} (${request.rollbackId})`);
        for (const line of validation) ctx.info(line);
        ctx.result(request, request.targetCandidateId);
        return;
      }
      if (ctx.options.json) ctx.io.stdout(JSON.stringify(request, null, 2));
      const exit =
        request.status === 'blocked' ? EXIT.blocked : request.status === 'error' ? EXIT.evalError : EXIT.rejected;
      throw new CliError(exit, `rollback request ${request.id} ${request.status}`, [
        ...(request.problem ? [`  ${request.problem.code}: ${request.problem.message}`] : []),
        ...validation,
      ]);
    },
  );
}
