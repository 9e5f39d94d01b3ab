// Correlation ids: the one id that ties every log line of one piece of work together, read from what each kind of
// Lambda receives. Pure: the event in, an id (or undefined) out; the middleware falls back to the invocation's
// request id, so every line carries one.

/** The event shapes the extractors read; each is a small part of the AWS event it stands for. */
interface HttpEvent {
  requestContext?: { requestId?: unknown };
}
interface WorkflowTaskEvent {
  executionName?: unknown;
  runId?: unknown;
  candidateId?: unknown;
  roundId?: unknown;
}
interface RecordsEvent {
  Records?: { eventID?: unknown; messageId?: unknown }[];
}
interface EventBridgeEvent {
  id?: unknown;
  detail?: { name?: unknown };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/** The API Gateway request id of an HTTP API (payload 2.0) request: the id a client's problem document names. */
export function httpCorrelationId(event: unknown): string | undefined {
  return text((event as HttpEvent | undefined)?.requestContext?.requestId);
}

/**
 * The Step Functions execution name of a task: tasks are not handed `$$.Execution.Name`, but the executions are named
 * after what the tasks receive (an eval run after its run id, functions/workflows/sfn-eval-runner.ts; a release gate
 * after its candidate and round, functions/workflows/gate-sfn.ts), so the same id is read from the payload.
 */
export function workflowCorrelationId(event: unknown): string | undefined {
  const task = event as WorkflowTaskEvent | undefined;
  const named = text(task?.executionName) ?? text(task?.runId);
  if (named) return named;
  const candidateId = text(task?.candidateId);
  const roundId = text(task?.roundId);
  return candidateId && roundId ? `${candidateId}-${roundId}` : candidateId;
}

/** The first record's id of a DynamoDB stream batch (eventID) or an SQS batch (messageId). */
export function recordsCorrelationId(event: unknown): string | undefined {
  const first = (event as RecordsEvent | undefined)?.Records?.[0];
  return text(first?.eventID) ?? text(first?.messageId);
}

/**
 * An EventBridge event's id (schedules, rules); for a Step Functions status change, the execution's name, the same
 * id its tasks logged under.
 */
export function eventBridgeCorrelationId(event: unknown): string | undefined {
  const e = event as EventBridgeEvent | undefined;
  return text(e?.detail?.name) ?? text(e?.id);
}
