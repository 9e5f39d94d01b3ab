import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { Principal } from '../../functions/domain/types';
import { getToken, setToken, setUnauthorizedHandler } from './api';
import { principalFromToken } from './auth';

interface SessionValue {
  token: string | null;
  principal: Principal | null;
  signIn: (token: string) => void;
  signOut: () => void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(() => {
    const stored = getToken();
    const principal = stored ? principalFromToken(stored) : null;
    if (stored && (principal === null || (principal.expiresAt !== null && principal.expiresAt < Date.now()))) {
      setToken(null);
      return null;
    }
    return stored;
  });
  const signIn = useCallback((next: string) => {
    setToken(next);
    setTokenState(next);
  }, []);
  const signOut = useCallback(() => {
    setToken(null);
    setTokenState(null);
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(signOut);
    return () => setUnauthorizedHandler(undefined);
  }, [signOut]);
  const value = useMemo(
    () => ({ token, principal: token ? principalFromToken(token) : null, signIn, signOut }),
    [token, signIn, signOut],
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
