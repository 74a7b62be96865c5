import type { PortalConfig } from './config';

/**
 * OpenID Connect sign-in for a public browser client: authorization code with PKCE (S256) and
 * a `state` check, against the issuer's discovery document. The token sent to the gateway is the
 * access token when it is a JWT (what the gateway verifies against `JWT_JWKS_URL`), else the ID
 * token.
 */
const PENDING = 'plangraph.oidc';

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = (size = 32) => base64url(crypto.getRandomValues(new Uint8Array(size)));

async function discovery(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`The identity provider's discovery document answered ${response.status}.`);
  return (await response.json()) as { authorization_endpoint: string; token_endpoint: string };
}

const redirectUri = () => `${location.origin}/oidc-callback`;

export async function startOidcSignIn(config: NonNullable<PortalConfig['oidc']>): Promise<void> {
  const { authorization_endpoint } = await discovery(config.issuer);
  const verifier = random(48);
  const state = random(16);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid profile email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  }).toString();
  location.assign(url.toString());
}

/** Completes the sign-in on `/oidc-callback`: the token to use. */
export async function finishOidcSignIn(config: NonNullable<PortalConfig['oidc']>, query: URLSearchParams): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PENDING);
  if (query.get('error')) throw new Error(`The identity provider refused: ${query.get('error_description') ?? query.get('error')}`);
  if (!pending || query.get('state') !== pending.state) throw new Error('This sign-in was not started here (state mismatch): start again.');
  const code = query.get('code');
  if (!code) throw new Error('The identity provider sent no code.');
  const { token_endpoint } = await discovery(config.issuer);
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri(),
      client_id: config.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json()) as { access_token?: string; id_token?: string; error?: string };
  if (!response.ok) throw new Error(`The token exchange failed: ${body.error ?? response.status}`);
  const jwt = (t: string | undefined) => Boolean(t && t.split('.').length === 3);
  const token = jwt(body.access_token) ? body.access_token : body.id_token;
  if (!token) throw new Error('The identity provider sent no usable token.');
  return token;
}
