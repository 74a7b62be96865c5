/**
 * The Tyk test server enforces what Tyk enforces beyond keys: API definitions through the Gateway
 * and Dashboard APIs (classic and OAS), JWT requests with scope → policy mappings, path rights
 * (`allowed_urls`) merged across policies, and GraphQL type rights.
 */
import { TykTestServer } from './server';
import { rsaKeyPair, signJwt } from './jwt';

const ORG = 'org-enforce';
const SECRET = 'hmac-secret-for-tests';

function policy(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: id,
    org_id: ORG,
    rate: -1,
    per: -1,
    quota_max: -1,
    quota_renewal_rate: -1,
    access_rights: {},
    partitions: { quota: false, rate_limit: false, acl: false, complexity: false, per_api: false },
    active: true,
    tags: ['plangraph'],
    ...overrides,
  };
}

async function call(
  tyk: TykTestServer,
  path: string,
  authorization: string,
  init: RequestInit = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${tyk.url}${path}`, {
    ...init,
    headers: { authorization, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.json() };
}

async function admin(tyk: TykTestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${tyk.url}${path}`, {
    method,
    headers: { 'x-tyk-authorization': tyk.secret, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('Tyk test server: JWT scopes, path rights, GraphQL rights', () => {
  let tyk: TykTestServer;
  const rsa = rsaKeyPair();
  beforeAll(async () => {
    tyk = await TykTestServer.start({
      orgId: ORG,
      apis: [
        { apiId: 'classic-jwt', listenPath: '/cj/', jwt: { signingMethod: 'hmac', source: SECRET } },
        { apiId: 'oas-jwt', listenPath: '/oj/', oas: true, jwt: { signingMethod: 'rsa', source: rsa.publicKey } },
        { apiId: 'keys', listenPath: '/k/' },
        {
          apiId: 'gql',
          listenPath: '/gql/',
          graphqlSchema: 'type Query { weather: String, secret: Secret } type Secret { code: String, owner: String }',
        },
      ],
    });
    for (const [id, quota] of [
      ['gold', 3],
      ['basic', 1],
    ] as const) {
      tyk.putPolicyDirect(
        policy(id, {
          quota_max: quota,
          quota_renewal_rate: 3600,
          access_rights: {
            'classic-jwt': {
              api_id: 'classic-jwt',
              versions: ['Default'],
              allowed_urls: id === 'basic' ? [{ url: '^/cj/public', methods: ['GET'] }] : [],
            },
            'oas-jwt': { api_id: 'oas-jwt', versions: ['Default'], allowed_urls: [] },
          },
        }),
      );
    }
    // A consumption-limit policy alone grants no API: Tyk refuses to build a session from it.
    tyk.putPolicyDirect(
      policy('limits-only', {
        quota_max: 10,
        quota_renewal_rate: 60,
        partitions: { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false },
      }),
    );
  });
  afterAll(() => tyk?.stop());

  it('classic API definitions: GET, full-replace PUT (id must match), live only after a reload', async () => {
    const { status, body } = await admin(tyk, 'GET', '/tyk/apis/classic-jwt');
    expect(status).toBe(200);
    expect(body.enable_jwt).toBe(true);
    expect(body.scopes.jwt.scope_to_policy).toEqual({});
    expect((await admin(tyk, 'PUT', '/tyk/apis/classic-jwt', { ...body, api_id: 'other' })).status).toBe(400);
    expect((await admin(tyk, 'GET', '/tyk/apis/oas/classic-jwt')).status).toBe(400);
    const updated = {
      ...body,
      scopes: { jwt: { scope_claim_name: 'scope', scope_to_policy: { 'weather:gold': 'gold', 'weather:basic': 'basic' } } },
    };
    expect((await admin(tyk, 'PUT', '/tyk/apis/classic-jwt', updated)).body).toEqual({
      key: 'classic-jwt',
      status: 'ok',
      action: 'modified',
    });
    expect(tyk.scopeMapping('classic-jwt')).toEqual({});
    const token = signJwt({ sub: 'user-1', scope: 'weather:gold' }, { hmac: SECRET });
    expect((await call(tyk, '/cj/anything', `Bearer ${token}`)).status).toBe(403);
    await admin(tyk, 'GET', '/tyk/reload?block=true');
    expect(tyk.scopeMapping('classic-jwt')).toEqual({ 'weather:gold': 'gold', 'weather:basic': 'basic' });
    expect((await call(tyk, '/cj/anything', `Bearer ${token}`)).status).toBe(200);
  });

  it("a JWT's scope selects its policy and its limits; unknown scopes, bad signatures and ACL-less policies are refused", async () => {
    const gold = signJwt({ sub: 'gold-user', scope: 'openid weather:gold' }, { hmac: SECRET });
    const basic = signJwt({ sub: 'basic-user', scope: ['weather:basic'] }, { hmac: SECRET });
    const statuses = async (token: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await call(tyk, '/cj/public/forecast', `Bearer ${token}`)).status);
      return out;
    };
    expect(await statuses(gold, 4)).toEqual([200, 200, 200, 403]);
    expect(await statuses(basic, 2)).toEqual([200, 403]);
    const unknown = await call(tyk, '/cj/public', `Bearer ${signJwt({ sub: 'x', scope: 'weather:platinum' }, { hmac: SECRET })}`);
    expect(unknown).toEqual({ status: 403, body: { error: 'key not authorized: no matching policy found in scope claim' } });
    expect((await call(tyk, '/cj/public', `Bearer ${signJwt({ sub: 'x', scope: 'weather:gold' }, { hmac: 'wrong' })}`)).status).toBe(403);
    expect((await call(tyk, '/cj/public', `Bearer ${signJwt({ sub: 'x', scope: 'weather:gold', exp: 1 }, { hmac: SECRET })}`)).status).toBe(
      401,
    );

    const { body } = await admin(tyk, 'GET', '/tyk/apis/classic-jwt');
    body.scopes.jwt.scope_to_policy['weather:limits'] = 'limits-only';
    await admin(tyk, 'PUT', '/tyk/apis/classic-jwt', body);
    await admin(tyk, 'GET', '/tyk/reload');
    const limitsOnly = await call(tyk, '/cj/public', `Bearer ${signJwt({ sub: 'y', scope: 'weather:limits' }, { hmac: SECRET })}`);
    expect(limitsOnly).toEqual({ status: 403, body: { error: 'key not authorized: could not apply several policies' } });
  });

  it('path rights: a policy with allowed_urls limits the paths and methods of its sessions', async () => {
    const basic = signJwt({ sub: 'basic-paths', scope: 'weather:basic' }, { hmac: SECRET });
    expect(await call(tyk, '/cj/premium/alerts', `Bearer ${basic}`)).toEqual({
      status: 403,
      body: { error: 'Access to this resource has been disallowed' },
    });
    expect((await call(tyk, '/cj/public/x', `Bearer ${basic}`, { method: 'POST', body: '{}' })).status).toBe(403);
    const gold = signJwt({ sub: 'gold-paths', scope: 'weather:gold' }, { hmac: SECRET });
    expect((await call(tyk, '/cj/premium/alerts', `Bearer ${gold}`)).status).toBe(200);
  });

  it('Tyk OAS definitions: scopeToPolicyMapping through /tyk/apis/oas and the Dashboard, RS256 tokens', async () => {
    const { status, body } = await admin(tyk, 'GET', '/tyk/apis/oas/oas-jwt');
    expect(status).toBe(200);
    expect((await admin(tyk, 'GET', '/tyk/apis/oas-jwt')).body.is_oas).toBe(true);
    expect((await admin(tyk, 'PUT', '/tyk/apis/oas-jwt', { api_id: 'oas-jwt' })).status).toBe(400);
    body['x-tyk-api-gateway'].server.authentication.securitySchemes.jwtAuth.scopes.scopeToPolicyMapping = [
      { scope: 'maps:gold', policyId: 'gold' },
    ];
    // The Dashboard's write is live at once.
    const res = await fetch(`${tyk.url}/api/apis/oas/oas-jwt`, {
      method: 'PUT',
      headers: { authorization: tyk.dashboardSecret },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(tyk.scopeMapping('oas-jwt')).toEqual({ 'maps:gold': 'gold' });
    const token = signJwt({ sub: 'rsa-user', scope: 'maps:gold' }, { rsaPrivateKey: rsa.privateKey });
    expect((await call(tyk, '/oj/tiles', `Bearer ${token}`)).status).toBe(200);
    expect((await call(tyk, '/oj/tiles', `Bearer ${signJwt({ sub: 'rsa-user', scope: 'maps:gold' }, { hmac: 'x' })}`)).status).toBe(403);
  });

  it('merges allowed_urls across ACL policies as Tyk does: an unrestricted product policy plus a restricted one is restricted', async () => {
    tyk.putPolicyDirect(
      policy('product', {
        access_rights: { keys: { api_id: 'keys', versions: ['Default'], allowed_urls: [] } },
        partitions: { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false },
      }),
    );
    tyk.putPolicyDirect(
      policy('tier', {
        access_rights: { keys: { api_id: 'keys', versions: ['Default'], allowed_urls: [{ url: '^/k/public', methods: ['GET'] }] } },
        partitions: { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false },
      }),
    );
    const both = await admin(tyk, 'POST', '/tyk/keys/basic-key-1', { org_id: ORG, apply_policies: ['product', 'tier'] });
    const only = await admin(tyk, 'POST', '/tyk/keys/gold-key-1', { org_id: ORG, apply_policies: ['product'] });
    expect([both.status, only.status]).toEqual([200, 200]);
    expect((await call(tyk, '/k/premium', 'basic-key-1')).status).toBe(403);
    expect((await call(tyk, '/k/public/a', 'basic-key-1')).status).toBe(200);
    expect((await call(tyk, '/k/premium', 'gold-key-1')).status).toBe(200);
  });

  it('GraphQL rights: restricted_types blocks fields, allowed_types allows only the listed ones', async () => {
    const acl = { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false };
    tyk.putPolicyDirect(
      policy('gql-restricted', {
        partitions: acl,
        access_rights: { gql: { api_id: 'gql', versions: ['Default'], restricted_types: [{ name: 'Secret', fields: ['code'] }] } },
      }),
    );
    tyk.putPolicyDirect(
      policy('gql-allowed', {
        partitions: acl,
        access_rights: { gql: { api_id: 'gql', versions: ['Default'], allowed_types: [{ name: 'Query', fields: ['weather'] }] } },
      }),
    );
    await admin(tyk, 'POST', '/tyk/keys/gql-restricted-key', { org_id: ORG, apply_policies: ['gql-restricted'] });
    await admin(tyk, 'POST', '/tyk/keys/gql-allowed-key', { org_id: ORG, apply_policies: ['gql-allowed'] });
    const query = (key: string, q: string) => call(tyk, '/gql/', key, { method: 'POST', body: JSON.stringify({ query: q }) });
    expect((await query('gql-restricted-key', '{ secret { owner } }')).status).toBe(200);
    expect(await query('gql-restricted-key', '{ secret { code } }')).toEqual({
      status: 400,
      body: { errors: [{ message: 'field: code is restricted on type: Secret' }] },
    });
    expect((await query('gql-allowed-key', '{ weather }')).status).toBe(200);
    expect((await query('gql-allowed-key', '{ weather secret { owner } }')).status).toBe(400);
  });
});
