// One middy middleware for what every Lambda entry needs from observability: the logger gets the invocation's
// context (function, request id, cold start) and a correlation id; metrics are flushed once per invocation, also
// when the handler throws; an error that leaves the handler is logged as JSON before Lambda reports it.
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

export interface ObserveOptions {
  logger: Logger;
  metrics: Metrics;
  /** The correlation id of an event (correlation.ts); the invocation's request id when it has none. */
  correlationId: (event: unknown) => string | undefined;
  /**
   * Log an error that leaves the handler (default true). The HTTP stack maps errors to problem documents itself and
   * passes false.
   */
  logErrors?: boolean;
}

/** The middleware: `middy(handler).use(observe({ logger, metrics, correlationId: httpCorrelationId }))`. */
export function observe(options: ObserveOptions): MiddlewareObj {
  const { logger, metrics } = options;
  const flush = () => {
    // Only when something was measured: Powertools warns on an empty flush, which would be noise on every request.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: (request) => {
      const context = request.context as Partial<Context> | undefined;
      if (context?.awsRequestId) logger.addContext(context as Context);
      logger.setCorrelationId(options.correlationId(request.event) ?? context?.awsRequestId ?? randomUUID());
    },
    after: () => {
      flush();
      logger.resetKeys();
    },
    onError: (request) => {
      if (options.logErrors ?? true) logger.error('invocation failed', request.error as Error);
      flush();
      logger.resetKeys();
    },
  };
}

/** The arguments of an observed entry: the context is optional, and so is an event that may be undefined. */
type EntryArguments<E> = undefined extends E ? [event?: E, context?: Context] : [event: E, context?: Context];

/**
 * A handler wrapped in middy with `observe`. The local stack and tests call the entry as they did before (Lambda
 * always passes a context; a scheduled entry's event may be left out).
 */
export function observed<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  options: ObserveOptions,
): (...args: EntryArguments<E>) => Promise<R> {
  const wrapped = middy(handler).use(observe(options));
  return (...[event, context]: EntryArguments<E>) => wrapped(event as E, context ?? ({} as Context));
}
