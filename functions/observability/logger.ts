// The structured logger of every Lambda and of the local stack: Powertools Logger, one JSON object per line with
// level, message, service, timestamp, cold start and the function's context, plus `correlation_id` (middleware.ts).
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger } from '@aws-lambda-powertools/logger';

/** What a component that reports in sentences needs: a sink for one line (the ports of archiver, dispatcher ...). */
export type LogLine = (line: string) => void;

export interface LoggerOptions {
  /** The service name when POWERTOOLS_SERVICE_NAME is not set (each function's is set by its CDK construct). */
  service: string;
}

/** A Powertools Logger for one service; POWERTOOLS_SERVICE_NAME (set per function in AWS) takes precedence. */
export function createLogger(options: LoggerOptions): Logger {
  // Lines go to stdout (Lambda ships them to the function's log group; locally, the terminal).
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || options.service });
}

/** A LogLine that writes each sentence as a structured warning (the components' lines report what went wrong). */
export function warnLines(logger: Logger): LogLine {
  return (line) => logger.warn(line);
}

/** A LogLine that writes each sentence as structured information. */
export function infoLines(logger: Logger): LogLine {
  return (line) => logger.info(line);
}
