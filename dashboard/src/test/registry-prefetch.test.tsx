// @vitest-environment happy-dom
import { QueryClient } from '@tanstack/react-query';
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prefetchRegistryFirstPage } from '../pages/registry-query';
import { system } from './fixtures';
import { fakeApi, fakeToken, get, page, renderAt } from './harness';

const OWNER = fakeToken({ sub: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'] });
const EXPIRED = fakeToken({ sub: 'omar.owner', roles: ['model_owner'], exp: Math.floor(Date.now() / 1000) - 60 });

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('registry first-page prefetch', () => {
  it('asks for the first page before render, and the registry page uses that request instead of its own', async () => {
    const api = fakeApi(
      get('/api/systems', page([system()])),
      get('/api/metrics/registry', { systems: [], reportingDeadlines: [] }),
    );
    sessionStorage.setItem('gov.token', OWNER);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    expect(prefetchRegistryFirstPage(client, { pathname: '/', search: '' })).toBe(true);
    expect(api.calls.map((c) => c.path)).toEqual(['/api/systems?limit=50']);

    renderAt('/', OWNER, client);
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(api.calls.filter((c) => c.path.startsWith('/api/systems'))).toHaveLength(1);
  });

  it('asks for nothing elsewhere, with filters in the address, without a token or with an expired one', () => {
    const api = fakeApi(get('/api/systems', page([])));
    const client = new QueryClient();
    sessionStorage.setItem('gov.token', OWNER);
    expect(prefetchRegistryFirstPage(client, { pathname: '/incidents', search: '' })).toBe(false);
    expect(prefetchRegistryFirstPage(client, { pathname: '/', search: '?tier=high' })).toBe(false);
    sessionStorage.setItem('gov.token', EXPIRED);
    expect(prefetchRegistryFirstPage(client, { pathname: '/', search: '' })).toBe(false);
    sessionStorage.clear();
    expect(prefetchRegistryFirstPage(client, { pathname: '/', search: '' })).toBe(false);
    expect(api.calls).toEqual([]);
  });
});
