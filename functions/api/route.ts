// What a route is: its method, path, schemas, answer and a handler of bare business logic with typed inputs. Types
// only (and the `route` helper), so that the middlewares and the composition roots can name a route without
// importing the stack that runs them (functions/api/http.ts).
import type { z } from 'zod';
import type { Principal } from '../domain/types.js';
import type { Deps } from './deps.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The names of the `{name}` segments of a path template. */
type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;

/** The path parameters of a path template: `/api/systems/{id}` gives `{ id: string }`. */
export type PathParams<P extends string> = { [K in ParamNames<P>]: string };

export interface Request<B = unknown, Q = unknown, P = Record<string, string>> {
  principal: Principal;
  /** Decoded and checked by the route's params schema (an `{id}` of the resource's prefix by default). */
  params: P;
  query: Q;
  body: B;
  headers: Record<string, string>;
  requestId: string;
  deps: Deps;
}

export interface Reply {
  status: number;
  /** A JSON body; or, for a binary route (a PDF, say), a Buffer sent as is with the reply's content-type header. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * What a route answers when it succeeds: the status and the body's schema (`null` when there is no body), or a
 * non-JSON media type (`application/pdf`) for a binary body. OpenAPI is generated from these and the request
 * schemas (functions/api/openapi.ts); a test fails when a route declares none.
 */
export interface ResponseSpec {
  status: number;
  description?: string;
  /** The JSON body's schema; `null` for no body; absent when `contentType` is not JSON. */
  body?: z.ZodType | null;
  /** Defaults to application/json. */
  contentType?: string;
  /** Further success statuses with the same body (202 beside 200, say). */
  alsoStatuses?: number[];
  /** Further success statuses with a body of their own (a 202 relaxation request beside the 200 of a change). */
  alternatives?: { status: number; description: string; body: z.ZodType }[];
}

/** A request of a route with one `{id}` path parameter. */
export type IdRequest = Request<unknown, unknown, { id: string }>;

export interface Route<B = unknown, Q = unknown, Path extends string = string> {
  method: Method;
  path: Path;
  summary: string;
  /** Health checks are the only routes without authentication. */
  public?: boolean;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** The path parameters' schema; by default the one the path implies (middleware/path-params.ts). */
  params?: z.ZodType<Record<string, string>>;
  maxBodyBytes?: number;
  response?: ResponseSpec;
  handle: (req: Request<B, Q, PathParams<Path>>) => Promise<Reply>;
}

/** Declares a route with its body, query and path parameter types inferred from the schemas and the path. */
export function route<B = undefined, Q = Record<string, never>, Path extends string = string>(
  r: Route<B, Q, Path>,
): Route {
  return r as unknown as Route;
}
