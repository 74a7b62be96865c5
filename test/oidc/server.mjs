// A real, certified OpenID Provider (the `oidc-provider` package, ESM-only) for the tests, run as a
// child process: test/oidc/provider.ts starts it and reads one JSON line `{ "issuer": … }` from
// its stdout. Enabled: RFC 7591 Dynamic Client Registration behind an initial access token,
// RFC 7592 client management, the client-credentials grant, and RFC 8707 resource indicators
// with JWT access tokens (RFC 9068) signed RS256 (keys published at `jwks_uri`).
//
// Settings (environment): OIDC_INITIAL_ACCESS_TOKEN, OIDC_SCOPES (space-separated scopes the
// resource server accepts), OIDC_RESOURCE (the API's audience).
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const initialAccessToken = process.env.OIDC_INITIAL_ACCESS_TOKEN;
const scopes = (process.env.OIDC_SCOPES ?? '').split(' ').filter(Boolean);
const resource = process.env.OIDC_RESOURCE ?? 'https://api.plangraph.test';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'plangraph-test-1', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  scopes: ['openid', ...scopes],
  clients: [],
  features: {
    devInteractions: { enabled: false },
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
process.on('SIGTERM', () => server.close(() => process.exit(0)));
