import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { Principal } from '../../functions/domain/types';
import { getRefreshToken, getToken, setRefreshToken, setSessionHooks, setToken } from './api';
import { principalFromToken } from './auth';
import { loadConfig, tokenEndpointOf } from './pkce';
import { REFRESH_RETRY_MS, RefreshFailed, refreshDelay, refreshTokens } from './refresh';

interface SessionValue {
  token: string | null;
  principal: Principal | null;
  /** Signs in with an ID token and, when the sign-in gave one, the refresh token that keeps the session alive. */
  signIn: (token: string, refreshToken?: string | null) => void;
  signOut: () => void;
  /** Why the last session ended without the user signing out: the sign-in page says so. */
  notice: string | null;
}

/** What the sign-in page says after a session could not be kept alive. */
export const SESSION_ENDED = 'Your session has ended and could not be renewed: sign in again to go on.';

/** The longest timer a browser keeps (2^31 - 1 ms); a later refresh is scheduled again when this one fires. */
const MAX_TIMER_MS = 2_147_483_647;

type RefreshOutcome = 'refreshed' | 'refused' | 'unreachable' | 'no_refresh_token';

const SessionContext = createContext<SessionValue | null>(null);

function isExpired(token: string): boolean {
  const principal = principalFromToken(token);
  return principal === null || (principal.expiresAt !== null && principal.expiresAt < Date.now());
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(() => {
    const stored = getToken();
    // An expired token with a refresh token beside it is renewed as soon as the provider mounts.
    if (stored && isExpired(stored) && getRefreshToken() === null) {
      setToken(null);
      return null;
    }
    return stored;
  });
  const [notice, setNotice] = useState<string | null>(null);
  const signIn = useCallback((next: string, refreshToken?: string | null) => {
    setToken(next);
    if (refreshToken !== undefined) setRefreshToken(refreshToken);
    setTokenState(next);
    setNotice(null);
  }, []);
  const signOut = useCallback(() => {
    setToken(null);
    setRefreshToken(null);
    setTokenState(null);
  }, []);
  const end = useCallback(() => {
    signOut();
    setNotice(SESSION_ENDED);
  }, [signOut]);

  // One refresh at a time: the requests refused together and the timer share it.
  const inFlight = useRef<Promise<RefreshOutcome> | null>(null);
  const refresh = useCallback((): Promise<RefreshOutcome> => {
    inFlight.current ??= (async (): Promise<RefreshOutcome> => {
      const refreshToken = getRefreshToken();
      if (refreshToken === null) return 'no_refresh_token';
      try {
        const endpoint = tokenEndpointOf(await loadConfig());
        if (endpoint === null) return 'no_refresh_token';
        const tokens = await refreshTokens(endpoint, refreshToken);
        setToken(tokens.idToken);
        if (tokens.refreshToken !== null) setRefreshToken(tokens.refreshToken);
        setTokenState(tokens.idToken);
        return 'refreshed';
      } catch (error) {
        if (error instanceof RefreshFailed && error.kind === 'refused') {
          end();
          return 'refused';
        }
        return 'unreachable';
      }
    })().finally(() => {
      inFlight.current = null;
    });
    return inFlight.current;
  }, [end]);

  useEffect(() => {
    setSessionHooks({ refresh: async () => (await refresh()) === 'refreshed', ended: end });
    return () => setSessionHooks(undefined);
  }, [refresh, end]);

  // Ahead of the token's expiry, a refresh, tried again while the token endpoint cannot be reached (a 401 ends the
  // session once the token has expired); without a refresh token, the session ends when its token does.
  useEffect(() => {
    if (token === null) return;
    const claims = principalFromToken(token);
    if (claims?.expiresAt == null) return;
    const times = { issuedAt: claims.issuedAt, expiresAt: claims.expiresAt };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const at = (delay: number, run: () => void) => {
      timer = setTimeout(run, Math.min(delay, MAX_TIMER_MS));
    };
    const run = async () => {
      const due = refreshDelay(times, Date.now());
      if (due > 0) return at(due, run);
      const outcome = await refresh();
      if (outcome === 'unreachable') at(REFRESH_RETRY_MS, run);
      else if (outcome === 'no_refresh_token') at(Math.max(0, times.expiresAt - Date.now()), end);
    };
    at(refreshDelay(times, Date.now()), run);
    return () => clearTimeout(timer);
  }, [token, refresh, end]);

  const value = useMemo(
    () => ({ token, principal: token ? principalFromToken(token) : null, signIn, signOut, notice }),
    [token, signIn, signOut, notice],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in principal; pages under the shell only render when there is one. */
export function usePrincipal(): Principal {
  const { principal } = useSession();
  if (principal === null) throw new Error('no principal');
  return principal;
}
