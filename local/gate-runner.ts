// A GateRunner that runs statemachines/release-gate.asl.json in the local interpreter, one execution per approval
// round, as StartExecution does in AWS. The interpreter has no callback pattern, so this runner supplies it:
// `$$.Task.Token` resolves to a marker, and the `lambda:invoke.waitForTaskToken` Task is mapped to a local handler
// that issues a real token from the local registry (local/task-tokens.ts), invokes the mapped task function with
// it (which stores it on the approval record, as in AWS), and waits until the approval API sends the token.
// Executions are named per attempt and the names held to StartExecution's rules (local/step-functions.ts
// createExecutionNames), so a failed gate is restarted under the next attempt's name, as in AWS (gate-attempts.ts).
import { ValidationError } from '../functions/domain/errors.js';
import type { GovernanceStore } from '../functions/store/index.js';
import { type GateExecutions, startGateAttempt } from '../functions/workflows/gate-attempts.js';
import type { GateCallbacks, GateRunner } from '../functions/workflows/gate-runner.js';
import { type GateTaskHandlers, type GateTaskOptions, gateTaskHandlers } from '../functions/workflows/gate-tasks.js';
import {
  createExecutionNames,
  type ExecutionNames,
  interpreterMachine,
  loadInterpreter,
  readDefinition,
  substituteDefinition,
  taskResources,
} from './step-functions.js';
import { createTaskTokenRegistry, TaskDoesNotExistError, type TaskTokenRegistry } from './task-tokens.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Local stand-ins for the task functions' ARNs: the FunctionName or Resource of each Task after substitution. */
const LOCAL_GATE_ARNS = {
  openRound: 'arn:aws:lambda:us-east-1:000000000000:function:local-gate-open-round',
  awaitDecision: 'arn:aws:lambda:us-east-1:000000000000:function:local-gate-await-decision',
  settle: 'arn:aws:lambda:us-east-1:000000000000:function:local-gate-settle',
  expire: 'arn:aws:lambda:us-east-1:000000000000:function:local-gate-expire',
  recordFailure: 'arn:aws:lambda:us-east-1:000000000000:function:local-gate-record-failure',
} as const;

const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/**
 * What `$$.Task.Token` resolves to locally: this marker and the execution's key. The wait handler replaces it with a
 * token of its own per attempt, grouped by the execution so that the waits of a finished execution end with it.
 */
const LOCAL_TOKEN_MARKER = 'local-task-token-issued-by-the-wait-handler';

export interface GateReport {
  candidateId: string;
  roundId: string;
  /** The execution's name: the round's attempt (functions/workflows/gate-attempts.ts). */
  executionName: string;
  ok: boolean;
  /** The candidate's status after the gate (from DynamoDB), when it closed. */
  candidateStatus?: string;
  /** The last state: GateClosed, GateExpired, or the failure. */
  end?: string;
  transitions: number;
  retries: number;
  error?: string;
}

export interface LocalGateRunnerOptions extends GateTaskOptions {
  /** IntervalSeconds substituted into the definition (deployed default 2). */
  retryIntervalSeconds?: number;
  /** Replaces the interpreter's retry sleep (milliseconds): tests use a few. */
  retryIntervalMs?: number;
  /** Wraps the task handlers (tests inject failures). */
  wrapTasks?: (tasks: GateTaskHandlers) => GateTaskHandlers;
  onFinished?: (report: GateReport) => void;
  log?: (line: string) => void;
  /** The state machine's execution names (a test shares them between runners, as one AWS account would). */
  executionNames?: ExecutionNames;
}

export interface LocalGateRunner extends GateRunner {
  /** The callbacks the approval API uses: they complete the waits of this runner's gates. */
  callbacks: GateCallbacks;
  tokens: TaskTokenRegistry;
  /** Gates running now, by `candidateId/roundId`. */
  live: () => string[];
  /** The execution names of the gate's state machine, with their statuses. */
  executionNames: ExecutionNames;
  /**
   * Gives every approval round still waiting in DynamoDB a live gate (after a restart): candidates with pending
   * approvals (a GSI Query), each awaiting approval, get the gate of their current round. Returns how many started.
   */
  resume: () => Promise<number>;
  /** Stops every gate (the rounds stay open in DynamoDB; resume() picks them up again). */
  stop: () => Promise<void>;
}

/** A running gate execution; `aborted` once stop() ended it (its status is then ABORTED, not FAILED). */
interface LiveGate {
  done: Promise<void>;
  abort: () => void;
  aborted: boolean;
}

interface Machine {
  run: (
    input: Json,
    options: Record<string, unknown>,
  ) => { result: Promise<unknown>; eventLogs: AsyncIterable<{ type: string }>; abort: () => void };
}

export function createLocalGateRunner(store: GovernanceStore, options: LocalGateRunnerOptions = {}): LocalGateRunner {
  const tokens = createTaskTokenRegistry();
  const base = gateTaskHandlers(
    () => store,
    () => tokens,
    options.approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds: options.approvalTimeoutSeconds } : {},
  );
  const tasks = options.wrapTasks ? options.wrapTasks(base) : base;
  const functions: Record<string, (input: Json) => Promise<unknown>> = {
    [LOCAL_GATE_ARNS.openRound]: (input) => tasks.openRound(input as never),
    [LOCAL_GATE_ARNS.awaitDecision]: (input) => tasks.awaitDecision(input as never),
    [LOCAL_GATE_ARNS.settle]: (input) => tasks.settle(input as never),
    [LOCAL_GATE_ARNS.expire]: (input) => tasks.expire(input as never),
    [LOCAL_GATE_ARNS.recordFailure]: (input) => tasks.recordFailure(input as never),
  };

  /** `lambda:invoke.waitForTaskToken` on one machine: invoke the function with a fresh token, await the callback. */
  const waitForTaskToken = async (input: Json) => {
    const params = input as { FunctionName?: string; Payload?: Record<string, Json> };
    const fn = params.FunctionName ? functions[params.FunctionName] : undefined;
    if (!fn || !params.Payload) throw new ValidationError(`no local function for ${params.FunctionName}`);
    const marker = String(params.Payload.taskToken ?? '');
    if (!marker.startsWith(`${LOCAL_TOKEN_MARKER}:`)) throw new ValidationError('no local task token marker');
    const group = marker.slice(LOCAL_TOKEN_MARKER.length + 1);
    // An execution that ended (a Map aborted after a rejection, a stopped gate) may still retry a wait it lost:
    // it gets no token, as Step Functions issues none to a finished execution.
    if (!live.has(group)) throw new TaskDoesNotExistError(`the gate ${group} is not running`);
    const { token, result } = tokens.issue(group);
    try {
      await fn({ ...params.Payload, taskToken: token });
    } catch (error) {
      tokens.discard(token);
      throw error;
    }
    return result;
  };

  let machine: Promise<{ machine: Machine; handlers: Record<string, unknown>; retry: Record<string, number> }>;
  const build = () => {
    machine ??= (async () => {
      const { StateMachine } = await loadInterpreter();
      const definition = JSON.parse(
        substituteDefinition(readDefinition('release-gate.asl.json'), {
          OpenRoundFunctionArn: LOCAL_GATE_ARNS.openRound,
          AwaitDecisionFunctionArn: LOCAL_GATE_ARNS.awaitDecision,
          SettleFunctionArn: LOCAL_GATE_ARNS.settle,
          ExpireFunctionArn: LOCAL_GATE_ARNS.expire,
          RecordFailureFunctionArn: LOCAL_GATE_ARNS.recordFailure,
          RetryIntervalSeconds: options.retryIntervalSeconds ?? 2,
        }),
      ) as Record<string, unknown>;
      const handlers: Record<string, (input: Json) => Promise<unknown>> = {};
      const retry: Record<string, number> = {};
      for (const [state, resource] of taskResources(definition)) {
        const handler = resource === WAIT_FOR_TASK_TOKEN ? waitForTaskToken : functions[resource];
        if (!handler) throw new Error(`no local function for ${resource} (state ${state})`);
        handlers[state] = async (input) => (await handler(input)) ?? null;
        if (options.retryIntervalMs !== undefined) retry[state] = options.retryIntervalMs;
      }
      // The interpreter's own validator does not know QueryLanguage (JSONPath is its only language anyway).
      const { QueryLanguage: _language, ...runnable } = definition;
      return {
        machine: interpreterMachine(StateMachine, runnable) as unknown as Machine,
        handlers,
        retry,
      };
    })();
    return machine;
  };

  const names = options.executionNames ?? createExecutionNames();
  const live = new Map<string, LiveGate>();
  const execute = async (candidateId: string, roundId: string, executionName: string, key: string, gate: LiveGate) => {
    /** The execution closed: its name stays taken, its waits end with it, and the round may get its next attempt. */
    const close = (status: 'SUCCEEDED' | 'FAILED' | 'ABORTED') => {
      names.close(executionName, status);
      if (live.get(key) !== gate) return;
      live.delete(key);
      tokens.discardGroup(key);
    };
    let transitions = 0;
    let retries = 0;
    let end: string | undefined;
    try {
      const built = await build();
      const execution = built.machine.run({ candidateId, roundId } as Json, {
        overrides: { taskResourceLocalHandlers: built.handlers, retryIntervalOverrides: built.retry },
        context: { Task: { Token: `${LOCAL_TOKEN_MARKER}:${key}` } },
      });
      gate.abort = execution.abort;
      void (async () => {
        for await (const event of execution.eventLogs as AsyncIterable<{ type: string; state?: { name?: string } }>) {
          if (event.type === 'StateEntered') {
            transitions++;
            end = event.state?.name;
          } else if (event.type === 'StateRetried') retries++;
        }
      })().catch(() => undefined);
      const output = (await execution.result) as { candidateStatus?: string } | null;
      // Let the event log catch up with the result before the count is reported.
      await new Promise((resolve) => setImmediate(resolve));
      close('SUCCEEDED');
      options.onFinished?.({
        candidateId,
        roundId,
        executionName,
        ok: true,
        ...(output?.candidateStatus ? { candidateStatus: output.candidateStatus } : {}),
        ...(end ? { end } : {}),
        transitions,
        retries,
      });
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      options.log?.(`release gate of ${candidateId} (round ${roundId}) ended: ${message}`);
      await new Promise((resolve) => setImmediate(resolve));
      close(gate.aborted ? 'ABORTED' : 'FAILED');
      options.onFinished?.({
        candidateId,
        roundId,
        executionName,
        ok: false,
        ...(end ? { end } : {}),
        transitions,
        retries,
        error: message,
      });
    }
  };

  /** StartExecution and DescribeExecution over the local names: a free name launches an execution. */
  const executions: GateExecutions = {
    async start(name, input) {
      if (names.start(name, input) === 'running') return;
      const { candidateId, roundId } = JSON.parse(input) as { candidateId: string; roundId: string };
      const key = `${candidateId}/${roundId}`;
      const gate: LiveGate = { done: Promise.resolve(), abort: () => undefined, aborted: false };
      live.set(key, gate);
      gate.done = execute(candidateId, roundId, name, key, gate);
    },
    async status(name) {
      return names.status(name);
    },
  };

  const runner: LocalGateRunner = {
    callbacks: tokens,
    tokens,
    executionNames: names,
    live: () => [...live.keys()],
    async start(candidateId, roundId) {
      // One gate per round: a live one is left alone; a failed one is followed by the next attempt.
      if (live.has(`${candidateId}/${roundId}`)) return;
      await startGateAttempt(executions, candidateId, roundId);
    },
    async idle() {
      while (live.size) await Promise.all([...live.values()].map((g) => g.done));
    },
    async resume() {
      let started = 0;
      for (const { candidateId } of await store.approvals.candidatesWithPendingApprovals()) {
        const candidate = await store.candidates.getCandidate(candidateId);
        const roundId = candidate.approvalIds[0];
        if (candidate.status !== 'awaiting_approval' || !roundId) continue;
        if (!live.has(`${candidateId}/${roundId}`)) started++;
        await runner.start(candidateId, roundId);
      }
      return started;
    },
    async stop() {
      for (const gate of live.values()) {
        gate.aborted = true;
        gate.abort();
      }
      for (const key of live.keys()) tokens.discardGroup(key);
      await Promise.all([...live.values()].map((g) => g.done.catch(() => undefined)));
    },
  };
  return runner;
}
