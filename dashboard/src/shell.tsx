import { Suspense } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigation } from 'react-router';
import { useSession } from './session';

const NAV = [
  ['/', 'Systems'],
  ['/approvals', 'Approvals'],
  ['/policy', 'Policy'],
  ['/incidents', 'Incidents'],
  ['/evaluations', 'Evaluations'],
  ['/audit', 'Audit'],
  ['/metrics', 'Metrics'],
] as const;

export function Shell() {
  const { principal, signOut } = useSession();
  const location = useLocation();
  const navigation = useNavigation();
  if (principal === null)
    return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Governance</span>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === '/'}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="who">
          <span title={principal.userId}>{principal.name}</span>
          <span className="muted"> · {principal.roles.join(', ') || 'no role'}</span>
          <button type="button" className="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="progress" aria-hidden="true" data-active={navigation.state !== 'idle'} />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<div className="loading">Loading …</div>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
