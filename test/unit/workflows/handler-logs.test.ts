import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as executionClosed } from '../../../functions/workflows/execution-closed.js';
import { type Captured, captureOutput } from '../observability/output-capture.js';

let captured: Captured | undefined;
afterEach(() => {
  captured?.restore();
  vi.unstubAllEnvs();
});

describe('the log lines of a workflow Lambda', () => {
  it('are JSON carrying the Step Functions execution name as correlation id and the function’s service', async () => {
    const statusChange = {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      id: 'eb-event-1',
      detail: { name: 'run_01J9Z3Q8X4K7M2N5P6R7S8T9V0', status: 'SUCCEEDED' },
    };
    vi.stubEnv('TABLE_NAME', 'governance-test');
    captured = captureOutput();

    const result = await executionClosed(statusChange, { awsRequestId: 'lambda-1' } as Context);

    captured.restore();
    expect(result.action).toBe('ignored');
    const line = captured.lines.find((l) => l.message === 'eval run execution ended');
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'eval-close-run',
      correlation_id: 'run_01J9Z3Q8X4K7M2N5P6R7S8T9V0',
      status: 'SUCCEEDED',
      action: 'ignored',
    });
  });
});
