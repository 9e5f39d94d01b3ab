// The registry's first page, asked for before React renders: main.tsx starts it as soon as the bundle runs, and the
// registry page's query (same key, same function) picks up the request already in flight instead of sending its own.
import type { QueryClient } from '@tanstack/react-query';
import type { AiSystem } from '../../../functions/domain/types';
import { api, getToken, type Page } from '../api';
import { principalFromToken } from '../auth';

/** Systems per page: the table renders at most this many rows. */
const REGISTRY_PAGE_SIZE = 50;

export interface RegistryFilters {
  q: string;
  riskTier: string;
  euAiActCategory: string;
  status: string;
}

const NO_FILTERS: RegistryFilters = { q: '', riskTier: '', euAiActCategory: '', status: '' };

/** How long a page answers from the cache (the registry page's staleTime). */
export const REGISTRY_STALE_MS = 30_000;

export const registryPageKey = (filters: RegistryFilters, cursor: string | null) =>
  ['systems', 'page', filters, cursor] as const;

/** A system as the list answers it: with its active releases' names. */
export type RegistrySystem = AiSystem & { activeReleaseNames?: Record<'production' | 'staging', string | null> };

export const fetchRegistryPage = (filters: RegistryFilters, cursor: string | null) =>
  api.get<Page<RegistrySystem>>('/api/systems', { limit: REGISTRY_PAGE_SIZE, cursor: cursor ?? undefined, ...filters });

/**
 * Starts the registry's first unfiltered page when the app opens on it (`/`, no query string) with a usable token
 * (present, readable, not expired: the session would drop any other). Returns whether it asked.
 */
export function prefetchRegistryFirstPage(client: QueryClient, location: { pathname: string; search: string }) {
  if (location.pathname !== '/' || location.search !== '') return false;
  const token = getToken();
  const principal = token ? principalFromToken(token) : null;
  if (principal === null || (principal.expiresAt !== null && principal.expiresAt < Date.now())) return false;
  void client.prefetchQuery({
    queryKey: registryPageKey(NO_FILTERS, null),
    queryFn: () => fetchRegistryPage(NO_FILTERS, null),
    staleTime: REGISTRY_STALE_MS,
  });
  return true;
}
