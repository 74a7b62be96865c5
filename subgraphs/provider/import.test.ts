/**
 * Dashboard-first: `syncProvider` imports partitioned policies carrying the provider's tags,
 * detects renames and disappearance, is idempotent, and repairs portal-owned policies edited or
 * deleted in Tyk. Also: plans created before any provider exists are PENDING, then synced.
 *
 * The plans/products side of the import (`plans.importPolicy`, `products.importPolicy`) belongs to
 * those subgraphs; here the test plays their part by creating the plan/product rows with the id
 * the import chose and completing the job.
 */
import { randomUUID } from 'node:crypto';
import { contractProblems, loadSpec } from '../../test/tyk/openapi';
import {
  createPlan,
  developer,
  enqueue,
  planPolicyIdOf,
  queuedJobs,
  registerTyk,
  startHarness,
  syncOf,
  waitFor,
  waitForIdle,
  waitForLink,
  type Harness,
} from '../../test/kit/provider';

const SYNC = `mutation($input: SyncProviderInput!) { syncProvider(input: $input) {
  provider { id } result { newPolicies renamedPolicies updatedPolicies missingPolicies linkedPolicies unchangedPolicies repairedPolicies }
  errors { code field message } } }`;

const IMPORTED = `query($id: ID!, $state: ImportedPolicyState) { provider(id: $id) {
  importedPolicies(first: 50, state: $state) { totalCount edges { node { id policyId kind subjectId name previousName state missingSince } } pageInfo { hasNextPage } } } }`;

function policy(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: id,
    org_id: 'org-x',
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

describe('provider sync: dashboard-first import', () => {
  let h: Harness;
  beforeAll(async () => {
    // The plans and products workers are off: this test plays their part to see exactly what provider sends.
    h = await startHarness({ with: ['products', 'plans'], ownerJobs: false, register: false, tyk: { orgId: 'org-x' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const sync = async (identity = h.admin) => {
    const response = await h.gql('provider', SYNC, { input: { id: h.providerId } }, identity);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data.syncProvider;
  };
  const imported = async (state?: string) => {
    const response = await h.gql('provider', IMPORTED, { id: h.providerId, state: state ?? null }, h.admin);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data.provider.importedPolicies;
  };
  const byPolicy = async (policyId: string) => (await imported()).edges.map((e: any) => e.node).find((n: any) => n.policyId === policyId);
  /** Plays the plans/products subgraph: creates the subject the import asked for, completes the job. */
  const handleImports = async () => {
    for (const task of ['plans.importPolicy', 'products.importPolicy']) {
      for (const job of await queuedJobs(h, task)) {
        if (task === 'plans.importPolicy') {
          await h.sql(
            `insert into plans.plan (id, name, display_name) values (?, ?, ?) on conflict (id) do update set name = excluded.name, display_name = excluded.display_name`,
            [job.payload.planId, job.payload.name, job.payload.name],
          );
        } else {
          await h.sql(
            `insert into products.product (id, slug, name, display_name, tyk_api_ids) values (?, ?, ?, ?, ?::text[]) on conflict (id) do update set name = excluded.name`,
            [
              job.payload.productId,
              `imported-${job.payload.productId}`,
              job.payload.name,
              job.payload.name,
              `{${job.payload.tykApiIds.join(',')}}`,
            ],
          );
        }
        await h.sql(`select graphile_worker.complete_jobs(array[?::bigint])`, [job.id]);
      }
    }
  };

  it('keeps plans PENDING while no provider exists, then syncs them to the first one registered', async () => {
    const plan = await createPlan(h);
    const pending = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'PENDING' && row.last_error !== null);
    expect(pending.provider_id).toBeNull();
    expect(pending.last_error).toContain('registerProvider');
    const seen = await syncOf(h, 'Plan', plan.id);
    expect(seen).toMatchObject({ sync: { status: 'PENDING', providerId: null, externalId: planPolicyIdOf(plan.id) }, provider: null });

    h.providerId = await registerTyk(h, h.tyk);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED' && row.provider_id === h.providerId);
    expect(h.tyk.policy(planPolicyIdOf(plan.id))).toBeDefined();
    // The first periodic sync is scheduled one interval (PROVIDER_SYNC_INTERVAL_SECONDS, default 600) after registration.
    const periodic = await queuedJobs(h, 'provider.syncProvider');
    expect(periodic).toEqual([expect.objectContaining({ key: `provider-sync:${h.providerId}`, payload: { providerId: h.providerId } })]);
    expect(new Date(periodic[0].run_at).getTime()).toBeGreaterThan(Date.now() + 300 * 1000);
  });

  it('imports tagged partitioned policies as bare plans and products, idempotently, and follows renames and deletions', async () => {
    h.tyk.putPolicyDirect(
      policy('gold-eu', {
        name: 'Gold EU',
        partitions: { quota: true, rate_limit: true, acl: false },
        quota_max: 5000,
        quota_renewal_rate: 2592000,
        rate: 50,
        per: 60,
        key_expires_in: 86400,
        meta_data: { region: 'eu' },
        throttle_interval: 10,
        throttle_retry_limit: 3,
      }),
    );
    h.tyk.putPolicyDirect(
      policy('payments-access', {
        name: 'Payments',
        partitions: { acl: true },
        access_rights: {
          'pay-api': {
            api_id: 'pay-api',
            api_name: 'Payments API',
            versions: ['v2'],
            allowed_urls: [{ url: '/charges', methods: ['GET'] }],
          },
        },
      }),
    );
    h.tyk.putPolicyDirect(policy('untagged', { tags: ['other'], partitions: { quota: true } }));
    h.tyk.putPolicyDirect(policy('whole-policy', { partitions: { quota: false, rate_limit: false, acl: false } }));
    h.tyk.putPolicyDirect(policy('mixed', { partitions: { quota: true, acl: true } }));
    h.tyk.putPolicyDirect(policy('per-api', { partitions: { per_api: true } }));
    h.tyk.putPolicyDirect(policy(`pg-plan-${randomUUID().replace(/-/g, '')}`, { partitions: { quota: true } })); // portal-named, unknown here
    h.tyk.putPolicyDirect(policy('legacy policy', { partitions: { quota: true } })); // id Tyk 5.13+ refuses
    h.tyk.clearRequests();

    const first = await sync();
    expect(first.errors).toEqual([]);
    expect(first.result).toMatchObject({ newPolicies: 2, renamedPolicies: 0, missingPolicies: 0 });
    const list = await imported();
    expect(list.totalCount).toBe(2);
    const gold = await byPolicy('gold-eu');
    const payments = await byPolicy('payments-access');
    expect(gold).toMatchObject({ kind: 'PLAN', name: 'Gold EU', state: 'NEW', previousName: null });
    expect(payments).toMatchObject({ kind: 'PRODUCT', name: 'Payments', state: 'NEW' });

    const planJobs = await queuedJobs(h, 'plans.importPolicy');
    expect(planJobs).toEqual([
      expect.objectContaining({
        key: `import:${h.providerId}:gold-eu`,
        payload: {
          providerId: h.providerId,
          policyId: 'gold-eu',
          planId: gold.subjectId,
          name: 'Gold EU',
          quota: { requests: 5000, periodSeconds: 2592000 },
          rateLimit: { requests: 50, perSeconds: 60 },
          keyExpiresAfterSeconds: 86400,
          credentialMetadata: [{ key: 'region', value: 'eu' }],
          reason: 'NEW',
        },
      }),
    ]);
    const productJobs = await queuedJobs(h, 'products.importPolicy');
    expect(productJobs).toEqual([
      expect.objectContaining({
        payload: {
          providerId: h.providerId,
          policyId: 'payments-access',
          productId: payments.subjectId,
          name: 'Payments',
          tykApiIds: ['pay-api'],
          reason: 'NEW',
        },
      }),
    ]);
    // Reading only: no writes to Tyk; the portal's own policy is not imported.
    expect(h.tyk.writes()).toEqual([]);

    // Idempotent: a second run changes nothing and sends nothing.
    const second = await sync();
    expect(second.result).toMatchObject({
      newPolicies: 0,
      renamedPolicies: 0,
      missingPolicies: 0,
      linkedPolicies: 0,
      updatedPolicies: 0,
      unchangedPolicies: 2,
      repairedPolicies: 0,
    });
    expect(await queuedJobs(h, 'plans.importPolicy')).toHaveLength(1);
    expect(await queuedJobs(h, 'products.importPolicy')).toHaveLength(1);
    expect((await imported()).edges.map((e: any) => e.node.state).sort()).toEqual(['NEW', 'NEW']);

    // The owners create the plan and product: the next run links them.
    await handleImports();
    expect((await sync()).result).toMatchObject({ linkedPolicies: 2, newPolicies: 0 });
    expect(await byPolicy('gold-eu')).toMatchObject({ state: 'LINKED' });
    expect((await syncOf(h, 'Plan', gold.subjectId)).sync).toMatchObject({
      status: 'SYNCED',
      externalId: 'gold-eu',
      providerId: h.providerId,
    });
    expect((await sync()).result).toMatchObject({ linkedPolicies: 0, unchangedPolicies: 2, newPolicies: 0 });

    // Renamed in Tyk: the plan is renamed through the same job.
    h.tyk.putPolicyDirect({ ...h.tyk.policy('gold-eu')!, name: 'Gold Europe' });
    expect((await sync()).result).toMatchObject({ renamedPolicies: 1 });
    expect(await byPolicy('gold-eu')).toMatchObject({ state: 'RENAMED', name: 'Gold Europe', previousName: 'Gold EU' });
    expect((await queuedJobs(h, 'plans.importPolicy')).map((j) => j.payload)).toEqual([
      expect.objectContaining({ planId: gold.subjectId, name: 'Gold Europe', reason: 'RENAMED' }),
    ]);
    await handleImports();
    expect((await sync()).result).toMatchObject({ linkedPolicies: 1, renamedPolicies: 0 });
    const [renamedPlan] = await h.sql(`select name from plans.plan_contract where id = ?`, [gold.subjectId]);
    expect(renamedPlan.name).toBe('Gold Europe');

    // Deleted in Tyk: MISSING, and the product's sync says so; a second run changes nothing.
    h.tyk.deletePolicyDirect('payments-access');
    expect((await sync()).result).toMatchObject({ missingPolicies: 1 });
    expect(await byPolicy('payments-access')).toMatchObject({ state: 'MISSING' });
    expect((await byPolicy('payments-access')).missingSince).not.toBeNull();
    expect((await syncOf(h, 'Product', payments.subjectId)).sync).toMatchObject({
      status: 'MISSING',
      lastError: expect.stringContaining('payments-access'),
    });
    expect((await imported('MISSING')).totalCount).toBe(1);
    expect((await sync()).result).toMatchObject({ missingPolicies: 0, newPolicies: 0, renamedPolicies: 0 });
    expect(await queuedJobs(h, 'products.importPolicy')).toHaveLength(0);

    // A portal edit of the imported plan updates the Tyk policy in place, keeping what the portal does not manage.
    await h.sql(
      `update plans.plan set quota_requests = 6000, quota_period = 'MONTH', quota_period_seconds = 2592000, version = version + 1 where id = ?`,
      [gold.subjectId],
    );
    await enqueue(h, 'provider.syncPlan', { planId: gold.subjectId }, `plan:${gold.subjectId}`);
    await waitFor(() => h.tyk.policy('gold-eu')?.quota_max === 6000, { what: 'the imported policy to be updated' });
    expect(h.tyk.policy('gold-eu')).toMatchObject({
      id: 'gold-eu',
      name: 'Gold Europe',
      throttle_interval: 10,
      throttle_retry_limit: 3,
      tags: ['plangraph', 'team-x'],
    });
    expect(h.tyk.policy('gold-eu')!.meta_data).toEqual({ region: 'eu' });
    expect((await sync()).result).toMatchObject({ renamedPolicies: 0, newPolicies: 0 });
  });

  it('restores portal-owned policies edited or deleted in Tyk (and logs the repair)', async () => {
    const plan = await createPlan(h);
    const policyId = planPolicyIdOf(plan.id);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    await waitForIdle(h);
    expect((await sync()).result.repairedPolicies).toBe(0);

    h.tyk.putPolicyDirect({ ...h.tyk.policy(policyId)!, quota_max: 999999 });
    expect((await sync()).result.repairedPolicies).toBe(1);
    await waitFor(() => h.tyk.policy(policyId)?.quota_max === 1000, { what: 'the edited policy to be restored' });
    // Until its restoring job is done, the plan counts as on its way to Tyk, not as drifted.
    await waitForIdle(h);

    h.tyk.deletePolicyDirect(policyId);
    expect((await sync()).result.repairedPolicies).toBe(1);
    await waitFor(() => h.tyk.policy(policyId), { what: 'the deleted policy to be restored' });
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    expect((await sync()).result.repairedPolicies).toBe(0);
  });

  it('answers PROVIDER_UNAVAILABLE when the provider cannot be read, and NOT_FOUND for unknown providers', async () => {
    await h.tyk.down();
    try {
      const down = await sync();
      expect(down.result).toBeNull();
      expect(down.errors).toEqual([
        expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', field: null, message: expect.stringContaining('ECONNREFUSED') }),
      ]);
      expect(down.provider.id).toBe(h.providerId);
    } finally {
      await h.tyk.up();
    }
    const unknown = await h.gql('provider', SYNC, { input: { id: randomUUID() } }, h.admin);
    expect(unknown.data.syncProvider.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.id' })]);
    const denied = await h.gql('provider', SYNC, { input: { id: h.providerId } }, developer());
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await h.gql('provider', IMPORTED, { id: h.providerId }, developer())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('lists imported policies of many providers with a constant number of statements', async () => {
    const LIST = `{ providers(first: 50) { edges { node { id importedPolicies(first: 10) { totalCount edges { node { policyId } } } } } } }`;
    h.queries.length = 0;
    const response = await h.gql('provider', LIST, {}, h.admin);
    expect(response.errors).toBeUndefined();
    const mine = response.data.providers.edges.find((e: any) => e.node.id === h.providerId).node;
    expect(mine.importedPolicies.totalCount).toBe(2);
    const selects = h.queries.filter((q) => /^select/i.test(q.trim()) && /imported_policy/.test(q));
    expect(selects).toHaveLength(2); // one page query, one count query
  });

  it('runs periodically: the job imports, then schedules its next run one interval later', async () => {
    h.tyk.putPolicyDirect(
      policy('silver-eu', { name: 'Silver EU', partitions: { quota: true, rate_limit: true }, quota_max: 100, quota_renewal_rate: 3600 }),
    );
    await enqueue(h, 'provider.syncProvider', { providerId: h.providerId }, `provider-sync:${h.providerId}`);
    await waitFor(() => byPolicy('silver-eu'), { timeoutMs: 15_000, what: 'the periodic run to import silver-eu' });
    const next = await waitFor(
      async () => {
        const jobs = await queuedJobs(h, 'provider.syncProvider');
        return jobs.length === 1 && new Date(jobs[0].run_at).getTime() > Date.now() + 3000 * 1000 ? jobs[0] : null;
      },
      { what: 'the next periodic run (PROVIDER_SYNC_INTERVAL_SECONDS=3600 in the harness)' },
    );
    expect(next.key).toBe(`provider-sync:${h.providerId}`);
  });

  it('sent Tyk only requests that match its OpenAPI file (paths, parameters, bodies)', () => {
    expect(h.tyk.history.length).toBeGreaterThan(10);
    expect(contractProblems(loadSpec(), h.tyk.history)).toEqual([]);
  });
});
