// The local stand-in for task tokens: one token per wait, completed once by the approval API's callback.
import { describe, expect, it } from 'vitest';
import { createTaskTokenRegistry } from '../../../local/task-tokens.js';

describe('the local task-token registry', () => {
  it('completes a wait with the output of SendTaskSuccess, once', async () => {
    const registry = createTaskTokenRegistry();
    const { token, result } = registry.issue('rc/round');

    await registry.succeed(token, { status: 'approved' });

    await expect(result).resolves.toEqual({ status: 'approved' });
    expect(registry.waiting()).toBe(0);
    await expect(registry.succeed(token, {})).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('fails a wait with the error name of SendTaskFailure, which Retry and Catch match', async () => {
    const registry = createTaskTokenRegistry();
    const { token, result } = registry.issue('rc/round');

    await registry.fail(token, 'ApprovalRejected', 'approval apr_1 is rejected');

    await expect(result).rejects.toMatchObject({ name: 'ApprovalRejected', message: 'approval apr_1 is rejected' });
  });

  it('issues a distinct token per wait and ends the waits of a finished execution only', async () => {
    const registry = createTaskTokenRegistry();
    const a = registry.issue('gate-a');
    const b = registry.issue('gate-b');
    expect(a.token).not.toBe(b.token);

    registry.discardGroup('gate-a');

    await expect(a.result).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    expect(registry.waiting()).toBe(1);
    await registry.succeed(b.token, { ok: true });
    await expect(b.result).resolves.toEqual({ ok: true });
  });
});
