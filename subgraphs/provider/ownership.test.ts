/**
 * Who owns which field of a policy in Tyk (docs/PROVIDER-SYNC.md, "Who owns what"):
 *
 * - a policy imported from Tyk (dashboard-first) stays Tyk's: when the portal edits its plan or
 *   product, it changes only the fields the portal models and keeps what an operator set there —
 *   path permissions and API versions of the APIs that stay, throttling, query depth, flags,
 *   other tags and metadata entries;
 * - a policy the portal created (portal-first) is the portal's whole: an operator's path
 *   permissions or throttling on it are undone by the next provider sync, and `sync` says so.
 */
import {
  compact,
  createPlan,
  createProduct,
  mutate,
  planPolicyIdOf,
  productPolicyIdOf,
  startHarness,
  waitFor,
  waitForIdle,
  waitForLink,
  type Harness,
} from '../../test/kit/provider';

const SYNC = `mutation($input: SyncProviderInput!) { syncProvider(input: $input) { result { newPolicies repairedPolicies } errors { code message } } }`;

describe('provider sync: who owns which field of a policy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ with: ['products', 'plans'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const syncProvider = async () => {
    const response = await h.gql('provider', SYNC, { input: { id: h.providerId } }, h.admin);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    expect(response.data.syncProvider.errors).toEqual([]);
    return response.data.syncProvider.result;
  };
  const subjectOf = async (policyId: string): Promise<string> =>
    waitFor(
      async () =>
        (
          await h.sql(`select subject_id from provider.imported_policy where provider_id = ? and policy_id = ?`, [h.providerId, policyId])
        )[0]?.subject_id,
      { what: `the import of ${policyId}` },
    );
  const operatorPolicy = (id: string, overrides: Record<string, unknown>) => ({
    id,
    name: id,
    org_id: h.tyk.orgId,
    rate: 0,
    per: 0,
    quota_max: 0,
    quota_renewal_rate: 0,
    throttle_interval: 10,
    throttle_retry_limit: 3,
    max_query_depth: 5,
    access_rights: {},
    tags: ['plangraph', 'ops-team'],
    meta_data: { cost_center: 'ops-42' },
    active: true,
    hmac_enabled: true,
    ...overrides,
  });

  it('keeps what an operator set on an imported product policy when the portal edits the product', async () => {
    const paths = [
      { url: '/charges', methods: ['GET', 'POST'] },
      { url: '/refunds', methods: ['GET'] },
    ];
    h.tyk.putPolicyDirect(
      operatorPolicy('ops-payments', {
        name: 'Payments',
        partitions: { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false },
        access_rights: { 'pay-api': { api_id: 'pay-api', api_name: 'Payments API', versions: ['v2'], allowed_urls: paths } },
      }),
    );
    expect((await syncProvider()).newPolicies).toBe(1);
    const productId = await subjectOf('ops-payments');
    await waitFor(async () => (await h.sql(`select 1 from products.product where id = ?`, [productId])).length === 1, {
      timeoutMs: 30_000,
      what: 'the imported product',
    });
    const before = h.tyk.policy('ops-payments')!;

    // The portal renames the product and adds a Tyk API to it.
    await mutate(h, 'products', 'updateProduct', 'UpdateProductInput', 'product { id }', {
      id: productId,
      name: 'Payments (portal)',
      tykApiIds: ['pay-api', 'payouts-api'],
    });
    const after = await waitFor(
      () => {
        const policy = h.tyk.policy('ops-payments');
        return policy?.name === 'Payments (portal)' && policy.access_rights['payouts-api'] ? policy : null;
      },
      { timeoutMs: 30_000, what: 'the product edit to reach the imported policy' },
    );
    await waitForLink(h, 'PRODUCT', productId, (row) => row.status === 'SYNCED');
    // Owned by the portal: the name, the set of APIs (a new one with every path).
    expect(after.access_rights['payouts-api']).toMatchObject({ api_id: 'payouts-api', allowed_urls: [] });
    // Kept from Tyk: the operator's path permissions and version of the API that stayed, and the rest.
    expect(after.access_rights['pay-api']).toEqual(before.access_rights['pay-api']);
    expect(after).toMatchObject({
      throttle_interval: 10,
      throttle_retry_limit: 3,
      max_query_depth: 5,
      hmac_enabled: true,
      meta_data: { cost_center: 'ops-42' },
    });
    expect(after.tags.sort()).toEqual(['ops-team', 'plangraph', 'team-x']);
  });

  it('keeps what an operator set on an imported plan policy when the portal edits the plan', async () => {
    h.tyk.putPolicyDirect(
      operatorPolicy('ops-gold', {
        name: 'Ops Gold',
        partitions: { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false },
        quota_max: 5000,
        quota_renewal_rate: 86400,
        rate: 50,
        per: 60,
        // Not applied (acl partition off), but the operator's: kept as it is.
        access_rights: { 'pay-api': { api_id: 'pay-api', api_name: 'Payments API', versions: ['v2'], allowed_urls: [] } },
      }),
    );
    expect((await syncProvider()).newPolicies).toBe(1);
    const planId = await subjectOf('ops-gold');
    await waitFor(async () => (await h.sql(`select 1 from plans.plan where id = ?`, [planId])).length === 1, {
      timeoutMs: 30_000,
      what: 'the imported plan',
    });
    const before = h.tyk.policy('ops-gold')!;

    await mutate(h, 'plans', 'updatePlan', 'UpdatePlanInput', 'plan { id }', { id: planId, quota: { requests: 7000, period: 'DAY' } });
    const after = await waitFor(() => (h.tyk.policy('ops-gold')?.quota_max === 7000 ? h.tyk.policy('ops-gold') : null), {
      timeoutMs: 30_000,
      what: 'the plan edit to reach the imported policy',
    });
    expect(after).toMatchObject({
      quota_renewal_rate: 86400,
      rate: 50,
      per: 60,
      throttle_interval: 10,
      throttle_retry_limit: 3,
      max_query_depth: 5,
      hmac_enabled: true,
      access_rights: before.access_rights,
      meta_data: { cost_center: 'ops-42' },
    });
    expect(after.tags.sort()).toEqual(['ops-team', 'plangraph', 'team-x']);
  });

  it("undoes an operator's path permissions and throttling on a portal-owned policy, and says so in sync", async () => {
    const product = await createProduct(h, { tykApiIds: ['maps-api'] });
    const policyId = productPolicyIdOf(product.id);
    await waitForLink(h, 'PRODUCT', product.id, (row) => row.status === 'SYNCED');
    await waitForIdle(h);
    const portal = h.tyk.policy(policyId)!;
    h.tyk.putPolicyDirect({
      ...portal,
      throttle_interval: 10,
      access_rights: { 'maps-api': { ...portal.access_rights['maps-api'], allowed_urls: [{ url: '/tiles', methods: ['GET'] }] } },
    });
    expect((await syncProvider()).repairedPolicies).toBe(1);
    await waitFor(() => JSON.stringify(h.tyk.policy(policyId)) === JSON.stringify(portal), {
      timeoutMs: 30_000,
      what: 'the portal-owned policy to be restored',
    });
    const SYNC_STATE = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { sync { status repairs lastRepairReason } } } }`;
    const seen = await waitFor(
      async () => {
        const sync = (await h.gql('provider', SYNC_STATE, { reps: [{ __typename: 'Product', id: product.id }] }, h.admin)).data._entities[0]
          .sync;
        return sync.status === 'SYNCED' ? sync : null;
      },
      { what: 'the product to be in sync' },
    );
    expect(seen).toEqual({ status: 'SYNCED', repairs: 1, lastRepairReason: 'Changed in the provider: throttle_interval, access_rights.' });
  });
  it('restores the tags an operator removed from portal-owned policies: the portal wrote them, so they stay its own', async () => {
    const product = await createProduct(h, { tykApiIds: ['tiles-api'] });
    const plan = await createPlan(h, { endpointRules: [{ productId: product.id, allow: [{ path: '/tiles', methods: ['GET'] }] }] });
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED' && row.rule_policy_ids.length === 1);
    await waitForIdle(h);
    const ids = [planPolicyIdOf(plan.id), `pg-rules-${compact(plan.id)}-${compact(product.id)}`];
    const portal = ids.map((id) => h.tyk.policy(id)!);
    for (const policy of portal) h.tyk.putPolicyDirect({ ...policy, tags: ['ops-team'] });
    expect((await syncProvider()).repairedPolicies).toBe(1);
    await waitFor(() => ids.every((id, i) => JSON.stringify(h.tyk.policy(id)) === JSON.stringify(portal[i])), {
      timeoutMs: 30_000,
      what: 'both policies to get their tags back',
    });
    const link = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED' && row.repairs === 1);
    expect(link.last_repair_reason).toBe(`Changed in the provider: tags, ${ids[1]}.tags.`);
  });
});
