/**
 * Portal-first sync against the Tyk test server: plans become consumption-limit policies and
 * products access policies, with the contract's fields; edits update in place; archive/delete
 * remove them when no live key uses them; re-runs write nothing; Tyk down / 500 / slow leave the
 * plan FAILED with the message and then converge; assignment to another provider; health.
 */
import { randomUUID } from 'node:crypto';
import { TykTestServer } from '../../test/tyk/server';
import { contractProblems, loadSpec } from '../../test/tyk/openapi';
import {
  createPlan,
  createProduct,
  developer,
  enqueue,
  ENTITIES_SYNC,
  linkOf,
  mutate,
  planPolicyIdOf,
  productPolicyIdOf,
  registerTyk,
  runJobsNow,
  startHarness,
  syncOf,
  SYNC_STATE,
  unique,
  waitFor,
  waitForLink,
  type Harness,
} from '../../test/kit/provider';

const UPDATE_PLAN = 'UpdatePlanInput';

describe('provider sync: plans and products (portal-first)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ with: ['products', 'plans', 'developers'] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const waitForPolicy = (id: string, check: (p: any) => boolean = () => true, what = `policy ${id}`) =>
    waitFor(
      () => {
        const policy = h.tyk.policy(id);
        return policy && check(policy) ? policy : null;
      },
      { timeoutMs: 15_000, what },
    );

  const waitForNoPolicy = (id: string) =>
    waitFor(() => !h.tyk.loadedPolicies.has(id), { timeoutMs: 15_000, what: `policy ${id} to be deleted` });

  it('creates the consumption-limit policy of a new plan, with the contract fields, and reloads the gateway', async () => {
    const plan = await createPlan(h, {
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 10, perSeconds: 1 },
      quotaScope: 'ORGANIZATION',
      keyExpiresAfterSeconds: 86400,
      credentialMetadata: [{ key: 'tier', value: 'gold' }],
    });
    const policyId = planPolicyIdOf(plan.id);
    expect(policyId).toMatch(/^[a-zA-Z0-9._~-]+$/);
    const policy = await waitForPolicy(policyId);
    expect(policy).toMatchObject({
      id: policyId,
      name: plan.name,
      org_id: h.tyk.orgId,
      rate: 10,
      per: 1,
      quota_max: 1000,
      quota_renewal_rate: 86400,
      throttle_interval: -1,
      throttle_retry_limit: -1,
      max_query_depth: -1,
      access_rights: {},
      partitions: { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false },
      key_expires_in: 86400,
      meta_data: { tier: 'gold', rate_limit_pattern: '$tyk_meta.OrganisationID' },
      tags: ['plangraph', 'team-x'],
      active: true,
      is_inactive: false,
    });
    // Written, then reloaded (group signal and blocking reload): only then is it loaded at all. The
    // group reload may already show it loaded while the blocking one is still on its way.
    const calls = () =>
      h.tyk.requests.filter((r) => r.path.startsWith('/tyk/')).map((r) => `${r.method} ${r.path}${r.query.block ? '?block' : ''}`);
    const afterWrite = () => calls().slice(calls().indexOf('POST /tyk/policies') + 1);
    await waitFor(() => afterWrite().includes('GET /tyk/reload?block'), { what: 'the blocking reload after the write' });
    const write = calls().indexOf('POST /tyk/policies');
    expect(write).toBeGreaterThanOrEqual(0);
    expect(calls().slice(write + 1)).toEqual(expect.arrayContaining(['GET /tyk/reload/group', 'GET /tyk/reload?block']));

    const link = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    expect(link).toMatchObject({
      provider_id: h.providerId,
      policy_id: policyId,
      origin: 'PORTAL',
      attempts: 1,
      last_error: null,
      synced_version: plan.version,
      writes: 1,
      policy_present: true,
    });

    const seen = await syncOf(h, 'Plan', plan.id);
    expect(seen.sync).toMatchObject({ status: 'SYNCED', providerId: h.providerId, externalId: policyId, attempts: 1, lastError: null });
    expect(new Date(seen.sync.syncedAt).getTime()).not.toBeNaN();
    expect(seen.provider.id).toBe(h.providerId);
  });

  it('maps unlimited quota and rate limit to -1 and quota scopes to rate_limit_pattern', async () => {
    const plan = await createPlan(h, { quota: null, rateLimit: null, quotaScope: 'APP' });
    const policy = await waitForPolicy(planPolicyIdOf(plan.id));
    expect(policy).toMatchObject({
      quota_max: -1,
      quota_renewal_rate: -1,
      rate: -1,
      per: -1,
      key_expires_in: 0,
      meta_data: { rate_limit_pattern: '$tyk_meta.ApplicationID' },
    });
    const perCredential = await createPlan(h, { quotaScope: 'CREDENTIAL' });
    expect((await waitForPolicy(planPolicyIdOf(perCredential.id))).meta_data).toEqual({});
  });

  it('updates the policy in place when the plan changes, without duplicates, and a re-run writes nothing', async () => {
    const plan = await createPlan(h);
    const policyId = planPolicyIdOf(plan.id);
    await waitForPolicy(policyId);
    const renamed = unique('renamed');
    await mutate(h, 'plans', 'updatePlan', UPDATE_PLAN, 'plan { id version }', {
      id: plan.id,
      name: renamed,
      quota: { requests: 5, period: 'HOUR' },
    });
    const policy = await waitForPolicy(policyId, (p) => p.name === renamed && p.quota_max === 5, 'the renamed policy');
    expect(policy.quota_renewal_rate).toBe(3600);
    expect(h.tyk.policies().filter((p) => p.id === policyId || p.name === renamed)).toHaveLength(1);
    expect(
      h.tyk
        .writes('/tyk/policies')
        .filter((r) => r.body && (r.body as any).id === policyId)
        .map((r) => r.method),
    ).toEqual(['POST', 'PUT']);
    const synced = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED' && row.synced_version === plan.version + 1);
    expect(synced.writes).toBe(2);

    // Idempotent: the same job again reads the policy and writes nothing.
    h.tyk.clearRequests();
    const before = synced.last_attempt_at as Date;
    await enqueue(h, 'provider.syncPlan', { planId: plan.id }, `plan:${plan.id}`);
    const again = await waitForLink(h, 'PLAN', plan.id, (row) => row.last_attempt_at > before, 'a second attempt');
    expect(again).toMatchObject({ status: 'SYNCED', writes: 2, attempts: 1 });
    expect(h.tyk.writes()).toEqual([]);
    expect(h.tyk.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /tyk/policies/${policyId}`]);
  });

  it('deletes the policy of an archived plan only when no live key uses it, and of a deleted draft', async () => {
    const archived = await createPlan(h);
    const archivedPolicy = planPolicyIdOf(archived.id);
    await waitForPolicy(archivedPolicy);
    await mutate(h, 'plans', 'archivePlan', 'ArchivePlanInput', 'plan { id status }', { id: archived.id });
    await waitForNoPolicy(archivedPolicy);
    const link = await waitForLink(h, 'PLAN', archived.id, (row) => row.status === 'SYNCED' && !row.policy_present);
    expect(link.writes).toBe(2);
    const seen = await syncOf(h, 'Plan', archived.id);
    expect(seen.sync).toMatchObject({ status: 'SYNCED', externalId: null });
    expect(h.tyk.policyFiles.has(archivedPolicy)).toBe(false);

    // A live key uses the next plan's policy: archiving keeps it until the key is revoked.
    const used = await createPlan(h);
    const usedPolicy = planPolicyIdOf(used.id);
    await waitForLink(h, 'PLAN', used.id, (row) => row.status === 'SYNCED');
    expect(h.tyk.policy(usedPolicy)).toBeDefined();
    const credentialId = randomUUID();
    await h.sql(
      `insert into provider.credential_key (credential_id, provider_id, key_hash, status, sync_status, plan_id, policy_ids) values (?, ?, ?, 'ACTIVE', 'SYNCED', ?, ?::text[])`,
      [credentialId, h.providerId, `hash-${credentialId}`, used.id, `{${usedPolicy}}`],
    );
    const before = (await linkOf(h, 'PLAN', used.id)).last_attempt_at as Date;
    await mutate(h, 'plans', 'archivePlan', 'ArchivePlanInput', 'plan { id status }', { id: used.id });
    await waitForLink(h, 'PLAN', used.id, (row) => row.last_attempt_at > before && row.status === 'SYNCED', 'the archive sync');
    expect(h.tyk.policy(usedPolicy)).toBeDefined();
    await h.sql(`update provider.credential_key set status = 'REVOKED' where credential_id = ?`, [credentialId]);
    await enqueue(h, 'provider.syncPlan', { planId: used.id }, `plan:${used.id}`);
    await waitForNoPolicy(usedPolicy);

    // Re-running the archived plan's sync writes nothing.
    h.tyk.clearRequests();
    const last = (await linkOf(h, 'PLAN', archived.id)).last_attempt_at as Date;
    await enqueue(h, 'provider.syncPlan', { planId: archived.id }, `plan:${archived.id}`);
    await waitForLink(h, 'PLAN', archived.id, (row) => row.last_attempt_at > last);
    expect(h.tyk.writes()).toEqual([]);

    // A never-published plan can be deleted: its policy goes too.
    const draft = await createPlan(h);
    await waitForPolicy(planPolicyIdOf(draft.id));
    await mutate(h, 'plans', 'deletePlan', 'DeletePlanInput', 'deletedPlanId', { id: draft.id });
    await waitForNoPolicy(planPolicyIdOf(draft.id));
  });

  it('writes products as access policies (acl partition, their Tyk API ids) and removes archived ones', async () => {
    const product = await createProduct(h, { tykApiIds: ['api-a', 'api-b'] });
    const policyId = productPolicyIdOf(product.id);
    const policy = await waitForPolicy(policyId);
    expect(policy).toMatchObject({
      id: policyId,
      name: product.name,
      org_id: h.tyk.orgId,
      partitions: { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false },
      access_rights: {
        'api-a': { api_id: 'api-a', versions: ['Default'], allowed_urls: [] },
        'api-b': { api_id: 'api-b', versions: ['Default'], allowed_urls: [] },
      },
      tags: ['plangraph', 'team-x'],
    });
    await mutate(h, 'products', 'updateProduct', 'UpdateProductInput', 'product { id }', { id: product.id, tykApiIds: ['api-b', 'api-c'] });
    await waitForPolicy(policyId, (p) => Object.keys(p.access_rights).sort().join() === 'api-b,api-c', 'the new access rights');
    // SYNCED once the run that wrote it has finished (until then the change still counts as pending).
    const seen = await waitFor(
      async () => {
        const state = await syncOf(h, 'Product', product.id);
        return state.sync.status === 'PENDING' ? null : state;
      },
      { what: 'the product sync to finish' },
    );
    expect(seen.sync).toMatchObject({ status: 'SYNCED', externalId: policyId, providerId: h.providerId });
    expect(seen.provider.id).toBe(h.providerId);
    await mutate(h, 'products', 'archiveProduct', 'ArchiveProductInput', 'product { id }', { id: product.id });
    await waitForNoPolicy(policyId);
  });

  it('records FAILED with the provider message when Tyk is down, answers 500 or is slow, then converges to exactly one policy', async () => {
    // Down: connection refused.
    await h.tyk.down();
    const plan = await createPlan(h);
    const policyId = planPolicyIdOf(plan.id);
    const down = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'FAILED');
    expect(down.last_error).toBe('Could not reach the provider (ECONNREFUSED)');
    expect(down.attempts).toBe(1);
    const failed = await syncOf(h, 'Plan', plan.id);
    expect(failed.sync).toMatchObject({ status: 'FAILED', lastError: 'Could not reach the provider (ECONNREFUSED)', externalId: policyId });
    // Health follows (throttled writes).
    const health = `query($id: ID!) { provider(id: $id) { health { status lastError lastErrorAt lastSuccessAt } } }`;
    await waitFor(async () => (await h.gql('provider', health, { id: h.providerId }, h.admin)).data?.provider.health.status === 'FAILING', {
      what: 'provider health FAILING',
    });
    // A second failed attempt counts.
    await runJobsNow(h);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.attempts === 2, 'a second failed attempt');
    await h.tyk.up();
    await runJobsNow(h);
    const recovered = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    expect(recovered).toMatchObject({ attempts: 3, last_error: null, writes: 1 });
    expect(h.tyk.policies().filter((p) => p.name === plan.name)).toHaveLength(1);
    await waitFor(async () => (await h.gql('provider', health, { id: h.providerId }, h.admin)).data?.provider.health.status === 'HEALTHY', {
      what: 'provider health HEALTHY',
    });

    // 500 with Tyk's message.
    h.tyk.failNext(1000, { message: 'Failed to create file!' });
    const renamed = unique('after-500');
    await mutate(h, 'plans', 'updatePlan', UPDATE_PLAN, 'plan { id }', { id: plan.id, name: renamed });
    const error500 = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'FAILED');
    expect(error500).toMatchObject({ last_error: 'Failed to create file!', attempts: 1 });
    h.tyk.heal();
    await runJobsNow(h);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    expect(h.tyk.policy(policyId)?.name).toBe(renamed);

    // Slow: longer than PROVIDER_HTTP_TIMEOUT_MS (1500 ms in the harness).
    h.tyk.slow(2500);
    const slowName = unique('after-slow');
    await mutate(h, 'plans', 'updatePlan', UPDATE_PLAN, 'plan { id }', { id: plan.id, name: slowName });
    const slow = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'FAILED');
    expect(slow.last_error).toBe('The provider did not answer within 1500 ms');
    h.tyk.heal();
    await runJobsNow(h);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    expect(h.tyk.policies().filter((p) => p.id === policyId || p.name === slowName)).toHaveLength(1);
    expect(h.tyk.policy(policyId)?.name).toBe(slowName);
  });

  it('moves a plan to another provider with assignProvider, refusing bad input and live keys', async () => {
    const other = await TykTestServer.start();
    try {
      const otherId = await registerTyk(h, other, { kind: 'TYK_DASHBOARD' });
      const plan = await createPlan(h);
      const policyId = planPolicyIdOf(plan.id);
      await waitForPolicy(policyId);
      const ASSIGN = `mutation($input: AssignProviderInput!) { assignProvider(input: $input) { plan { id } product { id } sync { ${SYNC_STATE} } errors { code field message } } }`;
      const assign = (input: Record<string, unknown>, identity = h.admin) => h.gql('provider', ASSIGN, { input }, identity);

      const moved = await assign({ planId: plan.id, providerId: otherId });
      expect(moved.data.assignProvider).toMatchObject({
        plan: { id: plan.id },
        product: null,
        errors: [],
        sync: { status: 'PENDING', providerId: otherId, externalId: policyId },
      });
      // Written through the Dashboard API of the other provider (no reload calls), removed from the first.
      await waitFor(() => other.policy(policyId), { what: 'the policy on the other provider' });
      await waitForNoPolicy(policyId);
      const link = await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED' && row.synced_provider_id === otherId);
      expect(link.provider_id).toBe(otherId);
      expect(other.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
        expect.arrayContaining([`GET /api/portal/policies/${policyId}`, 'POST /api/portal/policies']),
      );
      expect(other.requests.some((r) => r.path.startsWith('/tyk/'))).toBe(false);
      expect((await syncOf(h, 'Plan', plan.id)).provider.id).toBe(otherId);

      // Validation and lookups.
      const product = await createProduct(h);
      const both = await assign({ planId: plan.id, productId: product.id, providerId: otherId });
      expect(both.data.assignProvider.errors.map((e: any) => e.code)).toEqual(['VALIDATION_FAILED']);
      const noProvider = await assign({ planId: plan.id, providerId: randomUUID() });
      expect(noProvider.data.assignProvider.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.providerId' })]);
      const noPlan = await assign({ planId: randomUUID(), providerId: otherId });
      expect(noPlan.data.assignProvider.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.planId' })]);

      // A live key on the current provider blocks a move.
      await h.sql(
        `insert into provider.credential_key (credential_id, provider_id, key_hash, status, sync_status, plan_id, policy_ids) values (?, ?, ?, 'ACTIVE', 'SYNCED', ?, ?::text[])`,
        [randomUUID(), otherId, `hash-${randomUUID()}`, plan.id, `{${policyId}}`],
      );
      const inUse = await assign({ planId: plan.id, providerId: h.providerId });
      expect(inUse.data.assignProvider.errors).toEqual([expect.objectContaining({ code: 'IN_USE', field: 'input.planId' })]);
      expect((await linkOf(h, 'PLAN', plan.id)).provider_id).toBe(otherId);

      // A product moves too.
      const productPolicy = productPolicyIdOf(product.id);
      await waitForPolicy(productPolicy);
      const movedProduct = await assign({ productId: product.id, providerId: otherId });
      expect(movedProduct.data.assignProvider).toMatchObject({ product: { id: product.id }, errors: [] });
      await waitFor(() => other.policy(productPolicy), { what: 'the product policy on the other provider' });
      await waitForNoPolicy(productPolicy);
    } finally {
      await other.stop();
    }
  });

  it('shows sync details to portal admins only and refuses the new mutations to everyone else', async () => {
    const plan = await createPlan(h);
    const product = await createProduct(h);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED');
    for (const identity of [developer(), null]) {
      expect(await syncOf(h, 'Plan', plan.id, identity)).toEqual({ id: plan.id, sync: null, provider: null });
      expect(await syncOf(h, 'Product', product.id, identity)).toEqual({ id: product.id, sync: null, provider: null });
    }
    const ASSIGN = `mutation($input: AssignProviderInput!) { assignProvider(input: $input) { errors { code } } }`;
    const SYNC = `mutation($input: SyncProviderInput!) { syncProvider(input: $input) { errors { code } } }`;
    for (const [identity, code] of [
      [developer(), 'FORBIDDEN'],
      [null, 'UNAUTHENTICATED'],
    ] as const) {
      const assign = await h.gql('provider', ASSIGN, { input: { planId: plan.id, providerId: h.providerId } }, identity);
      expect(assign.errors?.[0].extensions?.code).toBe(code);
      const sync = await h.gql('provider', SYNC, { input: { id: h.providerId } }, identity);
      expect(sync.errors?.[0].extensions?.code).toBe(code);
    }
  });

  it('resolves Plan.sync and Plan.provider of many plans with a constant number of statements', async () => {
    const plans = [];
    for (let i = 0; i < 4; i++) plans.push(await createPlan(h));
    await Promise.all(plans.map((plan) => waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED')));
    const reps = [...plans.map((p) => ({ __typename: 'Plan', id: p.id })), { __typename: 'Plan', id: randomUUID() }];
    h.queries.length = 0;
    const response = await h.gql('provider', ENTITIES_SYNC('Plan'), { reps }, h.admin);
    expect(response.errors).toBeUndefined();
    expect(response.data._entities.slice(0, 4).every((e: any) => e.sync.status === 'SYNCED' && e.provider.id === h.providerId)).toBe(true);
    expect(response.data._entities[4].sync).toMatchObject({ status: 'PENDING', attempts: 0, lastAttemptAt: null });
    // policy links (one), default provider (one), providers by id (one).
    const selects = h.queries.filter((q) => /^select/i.test(q.trim()) && !/graphile_worker/.test(q));
    expect(selects.length).toBeLessThanOrEqual(3);
  });

  it('sent Tyk only requests that match its OpenAPI file (paths, parameters, bodies)', () => {
    expect(h.tyk.history.length).toBeGreaterThan(10);
    expect(contractProblems(loadSpec(), h.tyk.history)).toEqual([]);
  });
});
