import { useEffect, useMemo, useRef } from 'react';
import { Provider } from 'urql';
import { createGraphqlClient } from './client';
import type { PortalConfig } from './config';
import { Link, match, useLocation } from './router';
import { signOutEverywhere } from './oidc';
import { isPortalAdmin, useSession } from './session';
import { Page } from './ui';
import { AppDetail } from './pages/AppDetail';
import { Apps } from './pages/Apps';
import { Catalogue } from './pages/Catalogue';
import { CredentialPage } from './pages/CredentialPage';
import { Entitlements } from './pages/Entitlements';
import { Organizations } from './pages/Organizations';
import { PlanComparison } from './pages/PlanComparison';
import { RequestAccess } from './pages/RequestAccess';
import { OidcCallback, SignIn } from './pages/SignIn';
import { Approvals } from './pages/admin/Approvals';
import { PlanEditor } from './pages/admin/PlanEditor';
import { Plans } from './pages/admin/Plans';
import { SyncBoard } from './pages/admin/SyncBoard';

function Routes({ config }: { config: PortalConfig }) {
  const { path, query } = useLocation();
  const session = useSession();
  let params: Record<string, string> | null;
  if (path === '/') return <Catalogue />;
  if ((params = match('/products/:slug', path))) return <PlanComparison slug={params.slug!} />;
  if (path === '/sign-in') return <SignIn config={config} />;
  if (path === '/oidc-callback') return <OidcCallback config={config} />;
  if (!session)
    return (
      <Page title="Sign in to continue">
        <p>
          This page needs you to be signed in: <Link to="/sign-in">sign in</Link>.
        </p>
      </Page>
    );
  if (path === '/organizations') return <Organizations />;
  if (path === '/apps') return <Apps />;
  if ((params = match('/apps/:id', path))) return <AppDetail id={params.id!} />;
  if (path === '/request') return <RequestAccess planId={query.get('plan') ?? ''} productId={query.get('product') ?? ''} />;
  if (path === '/entitlements') return <Entitlements />;
  if ((params = match('/credentials/:id', path))) return <CredentialPage id={params.id!} />;
  if (path === '/admin/approvals') return <Approvals />;
  if (path === '/admin/plans') return <Plans />;
  if ((params = match('/admin/plans/:id', path))) return <PlanEditor id={params.id!} />;
  if (path === '/admin/sync') return <SyncBoard />;
  return (
    <Page title="Not found">
      <p>
        No such page. <Link to="/">Back to the catalogue</Link>
      </p>
    </Page>
  );
}

export function App({ config }: { config: PortalConfig }) {
  const session = useSession();
  const token = session?.token ?? null;
  const graphql = useMemo(() => createGraphqlClient(config, token), [config, token]);
  const current = useRef(graphql);
  current.current = graphql;
  useEffect(
    () => () => {
      // Closes the WebSocket of a client that was replaced (a new sign-in), not of one that is only
      // re-mounted (React's strict mode runs effects twice in development).
      queueMicrotask(() => {
        if (current.current !== graphql) graphql.dispose();
      });
    },
    [graphql],
  );
  const { path } = useLocation();
  useEffect(() => {
    // Moves focus to the new page's heading, so screen readers announce the navigation.
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [path]);
  return (
    <Provider value={graphql.client}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Plangraph portal
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link to="/">Catalogue</Link>
            </li>
            {session ? (
              <>
                <li>
                  <Link to="/apps">Apps</Link>
                </li>
                <li>
                  <Link to="/entitlements">Entitlements</Link>
                </li>
                <li>
                  <Link to="/organizations">Organizations</Link>
                </li>
              </>
            ) : null}
            {isPortalAdmin(session) ? (
              <>
                <li>
                  <Link to="/admin/approvals">Approvals</Link>
                </li>
                <li>
                  <Link to="/admin/plans">Plans</Link>
                </li>
                <li>
                  <Link to="/admin/sync">Sync</Link>
                </li>
              </>
            ) : null}
          </ul>
        </nav>
        <div className="who">
          {session ? (
            <>
              <span>{session.subject}</span>{' '}
              <button type="button" className="link" onClick={() => void signOutEverywhere(config)}>
                Sign out
              </button>
            </>
          ) : (
            <Link to="/sign-in">Sign in</Link>
          )}
        </div>
      </header>
      <main id="main">
        <Routes config={config} />
      </main>
      <footer className="foot">
        <p>Built on the public Plangraph GraphQL API only.</p>
      </footer>
    </Provider>
  );
}
