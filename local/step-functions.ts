// Runs the ASL files of statemachines/ with aws-local-stepfunctions: the same definition CDK deploys, with its
// `${...}` placeholders substituted as at deploy time and each Task's Resource mapped to a local function.
// aws-local-stepfunctions needs Promise.withResolvers (Node 22): on Node 20 the polyfill is installed before it loads.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Promise.withResolvers for Node 20; a no-op where it exists. */
function installPromiseWithResolvers(): void {
  const P = Promise as PromiseConstructor & { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export const STATEMACHINES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'statemachines');

/** Reads an ASL file of statemachines/ as text. */
export function readDefinition(file: string): string {
  return readFileSync(join(STATEMACHINES_DIR, file), 'utf8');
}

/**
 * Substitutes `${Name}` placeholders. A number replaces the whole quoted placeholder (`"${MaxConcurrency}"` → `4`),
 * as lib/constructs/eval-state-machine.ts does at synth time; a string replaces the placeholder inside its string,
 * as CloudFormation's DefinitionSubstitutions do. An unknown placeholder is an error.
 */
export function substituteDefinition(text: string, substitutions: Record<string, string | number>): string {
  const numeric = text.replace(/"\$\{(\w+)\}"/g, (whole, name: string) => {
    const value = substitutions[name];
    return typeof value === 'number' ? String(value) : whole;
  });
  return numeric.replace(/\$\{(\w+)\}/g, (_whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}}`);
    return String(value);
  });
}

/** The Task states of a definition (nested Map and Parallel states included), by state name, with their Resource. */
export function taskResources(definition: Record<string, unknown>): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (machine: { States?: Record<string, Record<string, unknown>> }) => {
    for (const [name, state] of Object.entries(machine.States ?? {})) {
      if (state.Type === 'Task') {
        if (found.has(name)) throw new Error(`Task state names must be unique: ${name}`);
        found.set(name, state.Resource as string);
      }
      for (const inner of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])])
        if (inner) visit(inner as { States?: Record<string, Record<string, unknown>> });
    }
  };
  visit(definition as { States?: Record<string, Record<string, unknown>> });
  return found;
}

export type LocalTask = (input: Json) => Promise<unknown> | unknown;

interface LocalExecution {
  result: Promise<unknown>;
  /** State transitions of the execution so far: states entered (the unit Standard workflows are billed by). */
  transitions: () => number;
  /** Retries the interpreter made. */
  retries: () => number;
  abort: () => void;
}

export interface LocalStateMachine {
  definition: Record<string, unknown>;
  /**
   * Starts an execution. With a name, StartExecution's rule holds (createExecutionNames): a repeated start of an open
   * execution with the same input answers with that execution; a name taken otherwise throws ExecutionAlreadyExists.
   */
  start: (input: Json, name?: string) => LocalExecution;
  /** The names of this machine's executions, with their statuses. */
  names: ExecutionNames;
}

type StateMachineModule = typeof import('aws-local-stepfunctions');
let loaded: Promise<StateMachineModule> | undefined;

/** Loads aws-local-stepfunctions after the polyfill. */
export function loadInterpreter(): Promise<StateMachineModule> {
  installPromiseWithResolvers();
  loaded ??= import('aws-local-stepfunctions');
  return loaded;
}

/** Definitions (their exact text) this process has validated: the same text is as valid the next time. */
const validated = new Set<string>();

/**
 * The interpreter's machine for a definition, validated (ARNs and paths checked) the first time this process meets
 * its text, and not again: each validation compiles the ASL schemas anew (measured on the eval-run definition: 586,
 * 480, 219 and 124 ms of CPU for four builds in one process; with this, 483, 390, 0 and 0). It helps a process that
 * starts several stacks; a test file in its own fork still validates once. A definition that fails validation is
 * never remembered, so it is refused every time.
 */
export function interpreterMachine<M>(
  StateMachine: new (definition: never, options: { validationOptions: Record<string, boolean> }) => M,
  runnable: Record<string, unknown>,
): M {
  const text = JSON.stringify(runnable);
  const machine = new StateMachine(runnable as never, {
    validationOptions: validated.has(text) ? { noValidate: true } : { checkArn: true, checkPaths: true },
  });
  validated.add(text);
  return machine;
}

/**
 * Builds a local state machine from an ASL file: substitutes the placeholders, maps each Task state's Resource to
 * the function `resources` names for it, and optionally overrides retry intervals (milliseconds) so tests do not
 * sleep the deployed backoff.
 */
export async function createLocalStateMachine(options: {
  file: string;
  substitutions: Record<string, string | number>;
  resources: Record<string, LocalTask>;
  retryIntervalMs?: number;
}): Promise<LocalStateMachine> {
  const { StateMachine } = await loadInterpreter();
  const definition = JSON.parse(substituteDefinition(readDefinition(options.file), options.substitutions)) as Record<
    string,
    unknown
  >;
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  const retryOverrides: Record<string, number> = {};
  for (const [state, resource] of taskResources(definition)) {
    const task = options.resources[resource];
    if (!task) throw new Error(`no local function for ${resource} (state ${state})`);
    handlers[state] = async (input) => ((await task(input)) ?? null) as Json;
    if (options.retryIntervalMs !== undefined) retryOverrides[state] = options.retryIntervalMs;
  }
  // The interpreter's own validator does not know QueryLanguage (JSONPath is its only language anyway).
  const { QueryLanguage: _language, ...runnable } = definition;
  const machine = interpreterMachine(StateMachine, runnable);
  const names = createExecutionNames();
  const open = new Map<string, LocalExecution>();
  const run = (input: Json): LocalExecution => {
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: retryOverrides },
    });
    let transitions = 0;
    let retries = 0;
    void (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') transitions++;
        else if (event.type === 'StateRetried') retries++;
      }
    })().catch(() => undefined);
    return {
      result: execution.result,
      transitions: () => transitions,
      retries: () => retries,
      abort: execution.abort,
    };
  };
  return {
    definition,
    names,
    start(input, name) {
      if (name === undefined) return run(input);
      const running = names.start(name, JSON.stringify(input)) === 'running' ? open.get(name) : undefined;
      if (running) return running;
      const execution = run(input);
      let aborted = false;
      const named = {
        ...execution,
        abort: () => {
          aborted = true;
          execution.abort();
        },
      };
      open.set(name, named);
      execution.result.then(
        () => names.close(name, 'SUCCEEDED'),
        () => names.close(name, aborted ? 'ABORTED' : 'FAILED'),
      );
      void execution.result.finally(() => open.delete(name)).catch(() => undefined);
      return named;
    },
  };
}

/** How long Step Functions keeps a closed execution's name (StartExecution: "unique ... for 90 days"). */
export const EXECUTION_NAME_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/** Refused as StartExecution refuses it: the name is taken (closed, or open with another input). */
export class ExecutionAlreadyExistsError extends Error {
  override name = 'ExecutionAlreadyExists';
}

/** Refused as StartExecution refuses it: the name breaks the naming rules. */
class InvalidExecutionNameError extends Error {
  override name = 'InvalidName';
}

type LocalExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/**
 * The execution names of one local state machine, held to StartExecution's rules (AWS Step Functions API Reference,
 * StartExecution, `name`): 1 to 80 characters without whitespace, brackets, wildcards, control characters or
 * `" # % \ ^ | ~ ` $ & , ; : /`; unique for 90 days; a repeated start of an open execution with the same input
 * answers with that execution, with another input or after it closed fails with ExecutionAlreadyExists. The names
 * live in memory: a restarted local stack starts with none taken.
 */
export interface ExecutionNames {
  /** Claims a name: `started` when it was free, `running` when an open execution has it with the same input. */
  start(name: string, input: string): 'started' | 'running';
  /** Records the end of an execution (its name stays taken for 90 days). */
  close(name: string, status: Exclude<LocalExecutionStatus, 'RUNNING'>): void;
  /** DescribeExecution's status, or undefined when no execution has the name. */
  status(name: string): LocalExecutionStatus | undefined;
}

const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

/** A name StartExecution accepts: 1 to 80 characters, none of them forbidden or a control character. */
function validExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME.test(name)) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
  }
  return true;
}

export function createExecutionNames(now: () => number = Date.now): ExecutionNames {
  const names = new Map<string, { input: string; status: LocalExecutionStatus; closedAt?: number }>();
  return {
    start(name, input) {
      if (!validExecutionName(name)) throw new InvalidExecutionNameError(`Invalid Name: '${name}'`);
      const known = names.get(name);
      if (known && known.closedAt !== undefined && now() - known.closedAt >= EXECUTION_NAME_RETENTION_MS)
        names.delete(name);
      const taken = names.get(name);
      if (taken) {
        if (taken.status === 'RUNNING' && taken.input === input) return 'running';
        throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${name}'`);
      }
      names.set(name, { input, status: 'RUNNING' });
      return 'started';
    },
    close(name, status) {
      const taken = names.get(name);
      if (taken?.status === 'RUNNING') names.set(name, { ...taken, status, closedAt: now() });
    },
    status(name) {
      return names.get(name)?.status;
    },
  };
}
