import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { TykTestServer } from './tyk/server';
import { rsaKeyPair, signJwt } from './tyk/jwt';
import { loadSpec } from './tyk/openapi';
import { apiContractProblems } from './tyk/api-contract';

/**
 * JWT scopes end to end through the gateway: plans Gold and Basic with JWT scopes, access
 * approved under each, and the Tyk test server then gives a JWT carrying Gold's scope Gold's
 * limits and one carrying Basic's Basic's — on a Tyk Classic API (HS256) and a Tyk OAS API
 * (RS256). Scope edits, archiving, operator entries and drift repair follow.
 */
describe('JWT scopes reach Tyk', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dana = developer();
  const secret = 'jwt-hmac-secret-e2e';
  const rsa = rsaKeyPair();
  const classicApi = unique('api-weather');
  const oasApi = unique('api-maps');
  const ids: Record<string, string> = {};

  const gql = async (query: string, variables: Record<string, unknown>, identity: Identity | null) => {
    const r = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    expect(data[name].errors).toEqual([]);
    return data[name];
  };
  const jwtPolicyId = (planId: string) => `pg-jwt-${planId.replace(/-/g, '')}`;
  const call = async (path: string, token: string) =>
    (await fetch(`${tyk.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
  const statuses = async (path: string, token: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await call(path, token));
    return out;
  };

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start({
      apis: [
        { apiId: classicApi, listenPath: `/${classicApi}/`, jwt: { signingMethod: 'hmac', source: secret } },
        { apiId: oasApi, listenPath: `/${oasApi}/`, oas: true, jwt: { signingMethod: 'rsa', source: rsa.publicKey } },
      ],
    });
    fixtures = new Fixtures(platform.gatewayUrl, admin);
    ids.provider = await fixtures.provider(tyk);
    ids.catalog = await fixtures.catalog();
    ids.product = await fixtures.product({
      slug: unique('weather'),
      name: unique('Weather'),
      tykApiIds: [classicApi, oasApi],
      catalogIds: [ids.catalog],
    });
    const plan = (name: string, quota: number, scopes: string[]) =>
      fixtures.plan({
        name: unique(name),
        displayName: name,
        catalogIds: [ids.catalog],
        quota: { requests: quota, period: 'DAY' },
        rateLimit: { requests: 100, perSeconds: 1 },
        autoApprove: true,
        jwtScopes: scopes,
      });
    ids.gold = await plan('Gold', 3, ['weather:gold']);
    ids.basic = await plan('Basic', 1, ['weather:basic']);
  });
  afterAll(async () => {
    await platform?.stop();
    await tyk?.stop();
  });

  it('maps each plan’s scopes to its JWT policy once access is approved, and Tyk applies the matching plan', async () => {
    await mutate('registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dana' }, 'developer { subject }', dana);
    ids.org = await fixtures.organization(dana.sub);
    for (const plan of ['gold', 'basic']) {
      const app = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: unique(plan) }, 'app { id }', dana)).app.id;
      const request = await mutate(
        'requestAccess',
        'RequestAccessInput',
        { appId: app, planId: ids[plan], productIds: [ids.product] },
        'accessRequest { status }',
        dana,
      );
      expect(request.accessRequest.status).toBe('APPROVED');
    }
    const wanted = { 'weather:gold': jwtPolicyId(ids.gold), 'weather:basic': jwtPolicyId(ids.basic) };
    await waitFor(
      () =>
        JSON.stringify(tyk.scopeMapping(classicApi)) === JSON.stringify(sorted(wanted)) || sameKeys(tyk.scopeMapping(classicApi), wanted),
      { what: 'the classic mapping', timeoutMs: 30_000 },
    );
    await waitFor(() => sameKeys(tyk.scopeMapping(oasApi), wanted), { what: 'the OAS mapping', timeoutMs: 30_000 });
    expect(tyk.scopeMapping(classicApi)).toEqual(wanted);
    expect(tyk.policy(jwtPolicyId(ids.gold))).toMatchObject({
      quota_max: 3,
      access_rights: { [classicApi]: { api_id: classicApi }, [oasApi]: { api_id: oasApi } },
    });

    // Gold's scope gets Gold's quota (3 a day), Basic's gets Basic's (1); classic HS256 and OAS RS256.
    const gold = signJwt({ sub: unique('gold-user'), scope: 'openid weather:gold' }, { hmac: secret });
    const basic = signJwt({ sub: unique('basic-user'), scope: 'weather:basic' }, { hmac: secret });
    expect(await statuses(`/${classicApi}/forecast`, gold, 4)).toEqual([200, 200, 200, 403]);
    expect(await statuses(`/${classicApi}/forecast`, basic, 2)).toEqual([200, 403]);
    expect(await call(`/${classicApi}/forecast`, signJwt({ sub: 'x', scope: 'weather:platinum' }, { hmac: secret }))).toBe(403);
    const goldRsa = signJwt({ sub: unique('gold-rsa'), scope: ['weather:gold'] }, { rsaPrivateKey: rsa.privateKey });
    expect(await statuses(`/${oasApi}/tiles`, goldRsa, 4)).toEqual([200, 200, 200, 403]);

    // Portal admins see the mapping and its state on the product.
    const product = await gql(
      `query($id: ID!) { product(id: $id) { scopeSync { apiId status mapping { scope policyId } lastError } } }`,
      { id: ids.product },
      admin,
    );
    expect(product.product.scopeSync).toEqual(
      [classicApi, oasApi].sort().map((apiId) => ({
        apiId,
        status: 'SYNCED',
        lastError: null,
        mapping: Object.entries(sorted(wanted)).map(([scope, policyId]) => ({ scope, policyId })),
      })),
    );
    const asDeveloper = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { product(id: $id) { scopeSync { apiId } } }`,
      { id: ids.product },
      dana,
    );
    expect(asDeveloper.data?.product?.scopeSync ?? null).toBeNull();
  });

  it('keeps entries an operator wrote, follows scope edits and archiving, and repairs drift', async () => {
    // An operator maps a scope of their own in Tyk.
    const definition = tyk.apiDefinition(classicApi)!;
    definition.definition.scopes.jwt.scope_to_policy['ops:internal'] = 'ops-policy';
    tyk.putApiDirect(classicApi, definition);

    // Basic's scope is renamed: the old entry goes, the new one comes, the operator's stays.
    await mutate('updatePlan', 'UpdatePlanInput', { id: ids.basic, jwtScopes: ['weather:basic2'] }, 'plan { jwtScopes }', admin);
    await waitFor(
      () => tyk.scopeMapping(classicApi)['weather:basic2'] === jwtPolicyId(ids.basic) && !('weather:basic' in tyk.scopeMapping(classicApi)),
      { what: 'the renamed scope', timeoutMs: 30_000 },
    );
    expect(tyk.scopeMapping(classicApi)).toEqual({
      'weather:gold': jwtPolicyId(ids.gold),
      'weather:basic2': jwtPolicyId(ids.basic),
      'ops:internal': 'ops-policy',
    });
    // The rest of the definition was written back as it was.
    expect(tyk.apiDefinition(classicApi)!.definition).toMatchObject({
      enable_jwt: true,
      jwt_source: Buffer.from(secret).toString('base64'),
      proxy: { listen_path: `/${classicApi}/` },
    });

    // Drift: an operator deletes Gold's entry and its JWT policy; the provider sync restores both.
    const drifted = tyk.apiDefinition(classicApi)!;
    delete drifted.definition.scopes.jwt.scope_to_policy['weather:gold'];
    tyk.putApiDirect(classicApi, drifted);
    tyk.deletePolicyDirect(jwtPolicyId(ids.gold));
    await mutate('syncProvider', 'SyncProviderInput', { id: ids.provider }, 'provider { id }', admin);
    await waitFor(
      () => tyk.scopeMapping(classicApi)['weather:gold'] === jwtPolicyId(ids.gold) && Boolean(tyk.policy(jwtPolicyId(ids.gold))),
      { what: 'the repaired mapping', timeoutMs: 30_000 },
    );
    expect(tyk.scopeMapping(classicApi)['ops:internal']).toBe('ops-policy');

    // Archiving Gold removes its scope from both APIs, and its JWT policy once nothing maps to it.
    await mutate('archivePlan', 'ArchivePlanInput', { id: ids.gold }, 'plan { status }', admin);
    await waitFor(
      () =>
        !('weather:gold' in tyk.scopeMapping(classicApi)) &&
        !('weather:gold' in tyk.scopeMapping(oasApi)) &&
        !tyk.policy(jwtPolicyId(ids.gold)),
      {
        what: 'the archived plan’s scope to go',
        timeoutMs: 30_000,
      },
    );
    expect(tyk.scopeMapping(classicApi)).toEqual({ 'weather:basic2': jwtPolicyId(ids.basic), 'ops:internal': 'ops-policy' });
    expect(await call(`/${classicApi}/x`, signJwt({ sub: unique('late'), scope: 'weather:gold' }, { hmac: secret }))).toBe(403);

    // Every request body the provider sent validates against Tyk's OpenAPI file.
    expect(apiContractProblems(loadSpec(), tyk.history)).toEqual([]);
    expect(tyk.history.some((r) => r.method === 'PUT' && r.path === `/tyk/apis/oas/${oasApi}`)).toBe(true);
  });
});

function sorted(mapping: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(mapping).sort(([a], [b]) => a.localeCompare(b)));
}

function sameKeys(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}
