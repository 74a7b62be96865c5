import { useEffect, useState, type FormEvent } from 'react';
import type { PortalConfig } from '../config';
import { finishOidcSignIn, signOutEverywhere, startOidcSignIn } from '../oidc';
import { navigate } from '../router';
import { signIn, useSession } from '../session';
import { Page } from '../ui';

/**
 * Sign-in: the configured OpenID Connect provider, and in development a form that has the
 * portal's server mint a development token for any subject (never offered in production).
 */
export function SignIn({ config }: { config: PortalConfig }) {
  const session = useSession();
  const [subject, setSubject] = useState('');
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function devSignIn(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/dev-token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subject: subject.trim(), roles: admin ? ['portal_admin'] : [] }),
      });
      const body = (await response.json()) as { token?: string; error?: string };
      if (!response.ok || !body.token) throw new Error(body.error ?? `The server answered ${response.status}.`);
      signIn(body.token);
      navigate(admin ? '/admin/approvals' : '/apps');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Sign in">
      {session ? (
        <p>
          Signed in as <strong>{session.subject}</strong>.{' '}
          <button type="button" className="secondary" onClick={() => void signOutEverywhere(config)}>
            Sign out
          </button>
        </p>
      ) : null}
      {config.oidc ? (
        <p>
          <button type="button" onClick={() => startOidcSignIn(config.oidc!).catch((e: Error) => setError(e.message))}>
            Sign in with {new URL(config.oidc.issuer).host}
          </button>
        </p>
      ) : null}
      {config.devSignIn ? (
        <form onSubmit={devSignIn} className="form" aria-describedby="dev-note">
          <h2>Development sign-in</h2>
          <p id="dev-note" className="muted">
            Development only: the portal&apos;s server signs a token for the subject you choose (as <code>npm run token</code> does).
          </p>
          <label htmlFor="subject">Subject</label>
          <input
            id="subject"
            name="subject"
            required
            maxLength={64}
            pattern="[A-Za-z0-9._@\-]+"
            autoComplete="username"
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
          />
          <label className="check">
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> Portal admin
          </label>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      ) : null}
      {!config.oidc && !config.devSignIn ? <p>No sign-in method is configured.</p> : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
    </Page>
  );
}

export function OidcCallback({ config }: { config: PortalConfig }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!config.oidc) return setError('OpenID Connect is not configured.');
    let current = true;
    finishOidcSignIn(config.oidc, location.href)
      .then((token) => {
        if (!current) return;
        signIn(token);
        // The code and state leave the address bar (and the history) with the callback page.
        navigate('/apps', { replace: true });
      })
      .catch((e: Error) => current && setError(e.message));
    return () => {
      current = false;
    };
    // Runs for the URL the page was opened with (finishOidcSignIn answers once per URL).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <Page title="Signing in">
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : (
        <p role="status">Signing in…</p>
      )}
    </Page>
  );
}
