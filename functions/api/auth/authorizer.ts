// The HTTP API's Lambda request authoriser: every route but health passes through it. It accepts the same tokens
// as the handlers (people from the user pool, pipelines from their CI) with the same verifier, so that API Gateway
// refuses unauthenticated traffic before a handler runs; the handlers verify again and decide per object (ADR 0003).
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { UnauthorizedError } from '../../domain/errors.js';
import { createObservability, httpCorrelationId, observed } from '../../observability/index.js';
import { tokenVerifierFromEnv } from './verify-token.js';

export interface AuthorizerContext {
  userId: string;
  /** Space-separated roles, for access logs. */
  roles: string;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext | Record<string, never>>;

const { logger, metrics } = createObservability('authorizer');

/** Allows a request whose bearer token verifies; denies (403) one whose token does not. */
export const handler = observed(
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    try {
      const principal = await tokenVerifierFromEnv(process.env)(event.headers?.authorization);
      return { isAuthorized: true, context: { userId: principal.userId, roles: principal.roles.join(' ') } };
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error; // API Gateway answers 500: the key set is unreachable
      logger.info('request denied', { route: event.routeKey, ...error.detail });
      return { isAuthorized: false, context: {} };
    }
  },
  // The request id of the request being authorised: the same id the handler's lines carry.
  { logger, metrics, correlationId: httpCorrelationId },
);
