// Error mapping as a middleware, the one place where a thrown value becomes the HTTP answer: GovernanceErrors and
// contract violations are described (problem+json, functions/api/problem.ts); anything else is a generic 500 whose
// message and stack go to the log only. DynamoDB's refusal of an item it cannot store (over 400 KB, nested deeper than
// 32 levels) is the client's problem, not the server's: a 413 or 400 naming the body's field that made it so.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PayloadTooLargeError, ValidationError } from '../../domain/errors.js';
import { apiObservability } from '../observability.js';
import { problemResponse, toProblem } from '../problem.js';
import { MethodNotAllowedError } from './router.js';

/** Logs a failure the client is not told about: one JSON line with its message and stack (Powertools Logger). */
export function logUnexpected(error: unknown, requestId: string | undefined): void {
  apiObservability.logger.error('unexpected error', {
    requestId,
    error: error instanceof Error ? error : new Error(String(error)),
  });
}

const ITEM_TOO_LARGE = /item size (to update )?has exceeded the maximum allowed size/i;
const NESTED_TOO_DEEP = /nesting levels have exceeded supported limits/i;

/** The messages of a DynamoDB error: its own, and those of a cancelled transaction's reasons. */
function dynamoMessages(error: unknown): string[] {
  if (!(error instanceof Error)) return [];
  const reasons = (error as { CancellationReasons?: { Code?: string; Message?: string }[] }).CancellationReasons ?? [];
  return [error.message, ...reasons.filter((r) => r.Code === 'ValidationError').map((r) => r.Message ?? '')];
}

/** The top-level field of a JSON body with the longest serialised value: what most likely made the item too large. */
function largestField(body: string | undefined): { field: string; bytes: number } | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    let largest: { field: string; bytes: number } | undefined;
    for (const [field, value] of Object.entries(parsed)) {
      const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
      if (!largest || bytes > largest.bytes) largest = { field, bytes };
    }
    return largest;
  } catch {
    return undefined;
  }
}

/**
 * DynamoDB's ValidationException for an item it cannot store (AWS DynamoDB Developer Guide, "Quotas": 400 KB per
 * item, 32 levels of nested attributes), directly or as a cancelled transaction's reason, as the client's error
 * naming the body's largest field; undefined for anything else.
 */
function storageLimitError(error: unknown, body: string | undefined): Error | undefined {
  const messages = dynamoMessages(error);
  const name = (error as Error | undefined)?.name;
  if (name !== 'ValidationException' && name !== 'TransactionCanceledException') return undefined;
  const field = largestField(body);
  const errors = field ? [{ path: field.field, message: `${field.bytes} bytes: too large to store` }] : [];
  if (messages.some((m) => ITEM_TOO_LARGE.test(m)))
    return new PayloadTooLargeError(
      `the record would exceed the 400 KB a stored item may hold${field ? `; shorten ${field.field}` : ''}`,
      { errors },
    );
  if (messages.some((m) => NESTED_TOO_DEEP.test(m)))
    return new ValidationError('the record nests deeper than 32 levels', {
      errors: field ? [{ path: field.field, message: 'nested too deep to store' }] : [],
    });
  return undefined;
}

/** The answer to a thrown value: its problem document, with the headers its status needs. */
function errorResponse(error: unknown, instance: string | undefined): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = error instanceof MethodNotAllowedError ? { allow: error.allow } : {};
  return problemResponse(toProblem(error, instance), headers);
}

export function problemErrors(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    name: 'problem-errors',
    onError: (request) => {
      if (request.response?.statusCode !== undefined) return;
      const body = request.event?.isBase64Encoded
        ? Buffer.from(request.event.body ?? '', 'base64').toString('utf8')
        : request.event?.body;
      const error = storageLimitError(request.error, body) ?? request.error;
      const response = errorResponse(error, request.event?.rawPath);
      if (response.statusCode === 500) {
        logUnexpected(request.error, request.context?.awsRequestId ?? request.event?.requestContext?.requestId);
      }
      request.response = response;
    },
  };
}
