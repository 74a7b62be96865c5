import { ErrorResponse, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { PortalConfig } from './config';
import { signOut } from './session';

/**
 * OpenID Connect sign-in for a public browser client, by oidc-client-ts: authorization code with
 * PKCE (S256) and a `state` check, against the issuer's discovery document; sign-out ends the
 * session at the provider too (RP-initiated logout) when it offers that. Everything it keeps
 * (the pending sign-in, the provider's answer) lives in the tab's sessionStorage, as the portal's
 * session does. No silent renewal (it would need the provider in a frame) and no user info call:
 * the portal needs only the token it sends to the gateway — the access token when it is a JWT
 * (what the gateway verifies against `JWT_JWKS_URL`), else the ID token.
 */
type OidcSettings = NonNullable<PortalConfig['oidc']>;

let managed: { key: string; manager: UserManager } | null = null;

function userManager(settings: OidcSettings): UserManager {
  const key = `${settings.issuer} ${settings.clientId}`;
  if (managed?.key !== key) {
    // Two stores, so that cleaning up abandoned sign-ins never touches the provider's answer.
    const store = (prefix: string) => new WebStorageStateStore({ store: window.sessionStorage, prefix });
    managed = {
      key,
      manager: new UserManager({
        authority: settings.issuer,
        client_id: settings.clientId,
        redirect_uri: `${location.origin}/oidc-callback`,
        post_logout_redirect_uri: `${location.origin}/`,
        response_type: 'code',
        scope: 'openid profile email',
        stateStore: store('plangraph.oidc.pending.'),
        userStore: store('plangraph.oidc.user.'),
        loadUserInfo: false,
        automaticSilentRenew: false,
        monitorSession: false,
      }),
    };
  }
  return managed.manager;
}

/** Leaves for the provider's sign-in page; it comes back to `/oidc-callback`. */
export async function startOidcSignIn(settings: OidcSettings): Promise<void> {
  try {
    await userManager(settings).signinRedirect();
  } catch (error) {
    throw new Error(`The identity provider could not be reached: ${(error as Error).message}`, { cause: error });
  }
}

const isJwt = (token: string | undefined): token is string => Boolean(token && token.split('.').length === 3);

/** The token the portal sends to the gateway: the access token when it is a JWT, else the ID token. */
export function gatewayToken(user: Pick<User, 'access_token' | 'id_token'>): string {
  if (isJwt(user.access_token)) return user.access_token;
  if (isJwt(user.id_token)) return user.id_token;
  throw new Error('The identity provider sent no token the API can verify (neither a JWT access token nor an ID token).');
}

async function completeSignIn(settings: OidcSettings, url: string): Promise<string> {
  const manager = userManager(settings);
  // A callback this tab did not start (or already completed): oidc-client-ts would refuse it too,
  // this says so in words a person can act on.
  const state = new URL(url).searchParams.get('state');
  if (!state || !(await manager.settings.stateStore.get(state))) {
    throw new Error('This sign-in was not started in this tab, or was already used (unknown state): sign in again.');
  }
  let user: User;
  try {
    user = await manager.signinRedirectCallback(url);
  } catch (error) {
    if (error instanceof ErrorResponse) {
      throw new Error(`The identity provider refused the sign-in: ${error.error_description ?? error.error ?? 'no reason given'}.`, {
        cause: error,
      });
    }
    throw new Error(`The sign-in could not be completed: ${(error as Error).message}`, { cause: error });
  }
  return gatewayToken(user);
}

let finishing: { url: string; token: Promise<string> } | null = null;

/**
 * Completes the sign-in on `/oidc-callback` (`url`, the page's own URL): the token to use. Asked
 * twice for the same URL (React's strict mode runs effects twice in development), it answers
 * once: a code is good for one exchange.
 */
export function finishOidcSignIn(settings: OidcSettings, url: string): Promise<string> {
  if (finishing?.url !== url) finishing = { url, token: completeSignIn(settings, url) };
  return finishing.token;
}

/**
 * Signs out of the portal (its session is gone at once) and, after an OpenID Connect sign-in,
 * of the provider too: the browser goes to its end-session endpoint with the ID token as a hint,
 * and comes back to the catalogue. A provider without one only forgets the tokens.
 */
export async function signOutEverywhere(config: PortalConfig): Promise<void> {
  signOut();
  if (!config.oidc) return;
  const manager = userManager(config.oidc);
  if (!(await manager.getUser())) return;
  try {
    await manager.signoutRedirect();
  } catch {
    await manager.removeUser();
  }
}
