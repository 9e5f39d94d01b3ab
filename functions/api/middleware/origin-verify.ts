// The API answers only requests that came through the deployment's CloudFront distribution (WAF, security headers,
// one domain): CloudFront adds a secret header to every request it sends to the API origin, and this middleware
// refuses any request without it, public routes and unknown paths included, before anything else runs. It is not a
// check in the request authoriser: API Gateway caches the authoriser's Allow for five minutes keyed on
// Authorization alone, so a direct call reusing a token would skip it; and the public routes have no authoriser.
import { createHash, timingSafeEqual } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ForbiddenError } from '../../domain/errors.js';
import type { Env } from '../../store/config.js';
import { cachedSecretValue, type SecretSource } from '../../store/secret-value.js';

/** The header CloudFront sends to the API origin (lib/constructs/dashboard-hosting.ts); API Gateway lower-cases it. */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

export interface OriginOptions {
  /** The secret CloudFront sends in ORIGIN_VERIFY_HEADER; absent, no request is checked. */
  originSecret?: SecretSource | undefined;
}

/**
 * The origin check of a Lambda entry: the secret the Secrets Manager secret ORIGIN_VERIFY_SECRET_ARN names, read at
 * run time and cached for a bounded time (never from the environment). Without that setting, none: the local stack
 * and the tests have no CloudFront, so the check is off there unless a composition root passes a secret.
 */
export function originOptionsFromEnv(env: Env = process.env): OriginOptions {
  const arn = env.ORIGIN_VERIFY_SECRET_ARN?.trim();
  return arn ? { originSecret: cachedSecretValue(arn) } : {};
}

/** Whether the presented value is the secret, compared in constant time (digests of equal length, whatever given). */
export function isOriginSecret(presented: string | undefined, secret: string): boolean {
  if (presented === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(secret)) && secret !== '';
}

/**
 * Refuses (403 ORIGIN_NOT_VERIFIED) a request whose origin-verification header is missing or wrong, when a secret
 * is configured; the header is removed from the event once checked, so no later step can log or store it.
 */
export function verifyOrigin(secret: SecretSource | undefined): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: 'verify-origin',
    before: async (request) => {
      if (!secret) return;
      const headers = request.event.headers ?? {};
      const presented = headers[ORIGIN_VERIFY_HEADER];
      delete headers[ORIGIN_VERIFY_HEADER];
      if (!isOriginSecret(presented, await secret())) {
        throw new ForbiddenError('the API is served only through its CloudFront URL: call it there', {
          code: 'ORIGIN_NOT_VERIFIED',
        });
      }
    },
  };
}
