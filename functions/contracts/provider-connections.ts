// Provider connections (issue 16; docs/architecture/evaluation.md): registered and versioned by admins. A request
// names where the credential is (`secretRef`), never the credential: the reference forms are checked by the domain
// (`connectionProblems`), so a pasted key is refused with a 400 naming `secretRef` and never stored.
import * as z from 'zod';
import { MAX_CONNECTION_CONCURRENCY, PROVIDER_KINDS } from '../domain/types.js';
import { idOf, pageOf, pageQuery, requiredText, text } from './common.js';

const connectionFields = {
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullable()
    .default(null),
  region: z.string().max(40).nullable().default(null),
  secretRef: z.string().max(700).nullable().default(null),
  concurrencyLimit: z.number().int().min(1).max(MAX_CONNECTION_CONCURRENCY).default(8),
  changeSummary: text(2000).default(''),
};

export const registerConnectionRequest = z
  .object({
    name: requiredText(80).regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, dash, underscore'),
    provider: z.enum(PROVIDER_KINDS),
    ...connectionFields,
  })
  .strict();

/** A new version: everything but the name and the provider, which a connection keeps. */
export const connectionVersionRequest = z.object(connectionFields).strict();

export const listConnectionsQuery = pageQuery;

const providerConnectionVersion = z.object({
  id: idOf('pcn'),
  name: z.string(),
  version: z.number().int().min(1),
  provider: z.enum(PROVIDER_KINDS),
  baseUrl: z.string().nullable(),
  region: z.string().nullable(),
  /** Where the credential is; the value is read at run time and never answered. */
  secretRef: z.string().nullable(),
  concurrencyLimit: z.number().int(),
  changeSummary: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});

export const providerConnection = providerConnectionVersion.extend({
  latestVersion: z.number().int().min(1),
  /** Every version, oldest first (GET /api/provider-connections/{id} only). */
  versions: z.array(providerConnectionVersion).optional(),
});

export const providerConnectionPage = pageOf(providerConnection);
