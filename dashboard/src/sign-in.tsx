import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import type { Principal } from '../../functions/domain/types';
import { authorizeUrl, exchangeCode, loadConfig } from './pkce';
import { useSession } from './session';
import { ProblemView } from './ui';

interface LocalIdentity {
  principal: Principal;
  token: string;
  refreshToken?: string;
}

export function SignInPage() {
  const { signIn, notice } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const next = (location.state as { from?: string } | null)?.from ?? '/';
  const config = useQuery({ queryKey: ['config.json'], queryFn: loadConfig, staleTime: Number.POSITIVE_INFINITY });
  const auth = config.data?.auth;
  const identities = useQuery({
    queryKey: ['local-identities'],
    enabled: auth?.kind === 'local',
    queryFn: async () => {
      const response = await fetch(auth?.kind === 'local' ? auth.identitiesUrl : '/local/identities');
      if (!response.ok) throw new Error(`the local identities answered ${response.status}`);
      return (await response.json()) as { identities: LocalIdentity[] };
    },
  });
  return (
    <main className="signin" id="main">
      <h1>Governance control plane</h1>
      <p className="muted">Sign in to review release candidates, approvals, incidents and the audit trail.</p>
      {notice ? (
        <p className="notice" role="alert">
          {notice}
        </p>
      ) : null}
      {config.isPending ? <p aria-busy="true">Loading configuration …</p> : null}
      {config.isError ? <ProblemView error={config.error} /> : null}
      {auth?.kind === 'cognito' ? (
        <button
          type="button"
          className="primary"
          onClick={async () => {
            window.location.assign(await authorizeUrl(auth));
          }}
        >
          Sign in with the organisation's account
        </button>
      ) : null}
      {auth?.kind === 'local' ? (
        <section aria-labelledby="dev-id">
          <h2 id="dev-id">Choose a development identity</h2>
          <p className="hint">
            Local stack only: each token is signed with this machine's development key and verified by the same code as
            in AWS.
          </p>
          {identities.isPending ? <p aria-busy="true">Loading identities …</p> : null}
          {identities.isError ? <ProblemView error={identities.error} /> : null}
          <ul className="identities">
            {identities.data?.identities.map(({ principal, token, refreshToken }) => (
              <li key={principal.userId}>
                <button
                  type="button"
                  onClick={() => {
                    signIn(token, refreshToken ?? null);
                    navigate(next, { replace: true });
                  }}
                >
                  <strong>{principal.name}</strong> <code>{principal.userId}</code>
                  <span className="muted"> {principal.roles.join(', ')}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}

export function AuthCallbackPage() {
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void (async () => {
      try {
        const config = await loadConfig();
        if (config.auth.kind !== 'cognito') throw new Error('this deployment does not use Cognito sign-in');
        const tokens = await exchangeCode(config.auth, window.location.search);
        signIn(tokens.idToken, tokens.refreshToken);
        navigate('/', { replace: true });
      } catch (e) {
        setError(e);
      }
    })();
  }, [signIn, navigate]);
  return (
    <main className="signin" id="main">
      <h1>Signing in …</h1>
      {error ? <ProblemView error={error} /> : null}
    </main>
  );
}
