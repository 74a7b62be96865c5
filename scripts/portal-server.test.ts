import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { processConfig } from '../common/config';
import { contentSecurityPolicy, startPortalServer, type RunningPortal } from './portal-server';

/**
 * The reference portal's server: settings without secrets, development tokens only when enabled
 * (never in production), bounded inputs, the app for every client-side route, and a content
 * security policy that lets the pages reach the gateway and nothing else.
 */
describe('portal server (scripts/portal-server.ts)', () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-server-'));
  const secret = 'portal-server-test-secret';
  const servers: RunningPortal[] = [];
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  fs.mkdirSync(path.join(dist, 'assets'));
  fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');

  const start = async (devTokens: boolean, oidc: { issuer: string; clientId: string } | null = null, rolesClaim?: string) => {
    const server = await startPortalServer({
      host: '127.0.0.1',
      port: 0,
      distDir: dist,
      gatewayUrl: 'https://api.example.test/graphql',
      oidc,
      devTokens: devTokens ? { secret, issuer: 'plangraph-dev' } : null,
      rolesClaim,
    });
    servers.push(server);
    return server.url;
  };
  const mint = (url: string, body: unknown) =>
    fetch(`${url}dev-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('serves its settings, the built files and the app on every other path', async () => {
    const url = await start(false, { issuer: 'https://id.example.test/realms/dev', clientId: 'portal' }, 'groups');
    const config = await fetch(`${url}config.json`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    expect(await config.json()).toEqual({
      gatewayUrl: 'https://api.example.test/graphql',
      gatewayWsUrl: 'wss://api.example.test/graphql',
      oidc: { issuer: 'https://id.example.test/realms/dev', clientId: 'portal' },
      devSignIn: false,
      rolesClaim: 'groups',
    });
    expect(await (await fetch(`${url}assets/app.js`)).text()).toBe('console.log(1)');
    const deep = await fetch(`${url}credentials/123`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('id="root"');
    expect(deep.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self' https://api.example.test wss://api.example.test https://id.example.test; " +
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
    );
    expect(deep.headers.get('x-frame-options')).toBe('DENY');
  });

  it('mints development tokens only when enabled, for a bounded subject and portal_admin at most', async () => {
    const off = await start(false);
    expect((await mint(off, { subject: 'alice' })).status).toBe(404);

    const on = await start(true);
    const response = await mint(on, { subject: 'alice', roles: ['portal_admin'] });
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: 'plangraph-dev' }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: 'alice', roles: ['portal_admin'] });
    expect(claims.exp! - claims.iat!).toBe(8 * 3600);
    for (const body of [
      {},
      { subject: '' },
      { subject: 'a b' },
      { subject: 'x'.repeat(65) },
      { subject: 'eve', roles: ['service'] },
      { subject: 'eve', roles: 'portal_admin' },
    ]) {
      const refused = await mint(on, body);
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
    }
    const huge = await fetch(`${on}dev-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'alice', padding: 'x'.repeat(10_000) }),
    });
    expect(huge.status).toBe(413);
  });

  it('offers development sign-in outside production with HS256 tokens only, and checks the OpenID Connect pair', () => {
    expect(processConfig('npm start', {}).portal).toEqual({
      port: 4006,
      gatewayUrl: null,
      oidc: null,
      devSignIn: true,
      rolesClaim: 'roles',
    });
    expect(processConfig('npm start', { JWT_ROLES_CLAIM: 'groups' }).portal.rolesClaim).toBe('groups');
    expect(processConfig('npm start', { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret' }).portal.devSignIn).toBe(false);
    expect(processConfig('npm start', { JWT_JWKS_URL: 'https://id.example.test/jwks' }).portal.devSignIn).toBe(false);
    expect(() => processConfig('npm start', { PORTAL_OIDC_ISSUER: 'https://id.example.test' })).toThrow(
      /PORTAL_OIDC_CLIENT_ID: must be set with/,
    );
    expect(contentSecurityPolicy({ gatewayUrl: 'http://localhost:4000/graphql', oidc: null, devTokens: null })).toContain(
      "connect-src 'self' http://localhost:4000 ws://localhost:4000;",
    );
  });
});
