/**
 * Dashboard-first import end to end, with the real plans and products job handlers: policies
 * found in Tyk become bare DRAFT plans/products, a policy renamed in Tyk renames its plan on the
 * next sync, and a second run changes nothing. (import.test.ts checks what provider sends, with
 * the owners' workers off.)
 */
import { startHarness, waitFor, type Harness } from '../../test/kit/provider';

const SYNC = `mutation($input: SyncProviderInput!) { syncProvider(input: $input) {
  result { newPolicies renamedPolicies updatedPolicies missingPolicies linkedPolicies unchangedPolicies } errors { code message } } }`;
const IMPORTED = `query($id: ID!) { provider(id: $id) { importedPolicies(first: 50) { edges { node { policyId kind subjectId state } } } } }`;

function policy(id: string, overrides: Record<string, unknown>) {
  return {
    id,
    name: id,
    org_id: 'org-y',
    rate: 0,
    per: 0,
    quota_max: 0,
    quota_renewal_rate: 0,
    access_rights: {},
    partitions: { quota: false, rate_limit: false, acl: false, complexity: false, per_api: false },
    tags: ['plangraph'],
    meta_data: {},
    active: true,
    ...overrides,
  };
}

describe('provider sync: dashboard-first import with the plans and products handlers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ with: ['products', 'plans'], tyk: { orgId: 'org-y' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const sync = async () => {
    const response = await h.gql('provider', SYNC, { input: { id: h.providerId } }, h.admin);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    expect(response.data.syncProvider.errors).toEqual([]);
    return response.data.syncProvider.result;
  };
  const subjectOf = async (policyId: string) =>
    (await h.gql('provider', IMPORTED, { id: h.providerId }, h.admin)).data.provider.importedPolicies.edges
      .map((e: any) => e.node)
      .find((n: any) => n.policyId === policyId);

  it('creates bare plans and products, follows a rename, and is idempotent', async () => {
    h.tyk.putPolicyDirect(
      policy('bronze-us', {
        name: 'Bronze US',
        partitions: { quota: true, rate_limit: true },
        quota_max: 1000,
        quota_renewal_rate: 86400,
        rate: 5,
        per: 1,
      }),
    );
    h.tyk.putPolicyDirect(
      policy('maps-access', {
        name: 'Maps API',
        partitions: { acl: true },
        access_rights: { 'maps-api': { api_id: 'maps-api', versions: ['Default'] } },
      }),
    );
    expect(await sync()).toMatchObject({ newPolicies: 2 });
    const plan = await subjectOf('bronze-us');
    const product = await subjectOf('maps-access');

    const planRow = await waitFor(
      async () =>
        (
          await h.sql(`select name, display_name, status, quota_requests, quota_period, rate_requests from plans.plan where id = ?`, [
            plan.subjectId,
          ])
        )[0],
      {
        timeoutMs: 15_000,
        what: 'the imported plan',
      },
    );
    expect(planRow).toEqual({
      name: 'Bronze US',
      display_name: 'Bronze US',
      status: 'DRAFT',
      quota_requests: 1000,
      quota_period: 'DAY',
      rate_requests: 5,
    });
    const productRow = await waitFor(
      async () => (await h.sql(`select slug, name, status, tyk_api_ids from products.product where id = ?`, [product.subjectId]))[0],
      {
        timeoutMs: 15_000,
        what: 'the imported product',
      },
    );
    expect(productRow).toEqual({ slug: 'maps-api', name: 'Maps API', status: 'DRAFT', tyk_api_ids: ['maps-api'] });

    await waitFor(async () => (await sync()).linkedPolicies === 2 || (await subjectOf('bronze-us')).state === 'LINKED', {
      timeoutMs: 15_000,
      what: 'the policies to be linked',
    });
    expect(await sync()).toMatchObject({ newPolicies: 0, renamedPolicies: 0, updatedPolicies: 0, linkedPolicies: 0, unchangedPolicies: 2 });
    // No write went back to Tyk for the imports.
    expect(h.tyk.writes()).toEqual([]);

    // Renamed in Tyk: the plan follows on the next sync.
    h.tyk.putPolicyDirect({ ...h.tyk.policy('bronze-us')!, name: 'Bronze Americas' });
    expect(await sync()).toMatchObject({ renamedPolicies: 1 });
    await waitFor(async () => (await h.sql(`select name from plans.plan where id = ?`, [plan.subjectId]))[0]?.name === 'Bronze Americas', {
      timeoutMs: 15_000,
      what: 'the plan to be renamed',
    });
    const [renamed] = await h.sql(`select display_name, version from plans.plan where id = ?`, [plan.subjectId]);
    expect(renamed).toEqual({ display_name: 'Bronze Americas', version: 2 });
    await waitFor(async () => (await subjectOf('bronze-us')).state === 'LINKED' || (await sync()).linkedPolicies === 1, {
      timeoutMs: 15_000,
      what: 'the renamed policy to be linked again',
    });
    expect(await sync()).toMatchObject({ renamedPolicies: 0, updatedPolicies: 0, newPolicies: 0 });
    const [still] = await h.sql(`select version from plans.plan where id = ?`, [plan.subjectId]);
    expect(still.version).toBe(2);
  });
});
