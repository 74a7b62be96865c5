import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { TykTestServer } from './tyk/server';
import { signJwt } from './tyk/jwt';
import { loadSpec } from './tyk/openapi';
import { apiContractProblems } from './tyk/api-contract';

/**
 * Premium endpoints end to end through the gateway: plan Basic has an endpoint rule on the
 * product (only `/forecast`, GET), plan Gold has none. At the Tyk test server a Basic key gets
 * 403 on `/premium` that a Gold key may call, and the same for JWTs carrying each plan's scope;
 * GraphQL type rights reach a GraphQL API; dropping the rule unlocks the path for Basic's
 * existing key (its policy ids change), and every request body validates against Tyk's OpenAPI.
 */
describe('premium endpoints are enforced by Tyk', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dana = developer();
  const secret = 'jwt-hmac-secret-endpoints';
  const keyApi = unique('api-weather');
  const jwtApi = unique('api-weather-jwt');
  const gqlApi = unique('api-graph');
  const ids: Record<string, string> = {};
  const secrets: Record<string, string> = {};

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
  const call = async (path: string, authorization: string, method = 'GET', body?: unknown) =>
    (
      await fetch(`${tyk.url}${path}`, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).status;
  const rulesPolicyId = (planId: string, productId: string) => `pg-rules-${planId.replace(/-/g, '')}-${productId.replace(/-/g, '')}`;
  const keyStatus = async (credentialId: string) =>
    (await gql(`query($id: ID!) { credential(id: $id) { sync { status } } }`, { id: credentialId }, admin)).credential.sync
      .status as string;

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start({
      apis: [
        { apiId: keyApi, listenPath: `/${keyApi}/` },
        { apiId: jwtApi, listenPath: `/${jwtApi}/`, jwt: { signingMethod: 'hmac', source: secret } },
        { apiId: gqlApi, listenPath: `/${gqlApi}/`, graphqlSchema: 'type Query { forecast: String, radar: String }' },
      ],
    });
    fixtures = new Fixtures(platform.gatewayUrl, admin);
    ids.provider = await fixtures.provider(tyk);
    ids.catalog = await fixtures.catalog();
    ids.product = await fixtures.product({
      slug: unique('weather'),
      name: unique('Weather'),
      tykApiIds: [keyApi, jwtApi],
      catalogIds: [ids.catalog],
    });
    ids.graph = await fixtures.product({ slug: unique('graph'), name: unique('Graph'), tykApiIds: [gqlApi], catalogIds: [ids.catalog] });
  });
  afterAll(async () => {
    await platform?.stop();
    await tyk?.stop();
  });

  it('validates endpoint rules and shows what each tier gets', async () => {
    const bad = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { id } errors { code field } } }`,
      {
        i: {
          name: unique('bad'),
          displayName: 'Bad',
          endpointRules: [
            {
              productId: ids.product,
              allow: [
                { path: 'premium', methods: ['GET'] },
                { path: '/x(?=y)', methods: ['FETCH'] },
              ],
            },
            {
              productId: ids.product,
              allowedTypes: [{ name: 'Query', fields: ['a'] }],
              restrictedTypes: [{ name: 'Query', fields: ['b'] }],
            },
          ],
        },
      },
      admin,
    );
    expect(bad.data.createPlan.plan).toBeNull();
    expect(bad.data.createPlan.errors.map((e: { field: string }) => e.field)).toEqual([
      'input.endpointRules[0].allow[0].path',
      'input.endpointRules[0].allow[1].path',
      'input.endpointRules[0].allow[1].methods',
      'input.endpointRules[1].productId',
      'input.endpointRules[1].restrictedTypes',
    ]);
    const missing = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { id } errors { code field } } }`,
      {
        i: {
          name: unique('bad'),
          displayName: 'Bad',
          endpointRules: [{ productId: '00000000-0000-4000-8000-000000000000', allow: [{ path: '/a', methods: ['GET'] }] }],
        },
      },
      admin,
    );
    expect(missing.data.createPlan.errors).toEqual([{ code: 'NOT_FOUND', field: 'input.endpointRules[0].productId' }]);

    const plan = async (name: string, tier: number, scopes: string[], endpointRules: unknown[]) =>
      (
        await mutate(
          'createPlan',
          'CreatePlanInput',
          {
            name: unique(name),
            displayName: name,
            catalogIds: [ids.catalog],
            status: 'PUBLISHED',
            tier,
            autoApprove: true,
            jwtScopes: scopes,
            endpointRules,
          },
          'plan { id }',
          admin,
        )
      ).plan.id;
    ids.gold = await plan('Gold', 2, ['weather:gold'], []);
    ids.basic = await plan(
      'Basic',
      1,
      ['weather:basic'],
      [
        {
          productId: ids.product,
          allow: [
            { path: `/${keyApi}/forecast`, methods: ['get'] },
            { path: `/${jwtApi}/forecast`, methods: ['GET'] },
          ],
        },
        { productId: ids.graph, restrictedTypes: [{ name: 'Query', fields: ['radar'] }] },
      ],
    );

    // Anyone who may see the plans sees what each tier gets (a developer here).
    await mutate('registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dana' }, 'developer { subject }', dana);
    const tiers = await gql(
      `query($id: ID!) { product(id: $id) { availablePlans { name tier endpointRules { productId allow { path methods } allowedTypes { name } restrictedTypes { name fields } } } } }`,
      { id: ids.product },
      dana,
    );
    const byTier = tiers.product.availablePlans;
    expect(byTier.map((p: { tier: number }) => p.tier)).toEqual([1, 2]);
    expect(byTier[0].endpointRules).toEqual([
      {
        productId: ids.product,
        allow: [
          { path: `/${keyApi}/forecast`, methods: ['GET'] },
          { path: `/${jwtApi}/forecast`, methods: ['GET'] },
        ],
        allowedTypes: [],
        restrictedTypes: [],
      },
      { productId: ids.graph, allow: [], allowedTypes: [], restrictedTypes: [{ name: 'Query', fields: ['radar'] }] },
    ]);
    expect(byTier[1].endpointRules).toEqual([]);
    const versions = await gql(
      `query($id: ID!) { planVersions(planId: $id) { edges { node { settings { endpointRules { productId } } changes { field } } } } }`,
      { id: ids.basic },
      admin,
    );
    expect(versions.planVersions.edges[0].node.settings.endpointRules.map((r: { productId: string }) => r.productId)).toEqual([
      ids.product,
      ids.graph,
    ]);
    expect(versions.planVersions.edges[0].node.changes.map((c: { field: string }) => c.field)).toContain('endpointRules');
  });

  it('a Basic key gets 403 on the premium path a Gold key may call; the same for JWTs and GraphQL fields', async () => {
    ids.org = await fixtures.organization(dana.sub);
    for (const plan of ['gold', 'basic']) {
      const app = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: unique(plan) }, 'app { id }', dana)).app.id;
      const request = await mutate(
        'requestAccess',
        'RequestAccessInput',
        { appId: app, planId: ids[plan], productIds: [ids.product, ids.graph] },
        'accessRequest { status credential { id } } secret',
        dana,
      );
      expect(request.accessRequest.status).toBe('APPROVED');
      ids[`${plan}Credential`] = request.accessRequest.credential.id;
      secrets[plan] = request.secret;
    }
    for (const plan of ['gold', 'basic'])
      await waitFor(async () => (await keyStatus(ids[`${plan}Credential`])) === 'SYNCED', { what: `the ${plan} key`, timeoutMs: 30_000 });

    // The restriction policy: ACL partition, each of the product's APIs with the rule's paths.
    const paths = [
      { url: `/${keyApi}/forecast`, methods: ['GET'] },
      { url: `/${jwtApi}/forecast`, methods: ['GET'] },
    ];
    expect(tyk.policy(rulesPolicyId(ids.basic, ids.product))).toMatchObject({
      partitions: { acl: true, quota: false, rate_limit: false },
      access_rights: { [keyApi]: { allowed_urls: paths }, [jwtApi]: { allowed_urls: paths } },
    });
    expect(tyk.policy(rulesPolicyId(ids.gold, ids.product))).toBeUndefined();

    expect(await call(`/${keyApi}/forecast`, secrets.basic)).toBe(200);
    expect(await call(`/${keyApi}/premium`, secrets.basic)).toBe(403);
    expect(await call(`/${keyApi}/forecast`, secrets.basic, 'POST', {})).toBe(403);
    expect(await call(`/${keyApi}/premium`, secrets.gold)).toBe(200);
    expect(await call(`/${keyApi}/forecast`, secrets.gold, 'POST', {})).toBe(200);

    // GraphQL: Basic may not query Query.radar, Gold may.
    expect(await call(`/${gqlApi}/`, secrets.basic, 'POST', { query: '{ forecast }' })).toBe(200);
    expect(await call(`/${gqlApi}/`, secrets.basic, 'POST', { query: '{ radar }' })).toBe(400);
    expect(await call(`/${gqlApi}/`, secrets.gold, 'POST', { query: '{ radar }' })).toBe(200);

    // JWTs: the scope mapping selects each plan's JWT policy, which carries the plan's rights.
    await waitFor(() => tyk.scopeMapping(jwtApi)['weather:basic'] !== undefined && tyk.scopeMapping(jwtApi)['weather:gold'] !== undefined, {
      what: 'the JWT mapping',
      timeoutMs: 30_000,
    });
    const gold = `Bearer ${signJwt({ sub: unique('gold-user'), scope: 'weather:gold' }, { hmac: secret })}`;
    const basic = `Bearer ${signJwt({ sub: unique('basic-user'), scope: 'weather:basic' }, { hmac: secret })}`;
    await waitFor(async () => (await call(`/${jwtApi}/premium`, basic)) === 403, {
      what: 'Basic’s JWT policy with its rights',
      timeoutMs: 30_000,
    });
    expect(await call(`/${jwtApi}/forecast`, basic)).toBe(200);
    expect(await call(`/${jwtApi}/premium`, gold)).toBe(200);
  });

  it('changing the rules reaches Tyk: an edit updates the policy, removing the rule unlocks the path for the existing key', async () => {
    // Edit: /premium becomes allowed too (same policy ids; the key picks it up from the policy).
    await mutate(
      'updatePlan',
      'UpdatePlanInput',
      {
        id: ids.basic,
        endpointRules: [
          {
            productId: ids.product,
            allow: [
              { path: `/${keyApi}/forecast`, methods: ['GET'] },
              { path: `/${keyApi}/premium`, methods: ['GET'] },
            ],
          },
        ],
      },
      'plan { version }',
      admin,
    );
    await waitFor(async () => (await call(`/${keyApi}/premium`, secrets.basic)) === 200, { what: 'the edited rule', timeoutMs: 30_000 });
    expect(await call(`/${keyApi}/forecast`, secrets.basic, 'POST', {})).toBe(403);
    // The graph rule is gone: its policy leaves the key, then Tyk.
    await waitFor(() => !tyk.policy(rulesPolicyId(ids.basic, ids.graph)), {
      what: 'the dropped rule’s policy to be deleted',
      timeoutMs: 30_000,
    });
    expect(await call(`/${gqlApi}/`, secrets.basic, 'POST', { query: '{ radar }' })).toBe(200);

    // Removing every rule: the key's policies change back to product + plan.
    await mutate('updatePlan', 'UpdatePlanInput', { id: ids.basic, endpointRules: [] }, 'plan { version }', admin);
    await waitFor(() => !tyk.policy(rulesPolicyId(ids.basic, ids.product)), { what: 'the restriction policy to go', timeoutMs: 30_000 });
    expect(await call(`/${keyApi}/forecast`, secrets.basic, 'POST', {})).toBe(200);

    // Every request body the provider sent validates against Tyk's OpenAPI file.
    expect(apiContractProblems(loadSpec(), tyk.history)).toEqual([]);
    expect(
      tyk.history.some((r) => r.method === 'POST' && r.path === '/tyk/policies' && JSON.stringify(r.body ?? '').includes('pg-rules-')),
    ).toBe(true);
  });
});
