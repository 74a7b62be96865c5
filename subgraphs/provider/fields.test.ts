/**
 * Every plan field, changed alone, reaches Tyk — or, for the fields that are the portal's own
 * business, provably does not. Tyk's own portal once lost edits that changed only the key
 * lifetime or only the metadata (its sync compared a subset of the fields); here each row of
 * the table changes exactly one field of a published plan with an issued key and a JWT scope
 * mapping, waits until the provider has nothing left to do, and compares the whole of what Tyk
 * holds for the plan (its policy, JWT policy, endpoint-rule policy, the product's policy, the
 * key as stored and as enforced, the API's scope mapping) with the state before plus exactly the
 * change the row expects. The write requests Tyk received are compared too.
 *
 * Where Tyk applies a field: a policy's limits, metadata and access rights reach existing keys
 * on the policy reload; `key_expires_in` is applied by Tyk when a key is created, so a new key
 * lifetime reaches new keys and leaves existing keys' expiry alone (checked below).
 */
import { jwtPolicyId } from './tyk/scopes';
import {
  compact,
  createProduct,
  credentialContractFixture,
  enqueue,
  insertCredential,
  mutate,
  planPolicyIdOf,
  productPolicyIdOf,
  startHarness,
  unique,
  waitFor,
  waitForIdle,
  waitForLink,
  type FixtureCredential,
  type Harness,
} from '../../test/kit/provider';

const JWT_API = 'fields-jwt-api';
const KEY_API = 'fields-key-api';

type Json = Record<string, any>;

interface Snapshot {
  plan: Json;
  jwt: Json | null;
  rules: Json | null;
  product: Json;
  keyStored: Json;
  keyApplied: Json;
  scopes: Record<string, string>;
}

interface Row {
  field: string;
  change: () => Record<string, unknown>;
  /** Applies the change the row expects to a copy of the state before (asymmetric matchers allowed). */
  expect: (state: Snapshot) => void;
  /** The write requests Tyk must receive ("METHOD path"), in any order, duplicates collapsed. */
  writes: () => string[];
  after?: () => Promise<void>;
}

describe('provider sync: each plan field, changed alone', () => {
  let h: Harness;
  let planId: string;
  let productId: string;
  let catalogs: string[];
  let key: FixtureCredential;
  let keyHash: string;
  let version: number;
  /** Keys issued by rows of the table (after the first one). */
  const laterKeys: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      with: ['products', 'plans'],
      beforeProvider: credentialContractFixture,
      tyk: { apis: [{ apiId: JWT_API, listenPath: `/${JWT_API}/`, jwt: { signingMethod: 'hmac', source: 'fields-secret' } }] },
    });
    productId = (await createProduct(h, { tykApiIds: [JWT_API, KEY_API], status: 'PUBLISHED' })).id;
    catalogs = [];
    for (let i = 0; i < 2; i++) {
      const created = await mutate(h, 'products', 'createCatalog', 'CreateCatalogInput', 'catalog { id }', {
        name: unique('catalog'),
        visibility: 'PUBLIC',
        productIds: [productId],
      });
      catalogs.push(created.catalog.id);
    }
    const plan = await mutate(h, 'plans', 'createPlan', 'CreatePlanInput', 'plan { id version }', {
      name: unique('fields'),
      displayName: 'Fields',
      status: 'PUBLISHED',
      catalogIds: [catalogs[0]],
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 10, perSeconds: 1 },
      keyExpiresAfterSeconds: 3600,
      credentialMetadata: [{ key: 'tier', value: 'gold' }],
      jwtScopes: ['fields:read'],
    });
    planId = plan.plan.id;
    version = plan.plan.version;
    key = await insertCredential(h, planId, [productId]);
    await enqueue(h, 'provider.issueKey', { credentialId: key.id }, `key:${key.id}`);
    await settled();
    keyHash = (await h.sql(`select key_hash from provider.credential_key where credential_id = ?`, [key.id]))[0].key_hash;
    expect(keyHash).toMatch(/^[0-9a-f]{16}$/);
    expect(h.tyk.scopeMapping(JWT_API)).toEqual({ 'fields:read': jwtPolicyId(planId) });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  const planPolicy = () => planPolicyIdOf(planId);
  const rulesPolicy = () => `pg-rules-${compact(planId)}-${compact(productId)}`;

  /** Waits until the plan's version is in Tyk and no provider job (but the periodic one) waits or runs. */
  async function settled(): Promise<void> {
    await waitForLink(h, 'PLAN', planId, (row) => row.status === 'SYNCED' && row.synced_version === version, 'the plan sync', 60_000);
    await waitForIdle(h);
  }

  const ENFORCED = ['access_rights', 'apply_policies', 'expires', 'meta_data', 'per', 'quota_max', 'quota_renewal_rate', 'rate', 'tags'];
  function snapshot(): Snapshot {
    const applied = h.tyk.keySession(keyHash)!;
    return structuredClone({
      plan: h.tyk.policy(planPolicy())!,
      jwt: h.tyk.policy(jwtPolicyId(planId)) ?? null,
      rules: h.tyk.policy(rulesPolicy()) ?? null,
      product: h.tyk.policy(productPolicyIdOf(productId))!,
      keyStored: h.tyk.storedSession(keyHash)!,
      keyApplied: Object.fromEntries(ENFORCED.map((field) => [field, applied[field] ?? null])),
      scopes: h.tyk.scopeMapping(JWT_API),
    });
  }

  const policyWrite = (id: string) => `PUT /tyk/policies/${id}`;
  const premium = [{ url: '/premium', methods: ['GET'] }];

  const rows: Row[] = [
    {
      field: 'quota',
      change: () => ({ quota: { requests: 777, period: 'HOUR' } }),
      expect: (s) => {
        for (const policy of [s.plan, s.jwt!]) Object.assign(policy, { quota_max: 777, quota_renewal_rate: 3600 });
        Object.assign(s.keyApplied, { quota_max: 777, quota_renewal_rate: 3600 });
      },
      writes: () => [policyWrite(planPolicy()), policyWrite(jwtPolicyId(planId))],
    },
    {
      field: 'rateLimit',
      change: () => ({ rateLimit: { requests: 33, perSeconds: 2 } }),
      expect: (s) => {
        for (const policy of [s.plan, s.jwt!]) Object.assign(policy, { rate: 33, per: 2 });
        Object.assign(s.keyApplied, { rate: 33, per: 2 });
      },
      writes: () => [policyWrite(planPolicy()), policyWrite(jwtPolicyId(planId))],
    },
    {
      field: 'keyExpiresAfterSeconds',
      change: () => ({ keyExpiresAfterSeconds: 7200 }),
      // The plan policy carries it; the existing key keeps its expiry (Tyk applies it at creation).
      expect: (s) => {
        s.plan.key_expires_in = 7200;
      },
      writes: () => [policyWrite(planPolicy())],
      after: async () => {
        const fresh = await insertCredential(h, planId, [productId]);
        await enqueue(h, 'provider.issueKey', { credentialId: fresh.id }, `key:${fresh.id}`);
        await settled();
        const [row] = await h.sql(`select key_hash from provider.credential_key where credential_id = ?`, [fresh.id]);
        laterKeys.push(row.key_hash);
        const expires = h.tyk.keySession(row.key_hash)!.expires;
        expect(Math.abs(expires - (Math.floor(Date.now() / 1000) + 7200))).toBeLessThan(60);
      },
    },
    {
      field: 'credentialMetadata',
      change: () => ({
        credentialMetadata: [
          { key: 'tier', value: 'gold' },
          { key: 'support', value: '24x7' },
        ],
      }),
      expect: (s) => {
        for (const meta of [s.plan.meta_data, s.jwt!.meta_data, s.keyApplied.meta_data]) meta.support = '24x7';
      },
      writes: () => [policyWrite(planPolicy()), policyWrite(jwtPolicyId(planId))],
    },
    {
      field: 'quotaScope',
      change: () => ({ quotaScope: 'APP' }),
      // Counters keyed on the application: the plan policy's pattern, merged into the key. JWT sessions have no app.
      expect: (s) => {
        for (const meta of [s.plan.meta_data, s.keyApplied.meta_data]) meta.rate_limit_pattern = '$tyk_meta.ApplicationID';
      },
      writes: () => [policyWrite(planPolicy())],
    },
    {
      field: 'name',
      change: () => ({ name: `renamed-${compact(planId).slice(0, 8)}` }),
      expect: (s) => {
        s.plan.name = `renamed-${compact(planId).slice(0, 8)}`;
        s.jwt!.name = `renamed-${compact(planId).slice(0, 8)} (JWT scopes)`;
      },
      writes: () => [policyWrite(planPolicy()), policyWrite(jwtPolicyId(planId))],
    },
    {
      field: 'jwtScopes',
      change: () => ({ jwtScopes: ['fields:read', 'fields:write'] }),
      expect: (s) => {
        s.scopes['fields:write'] = jwtPolicyId(planId);
      },
      writes: () => [`PUT /tyk/apis/${JWT_API}`],
    },
    {
      field: 'endpointRules',
      change: () => ({ endpointRules: [{ productId, allow: [{ path: '/premium', methods: ['GET'] }] }] }),
      // A restriction policy next to the product's; the key gets it; the JWT policy carries the paths itself.
      expect: (s) => {
        s.rules = expect.objectContaining({
          id: rulesPolicy(),
          tags: ['plangraph', 'team-x'],
          partitions: expect.objectContaining({ acl: true, quota: false, rate_limit: false }),
          access_rights: {
            [JWT_API]: expect.objectContaining({ api_id: JWT_API, allowed_urls: premium }),
            [KEY_API]: expect.objectContaining({ api_id: KEY_API, allowed_urls: premium }),
          },
        });
        const policies = [productPolicyIdOf(productId), rulesPolicy(), planPolicy()];
        s.keyStored.apply_policies = policies;
        s.keyApplied.apply_policies = policies;
        for (const api of [JWT_API, KEY_API]) {
          // Tyk's merge of the two ACL policies (test/tyk/merge.ts) leaves empty GraphQL type lists.
          Object.assign(s.keyApplied.access_rights[api], { allowed_urls: premium, allowed_types: [], restricted_types: [] });
          s.jwt!.access_rights[api].allowed_urls = premium;
        }
      },
      writes: () => [
        'POST /tyk/policies',
        // Every live key of the plan gets the restriction policy, the one issued by an earlier row too.
        ...[keyHash, ...laterKeys].map((hash) => `POST /tyk/keys/policy/${hash}`),
        policyWrite(jwtPolicyId(planId)),
        // The reload also re-reads the API definitions, written back unchanged.
      ],
    },
  ];

  /** Fields that are the portal's own business: changing one alone writes nothing to Tyk. */
  const portalOnly: [string, () => Record<string, unknown>][] = [
    // Catalogue visibility decides who may see the plan and request access (the portal enforces
    // it); Tyk has no catalogue, and keys already issued keep working when a catalogue changes.
    ['catalogIds', () => ({ catalogIds: [catalogs[1]] })],
    ['displayName', () => ({ displayName: 'Fields (renamed)' })],
    ['description', () => ({ description: 'Now with a description.' })],
    ['tier', () => ({ tier: 3 })],
    ['autoApprove', () => ({ autoApprove: true })],
    ['trialDays', () => ({ trialDays: 14 })],
    ['accessRequestLimit', () => ({ accessRequestLimit: { allowance: 5, renewalSeconds: 3600 } })],
  ];

  async function change(input: Record<string, unknown>): Promise<void> {
    const updated = await mutate(h, 'plans', 'updatePlan', 'UpdatePlanInput', 'plan { id version }', { id: planId, ...input });
    expect(updated.plan.version).toBe(version + 1);
    version = updated.plan.version;
    await settled();
  }

  const writesSeen = () => [...new Set(h.tyk.writes().map((r) => `${r.method} ${r.path}`))].sort();

  it.each(rows.map((row) => [row.field, row] as const))('%s reaches Tyk, and nothing else changes', async (_field, row) => {
    const before = snapshot();
    h.tyk.clearRequests();
    await change(row.change());
    const expected = structuredClone(before);
    row.expect(expected);
    expect(snapshot()).toEqual(expected);
    expect(writesSeen()).toEqual([...new Set(row.writes())].sort());
    await row.after?.();
  });

  it.each(portalOnly)('%s stays in the portal: Tyk is read, not written', async (_field, input) => {
    const before = snapshot();
    h.tyk.clearRequests();
    await change(input());
    expect(snapshot()).toEqual(before);
    expect(writesSeen()).toEqual([]);
    // The sync did run (it read the policy), it just had nothing to write.
    expect(h.tyk.requests.some((r) => r.method === 'GET' && r.path === `/tyk/policies/${planPolicy()}`)).toBe(true);
  });
  it("never overwrites a JWT policy without the portal's tags that the portal did not write", async () => {
    const other = await mutate(h, 'plans', 'createPlan', 'CreatePlanInput', 'plan { id }', {
      name: unique('other'),
      displayName: 'Other',
      status: 'PUBLISHED',
      catalogIds: [catalogs[0]],
      jwtScopes: ['fields:other'],
    });
    const otherId = other.plan.id as string;
    const foreignId = jwtPolicyId(otherId);
    // An operator's policy under the id the portal would give the plan's JWT policy.
    h.tyk.putPolicyDirect({ ...h.tyk.policy(jwtPolicyId(planId))!, id: foreignId, name: 'ops', tags: ['ops'], quota_max: 5 });
    const before = JSON.stringify([h.tyk.policyFiles.get(foreignId), h.tyk.policy(foreignId)]);
    const mapping = h.tyk.scopeMapping(JWT_API);
    const mark = h.tyk.history.length;

    // A key under the plan makes its scopes due on the API: the scope sync stops at the foreign policy.
    const credential = await insertCredential(h, otherId, [productId]);
    await enqueue(h, 'provider.issueKey', { credentialId: credential.id }, `key:${credential.id}`);
    const [link] = await waitFor(
      async () => {
        const rows = await h.sql(`select status, last_error from provider.api_scope_link where api_id = ? and status = 'FAILED'`, [
          JWT_API,
        ]);
        return rows.length ? rows : null;
      },
      { timeoutMs: 60_000, what: 'the scope sync to refuse the foreign policy' },
    );
    expect(link.last_error).toContain(`${foreignId} without the portal's policy tags`);
    expect(JSON.stringify([h.tyk.policyFiles.get(foreignId), h.tyk.policy(foreignId)])).toBe(before);
    expect(h.tyk.scopeMapping(JWT_API)).toEqual(mapping);
    const touching = h.tyk.history
      .slice(mark)
      .filter((r) => r.method !== 'GET' && (r.path.endsWith(`/${foreignId}`) || (r.body as { id?: string } | undefined)?.id === foreignId));
    expect(touching).toEqual([]);
  });
});
