/**
 * Contract test: every request the provider client sends — bodies from the provider's own body
 * builders, sent through the real Gateway and Dashboard clients — is checked against Tyk's
 * published OpenAPI file (`./vendor/tyk-gateway-openapi.yml`): the path and method exist,
 * every query parameter is declared with a valid value, and the body validates against the
 * operation's request schema with no undeclared fields. The test server's answers are checked
 * against the response schemas too, and the project's own schema of Tyk's objects
 * (`./schema.ts`) is compared with the OpenAPI one.
 */
import { randomUUID } from 'node:crypto';
import { TykTestServer, type RecordedRequest } from './server';
import { checkDashboardRequest, checkGatewayRequest, findOperation, loadSpec, resolve, validate, type OpenApiSpec } from './openapi';
import { POLICY, SESSION_STATE, ACCESS_DEFINITION, type FieldType } from './schema';
import { DashboardClient, GatewayClient, type TykClient } from '../../subgraphs/provider/tyk/client';
import {
  keySession,
  planPolicy,
  productPolicy,
  type CredentialContractRow,
  type PlanContractRow,
  type ProductContractRow,
} from '../../subgraphs/provider/tyk/bodies';

const target = { orgId: 'org-contract', tags: ['plangraph', 'team:payments'] };

function plan(overrides: Partial<PlanContractRow> = {}): PlanContractRow {
  return {
    id: randomUUID(),
    name: `plan ${Math.random().toString(36).slice(2, 8)}`,
    status: 'PUBLISHED',
    key_expires_after_seconds: 86400,
    quota_scope: 'CREDENTIAL',
    quota_requests: 1000,
    quota_period_seconds: 2592000,
    rate_requests: 10,
    rate_per_seconds: 1,
    credential_metadata: { tier: 'gold' },
    version: 3,
    ...overrides,
  };
}

function product(apiIds: string[]): ProductContractRow {
  // Names are unique: the Dashboard refuses a second policy with the same name.
  const slug = `p-${Math.random().toString(36).slice(2, 8)}`;
  return { id: randomUUID(), slug, name: `Payments ${slug}`, status: 'PUBLISHED', tyk_api_ids: apiIds };
}

function credential(planId: string, productIds: string[], overrides: Partial<CredentialContractRow> = {}): CredentialContractRow {
  return {
    id: randomUUID(),
    app_id: randomUUID(),
    organization_id: randomUUID(),
    plan_id: planId,
    product_ids: productIds,
    status: 'ACTIVE',
    expires_at: null,
    revokes_at: null,
    alias: 'Weather app (pgk_abcdefgh)',
    metadata: { tier: 'gold', DeveloperID: 'dev-1', ApplicationID: 'app-1', OrganisationID: 'org-1' },
    pending_secret_encrypted: null,
    replaces_credential_id: null,
    created_at: new Date(),
    version: 1,
    ...overrides,
  };
}

const PLANS = [
  plan(),
  plan({
    quota_requests: null,
    quota_period_seconds: null,
    rate_requests: null,
    rate_per_seconds: null,
    key_expires_after_seconds: null,
    quota_scope: 'APP',
    credential_metadata: {},
  }),
  plan({ quota_scope: 'ORGANIZATION', credential_metadata: null, quota_period_seconds: 3600 }),
];
const PRODUCTS = [product(['weather']), product(['maps', 'geo', 'tiles']), product([])];

describe('provider client ↔ Tyk OpenAPI contract', () => {
  let spec: OpenApiSpec;
  let tyk: TykTestServer;
  beforeAll(async () => {
    spec = loadSpec();
    tyk = await TykTestServer.start({ orgId: target.orgId });
  });
  afterAll(async () => {
    await tyk?.stop();
  });

  async function exercise(client: TykClient): Promise<void> {
    const policies = [...PLANS.map((p) => planPolicy(p, target)), ...PRODUCTS.map((p) => productPolicy(p, target))];
    for (const policy of policies) {
      expect(await client.getPolicy(policy.id)).toBeNull();
      await client.createPolicy(policy);
    }
    await client.reload();
    for (const policy of policies) {
      const current = await client.getPolicy(policy.id);
      expect(current?.id).toBe(policy.id);
      await client.updatePolicy({ ...policy, name: `${policy.name} v2`, ...(current?._id ? { _id: current._id } : {}) });
    }
    await client.reload();
    expect((await client.listPolicies()).map((p) => p.id)).toEqual(expect.arrayContaining(policies.map((p) => p.id)));

    const [first, second] = PLANS;
    const productIds = PRODUCTS.slice(0, 2).map((p) => productPolicy(p, target).id);
    const sessions = [
      keySession(
        credential(
          first.id,
          PRODUCTS.slice(0, 2).map((p) => p.id),
        ),
        target,
        [...productIds, planPolicy(first, target).id],
      ),
      keySession(credential(second.id, [PRODUCTS[0].id], { expires_at: new Date(Date.now() + 86400_000), metadata: null }), target, [
        productIds[0],
        planPolicy(second, target).id,
      ]),
    ];
    for (const session of sessions) {
      const { keyHash } = await client.createKey(`pgk_${randomUUID().replace(/-/g, '')}`, session);
      expect(await client.getKey(keyHash)).not.toBeNull();
      await client.setKeyPolicies(keyHash, [productIds[1], planPolicy(PLANS[2], target).id]);
      expect(await client.deleteKey(keyHash)).toBe('deleted');
      expect(await client.deleteKey(keyHash)).toBe('absent');
      expect(await client.getKey(keyHash)).toBeNull();
    }
    for (const policy of policies) expect(await client.deletePolicy(policy.id)).toBe('deleted');
    await client.reload();
    expect(await client.deletePolicy(policies[0].id)).toBe('absent');
  }

  const checkRequest = (request: RecordedRequest) => checkGatewayRequest(spec, request);

  it('sends only documented Gateway operations, parameters and bodies (and the test server answers per the schema)', async () => {
    tyk.clearRequests();
    await exercise(new GatewayClient({ kind: 'TYK_GATEWAY', baseUrl: tyk.url, secret: tyk.secret, timeoutMs: 5000 }));
    const requests = tyk.requests.filter((r) => r.api === 'gateway');
    expect(requests.length).toBeGreaterThan(30);
    expect(requests.flatMap(checkRequest)).toEqual([]);
    // Every operation provider sync uses was exercised.
    const used = new Set(requests.map((r) => `${r.method} ${findOperation(spec, r.method, r.path)!.template}`));
    expect([...used].sort()).toEqual(
      [
        'DELETE /tyk/keys/{keyID}',
        'DELETE /tyk/policies/{polID}',
        'GET /tyk/keys/{keyID}',
        'GET /tyk/policies',
        'GET /tyk/policies/{polID}',
        'GET /tyk/reload',
        'GET /tyk/reload/group',
        'POST /tyk/keys/policy/{keyID}',
        'POST /tyk/keys/{keyID}',
        'POST /tyk/policies',
        'PUT /tyk/policies/{polID}',
      ].sort(),
    );
  });

  it('sends Dashboard bodies that validate against the same Policy and SessionState schemas', async () => {
    tyk.clearRequests();
    await exercise(new DashboardClient({ kind: 'TYK_DASHBOARD', baseUrl: tyk.url, secret: tyk.dashboardSecret, timeoutMs: 5000 }));
    const requests = tyk.requests.filter((r) => r.api === 'dashboard');
    const problems = requests.flatMap((request) => checkDashboardRequest(spec, request));
    expect(requests.filter((r) => r.body !== undefined).length).toBeGreaterThan(15);
    expect(problems).toEqual([]);
    expect(requests.some((r) => r.method === 'PUT' && r.path.startsWith('/api/keys/') && r.query.suppress_reset === '1')).toBe(true);
  });

  it('builds policy and key bodies that validate against the OpenAPI schemas for every plan and product shape', () => {
    const problems: string[] = [];
    for (const p of PLANS)
      problems.push(...validate(spec, { $ref: '#/components/schemas/Policy' }, planPolicy(p, target), '$', { strict: true }));
    for (const p of PRODUCTS)
      problems.push(...validate(spec, { $ref: '#/components/schemas/Policy' }, productPolicy(p, target), '$', { strict: true }));
    const session = keySession(credential(PLANS[0].id, []), target, ['a', 'b']);
    problems.push(...validate(spec, { $ref: '#/components/schemas/SessionState' }, session, '$', { strict: true }));
    expect(problems).toEqual([]);
    // The validator does catch mistakes.
    expect(
      validate(
        spec,
        { $ref: '#/components/schemas/Policy' },
        { ...planPolicy(PLANS[0], target), quota_max: 1.5, rate: 'x', quotaMax: 1 },
        '$',
        { strict: true },
      ),
    ).toHaveLength(3);
  });

  it("keeps the project's own schema of Tyk objects in line with the OpenAPI file", () => {
    const kindOf = (type: FieldType): string =>
      typeof type === 'string' ? type : 'array' in type ? 'array' : 'enum' in type ? 'string' : 'object';
    const compare = (name: string, ours: Record<string, FieldType>, known: string[]) => {
      const theirs = spec.components.schemas[name].properties as Record<string, any>;
      const problems: string[] = [];
      for (const [field, type] of Object.entries(ours)) {
        const declared = theirs[field];
        if (!declared) {
          if (!known.includes(field)) problems.push(`${name}.${field}: not in swagger.yml`);
          continue;
        }
        const schema = resolve(spec, declared);
        const resolved = schema.additionalProperties ? 'object' : (schema.type ?? 'object');
        const mine = kindOf(type);
        if (mine !== 'any' && resolved !== mine && !(mine === 'number' && resolved === 'integer'))
          problems.push(`${name}.${field}: ours ${mine}, swagger ${resolved}`);
      }
      for (const field of Object.keys(theirs)) if (!ours[field]) problems.push(`${name}.${field}: missing from our schema`);
      return problems;
    };
    // Fields our schema has that this OpenAPI file does not: `date_created` on policies (the
    // Dashboard API's), `mtls_static_certificate_bindings` on sessions (Tyk's Go `user.SessionState`).
    expect([
      ...compare('Policy', POLICY.fields, ['date_created']),
      ...compare('SessionState', SESSION_STATE.fields, ['mtls_static_certificate_bindings']),
      ...compare('AccessDefinition', ACCESS_DEFINITION.fields, []),
    ]).toEqual([]);
  });
});
