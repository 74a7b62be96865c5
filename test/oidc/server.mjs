// A real, certified OpenID Provider (the `oidc-provider` package, ESM-only) for the tests, run as a
// child process: test/oidc/provider.ts starts it and reads one JSON line `{ "issuer": … }` from
// its stdout. Enabled: RFC 7591 Dynamic Client Registration behind an initial access token,
// RFC 7592 client management, the client-credentials grant, and RFC 8707 resource indicators
// with JWT access tokens (RFC 9068) signed RS256 (keys published at `jwks_uri`).
//
// With OIDC_PORTAL_CLIENT, also a public browser client (the reference portal): authorization
// code with PKCE required, the provider's development login form (any login, any password; the
// login becomes the subject), consent given at once (a first-party client), RP-initiated logout.
// Its access tokens are JWTs for OIDC_RESOURCE that carry the account's `email` and the roles
// OIDC_ACCOUNT_ROLES gives it, in the claim OIDC_ROLES_CLAIM.
//
// Settings (environment): OIDC_INITIAL_ACCESS_TOKEN, OIDC_SCOPES (space-separated scopes the
// resource server accepts), OIDC_RESOURCE (the API's audience), OIDC_PORTAL_CLIENT (JSON: client_id,
// redirect_uris, post_logout_redirect_uris), OIDC_ACCOUNT_ROLES (JSON: login → roles),
// OIDC_ROLES_CLAIM (default `roles`).
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const initialAccessToken = process.env.OIDC_INITIAL_ACCESS_TOKEN;
const scopes = (process.env.OIDC_SCOPES ?? '').split(' ').filter(Boolean);
const resource = process.env.OIDC_RESOURCE ?? 'https://api.plangraph.test';
const portalClient = process.env.OIDC_PORTAL_CLIENT ? JSON.parse(process.env.OIDC_PORTAL_CLIENT) : null;
const accountRoles = JSON.parse(process.env.OIDC_ACCOUNT_ROLES ?? '{}');
const rolesClaim = process.env.OIDC_ROLES_CLAIM || 'roles';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'plangraph-test-1', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const email = (accountId) => `${accountId}@example.test`;

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  scopes: ['openid', ...scopes],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  clients: portalClient
    ? [
        {
          client_id: portalClient.client_id,
          redirect_uris: portalClient.redirect_uris,
          post_logout_redirect_uris: portalClient.post_logout_redirect_uris ?? [],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ]
    : [],
  // Accounts exist for any login the development form accepts.
  findAccount: (_ctx, accountId) => ({
    accountId,
    claims: () => ({ sub: accountId, email: email(accountId), email_verified: true, name: accountId }),
  }),
  // The portal is a first-party client: its sign-in asks for no consent.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    if (!portalClient || ctx.oidc.client.clientId !== portalClient.client_id) return undefined;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    grant.addResourceScope(resource, scopes.join(' '));
    await grant.save();
    return grant;
  },
  extraTokenClaims: (_ctx, token) =>
    token.kind === 'AccessToken' && token.accountId
      ? { email: email(token.accountId), [rolesClaim]: accountRoles[token.accountId] ?? [] }
      : undefined,
  pkce: { required: () => true },
  // Browsers may call the token endpoint from the origins of a public client's redirect URIs.
  clientBasedCORS: (_ctx, origin, client) =>
    client.clientAuthMethod === 'none' && client.redirectUris.some((uri) => new URL(uri).origin === origin),
  features: {
    devInteractions: { enabled: Boolean(portalClient) },
    rpInitiatedLogout: { enabled: true },
    registration: { enabled: true, initialAccessToken },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: scopes.join(' '),
        audience: resource,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
