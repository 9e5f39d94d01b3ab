// The local stand-in for Step Functions' task tokens. aws-local-stepfunctions has no callback pattern: it never
// produces `$$.Task.Token` and cannot be told SendTaskSuccess. This registry issues a token per wait (per attempt,
// as Step Functions does), keeps the wait's pending promise, and completes it when the approval API "sends" the
// token, exactly where the Lambda code calls SendTaskSuccess / SendTaskFailure in AWS.
import { randomBytes } from 'node:crypto';
import type { GateCallbacks, GateFailureError } from '../functions/workflows/gate-runner.js';

/** What SendTaskSuccess / SendTaskFailure answer for a token that is not waiting (finished, timed out, unknown). */
export class TaskDoesNotExistError extends Error {
  override name = 'TaskDoesNotExist';
}

/** The failure a wait ends with: its name is the `error` of SendTaskFailure, which Retry and Catch match. */
class TaskFailedError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface Waiting {
  group: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

export interface TaskTokenRegistry extends GateCallbacks {
  /** Issues a token for one wait of `group` (a gate execution) and the promise its callback settles. */
  issue(group: string): { token: string; result: Promise<unknown> };
  /** Drops one token (its wait ended otherwise: the task failed before waiting). */
  discard(token: string): void;
  /** Ends every wait of `group` still pending (its execution finished or was stopped), so no timer outlives it. */
  discardGroup(group: string): void;
  /** Tokens waiting for a callback. */
  waiting(): number;
}

export function createTaskTokenRegistry(): TaskTokenRegistry {
  const waits = new Map<string, Waiting>();
  const take = (token: string) => {
    const wait = waits.get(token);
    if (!wait) throw new TaskDoesNotExistError('the task token is not waiting (finished, timed out or unknown)');
    waits.delete(token);
    return wait;
  };
  return {
    issue(group) {
      const token = `local-${randomBytes(24).toString('base64url')}`;
      const result = new Promise<unknown>((resolve, reject) => waits.set(token, { group, resolve, reject }));
      // A wait that is discarded without anyone listening must not become an unhandled rejection.
      result.catch(() => undefined);
      return { token, result };
    },
    discard(token) {
      waits.delete(token);
    },
    discardGroup(group) {
      for (const [token, wait] of waits) {
        if (wait.group !== group) continue;
        waits.delete(token);
        wait.reject(new TaskDoesNotExistError('the gate execution ended'));
      }
    },
    waiting: () => waits.size,
    async succeed(token, output) {
      take(token).resolve(output);
    },
    async fail(token, error: GateFailureError, cause) {
      take(token).reject(new TaskFailedError(error, cause));
    },
  };
}
