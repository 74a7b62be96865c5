/**
 * Keys against the Tyk test server. The developers subgraph is NOT started in this test's
 * database, so `developers.credential_contract` does not exist there: the test creates a fixture
 * view with exactly the contract's columns (over a fixture table it fills), as the access/provider
 * contract describes them. The real view comes from the developers subgraph's migration.
 */
import { randomUUID } from 'node:crypto';
import { TykTestServer } from '../../test/tyk/server';
import { contractProblems, loadSpec } from '../../test/tyk/openapi';
import {
  createPlan,
  createProduct,
  credentialContractFixture,
  developer,
  enqueue,
  insertCredential,
  mutate,
  planPolicyIdOf,
  productPolicyIdOf,
  queuedJobs,
  registerTyk,
  runJobsNow,
  startHarness,
  SYNC_STATE,
  waitFor,
  type Harness,
} from '../../test/kit/provider';

describe('provider sync: keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ with: ['products', 'plans'], beforeProvider: credentialContractFixture });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const credential = (planId: string, productIds: string[], overrides: Record<string, unknown> = {}) =>
    insertCredential(h, planId, productIds, overrides);
  const keyRow = async (credentialId: string) =>
    (await h.sql('select * from provider.credential_key where credential_id = ?', [credentialId]))[0] ?? null;
  const waitForKey = (credentialId: string, check: (row: any) => boolean, what = 'credential key') =>
    waitFor(
      async () => {
        const row = await keyRow(credentialId);
        return row && check(row) ? row : null;
      },
      { timeoutMs: 15_000, what: `${what} of ${credentialId}` },
    );

  const CREDENTIAL_SYNC = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Credential { id sync { ${SYNC_STATE} } } } }`;

  it('issues a key with the product and plan policies, lifetime, metadata and alias, keeps its hash, and tells developers', async () => {
    const plan = await createPlan(h, {
      quota: { requests: 100, period: 'DAY' },
      keyExpiresAfterSeconds: 3600,
      credentialMetadata: [{ key: 'tier', value: 'gold' }],
    });
    const products = [await createProduct(h, { tykApiIds: ['weather'] }), await createProduct(h, { tykApiIds: ['maps'] })];
    const cred = await credential(
      plan.id,
      products.map((p) => p.id),
    );
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    const row = await waitForKey(cred.id, (r) => r.status === 'ACTIVE');
    const policyIds = [...products.map((p) => productPolicyIdOf(p.id)), planPolicyIdOf(plan.id)];
    expect(row).toMatchObject({
      provider_id: h.providerId,
      sync_status: 'SYNCED',
      plan_id: plan.id,
      policy_ids: policyIds,
      synced_version: 1,
      attempts: 1,
      last_error: null,
    });
    expect(row.key_hash).toMatch(/^[0-9a-f]{16}$/);

    // One create call, with the secret as the custom key id.
    const creates = h.tyk.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/tyk/keys/'));
    expect(creates).toHaveLength(1);
    expect(creates[0].path).toBe(`/tyk/keys/${cred.secret}`);
    expect(creates[0].body).toEqual({
      org_id: h.tyk.orgId,
      alias: `Weather app (${cred.secret.slice(0, 12)})`,
      apply_policies: policyIds,
      expires: 0,
      meta_data: { tier: 'gold', DeveloperID: cred.developerId, ApplicationID: cred.appId, OrganisationID: cred.organizationId },
      tags: ['plangraph', 'team-x'],
    });
    // The session Tyk enforces: both kinds of policies applied, the plan's lifetime and quota.
    const session = h.tyk.keySession(row.key_hash)!;
    expect(Object.keys(session.access_rights).sort()).toEqual(['maps', 'weather']);
    expect(session).toMatchObject({ quota_max: 100, quota_remaining: 100, quota_renewal_rate: 86400, rate: 10, per: 1 });
    expect(Math.abs(session.expires - (Math.floor(Date.now() / 1000) + 3600))).toBeLessThan(30);

    const issued = await queuedJobs(h, 'developers.keyIssued');
    expect(issued.find((j) => j.payload.credentialId === cred.id)).toMatchObject({
      key: `key-issued:${cred.id}`,
      payload: { credentialId: cred.id, version: 1 },
    });

    // Credential.sync: all details for portal admins, status and times only for others.
    const admin = await h.gql('provider', CREDENTIAL_SYNC, { reps: [{ __typename: 'Credential', id: cred.id }] }, h.admin);
    expect(admin.data._entities[0].sync).toMatchObject({
      status: 'SYNCED',
      providerId: h.providerId,
      externalId: row.key_hash.slice(0, 12),
      attempts: 1,
      lastError: null,
    });
    const other = await h.gql(
      'provider',
      CREDENTIAL_SYNC,
      {
        reps: [
          { __typename: 'Credential', id: cred.id },
          { __typename: 'Credential', id: randomUUID() },
        ],
      },
      developer(),
    );
    expect(other.data._entities[0].sync).toMatchObject({
      status: 'SYNCED',
      providerId: null,
      externalId: null,
      lastError: null,
      attempts: 1,
    });
    expect(other.data._entities[1].sync).toMatchObject({ status: 'PENDING', attempts: 0, providerId: null });

    // The secret is in no provider table and no audit entry.
    const stored = JSON.stringify(await h.sql(`select row_to_json(c)::text as row from provider.credential_key c`));
    const audited = JSON.stringify(await h.sql(`select row_to_json(a)::text as row from platform.audit_log a where subgraph = 'provider'`));
    expect(stored).not.toContain(cred.secret);
    expect(audited).not.toContain(cred.secret);
    expect(audited).toContain('tyk.createKey');

    // Published for usage: key hash ↔ credential, policy id ↔ plan/product.
    const [published] = await h.sql(`select * from provider.credential_key_contract where credential_id = ?`, [cred.id]);
    expect(published).toMatchObject({
      key_hash: row.key_hash,
      provider_id: h.providerId,
      status: 'ACTIVE',
      plan_id: plan.id,
      policy_ids: policyIds,
    });
    const links = await h.sql(
      `select kind, subject_id, policy_id from provider.policy_link_contract where policy_id in (?, ?, ?) order by policy_id`,
      policyIds,
    );
    expect(links.map((l: any) => l.subject_id).sort()).toEqual([plan.id, ...products.map((p) => p.id)].sort());

    // Running the job again changes nothing: one GET of the key, no write.
    h.tyk.clearRequests();
    const before = row.last_attempt_at as Date;
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    await waitForKey(cred.id, (r) => r.last_attempt_at > before, 'a second attempt');
    expect(h.tyk.requests.filter((r) => r.path.startsWith('/tyk/keys')).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /tyk/keys/${row.key_hash}`,
    ]);
    expect(h.tyk.writes()).toEqual([]);
  });

  it('swaps policies on a plan change without resetting the quota, and cleans up the old plan', async () => {
    const gold = await createPlan(h, { quota: { requests: 100, period: 'DAY' } });
    const platinum = await createPlan(h, { quota: { requests: 500, period: 'DAY' } });
    const product = await createProduct(h);
    const cred = await credential(gold.id, [product.id]);
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    const issued = await waitForKey(cred.id, (r) => r.status === 'ACTIVE');
    h.tyk.setQuotaUsed(issued.key_hash, 40);
    expect(h.tyk.keySession(issued.key_hash)!.quota_remaining).toBe(60);

    const [goldBefore] = await h.sql(`select last_attempt_at from provider.policy_link where subject_id = ?`, [gold.id]);
    await h.sql(`update developers.credential_fixture set plan_id = ?, version = 2 where id = ?`, [platinum.id, cred.id]);
    h.tyk.clearRequests();
    await enqueue(h, 'provider.updateKeyPolicies', { credentialId: cred.id }, `key:${cred.id}`);
    const updated = await waitForKey(cred.id, (r) => r.plan_id === platinum.id);
    expect(updated).toMatchObject({
      key_hash: issued.key_hash,
      status: 'ACTIVE',
      sync_status: 'SYNCED',
      synced_version: 2,
      policy_ids: [productPolicyIdOf(product.id), planPolicyIdOf(platinum.id)],
    });
    const swaps = h.tyk.requests.filter((r) => r.path === `/tyk/keys/policy/${issued.key_hash}`);
    expect(swaps).toHaveLength(1);
    expect(swaps[0].body).toEqual({ apply_policies: [productPolicyIdOf(product.id), planPolicyIdOf(platinum.id)] });
    expect(h.tyk.requests.some((r) => r.method === 'PUT' && r.path.startsWith('/tyk/keys'))).toBe(false);
    expect(h.tyk.requests.some((r) => r.method === 'POST' && r.path === `/tyk/keys/${cred.secret}`)).toBe(false);
    // Usage kept: 40 of the new plan's 500.
    expect(h.tyk.quotaUsed(issued.key_hash)).toBe(40);
    expect(h.tyk.keySession(issued.key_hash)).toMatchObject({ quota_max: 500, quota_remaining: 460 });
    // The old plan is synced again (its policy is deleted there once archived and unused).
    await waitFor(
      async () => {
        const [gold2] = await h.sql(`select last_attempt_at from provider.policy_link where subject_id = ?`, [gold.id]);
        return gold2.last_attempt_at > goldBefore.last_attempt_at;
      },
      { what: 'the old plan to be synced again' },
    );
  });

  it('applies an ACTIVE quota boost as a policy of the key (highest limits win), and takes it off and deletes it when the boost ends, keeping the counter', async () => {
    const plan = await createPlan(h, { quota: { requests: 100, period: 'DAY' }, rateLimit: { requests: 10, perSeconds: 1 } });
    const product = await createProduct(h);
    const cred = await credential(plan.id, [product.id]);
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    const issued = await waitForKey(cred.id, (r) => r.status === 'ACTIVE');
    h.tyk.setQuotaUsed(issued.key_hash, 90);

    const boostId = randomUUID();
    const boostPolicy = `pg-boost-${boostId.replace(/-/g, '')}`;
    await h.sql(
      `insert into developers.quota_boost_fixture (id, credential_id, organization_id, app_id, plan_id, status, quota_max, quota_period_seconds)
         values (?, ?, ?, ?, ?, 'ACTIVE', 150, 86400)`,
      [boostId, cred.id, cred.organizationId, cred.appId, plan.id],
    );
    await enqueue(h, 'provider.updateKeyPolicies', { credentialId: cred.id }, `key:${cred.id}`);
    const boosted = await waitForKey(cred.id, (r) => r.policy_ids.includes(boostPolicy), 'boosted key');
    expect(boosted.policy_ids).toEqual([productPolicyIdOf(product.id), planPolicyIdOf(plan.id), boostPolicy]);
    expect(h.tyk.policy(boostPolicy)).toMatchObject({
      quota_max: 150,
      quota_renewal_rate: 86400,
      partitions: { quota: true, rate_limit: false, acl: false },
      access_rights: {},
    });
    // Tyk merges: the boost's quota, the plan's rate; the counter kept.
    expect(h.tyk.keySession(issued.key_hash)).toMatchObject({ quota_max: 150, quota_remaining: 60, rate: 10, per: 1 });

    await h.sql(`update developers.quota_boost_fixture set status = 'EXPIRED' where id = ?`, [boostId]);
    await enqueue(h, 'provider.updateKeyPolicies', { credentialId: cred.id }, `key:${cred.id}`);
    const reverted = await waitForKey(cred.id, (r) => !r.policy_ids.includes(boostPolicy), 'reverted key');
    expect(reverted.policy_ids).toEqual([productPolicyIdOf(product.id), planPolicyIdOf(plan.id)]);
    expect(h.tyk.policy(boostPolicy)).toBeUndefined();
    expect(h.tyk.quotaUsed(issued.key_hash)).toBe(90);
    expect(h.tyk.keySession(issued.key_hash)).toMatchObject({ quota_max: 100, quota_remaining: 10 });
  });

  it('keeps the policy of an archived plan while a live key uses it, revokes (deleting the key), then removes the policy', async () => {
    const plan = await createPlan(h);
    const product = await createProduct(h);
    const cred = await credential(plan.id, [product.id]);
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    const issued = await waitForKey(cred.id, (r) => r.status === 'ACTIVE');
    const planPolicy = planPolicyIdOf(plan.id);

    await mutate(h, 'plans', 'archivePlan', 'ArchivePlanInput', 'plan { id }', { id: plan.id });
    await waitFor(
      async () => {
        const [link] = await h.sql(`select * from provider.policy_link where subject_id = ? and synced_version = ?`, [
          plan.id,
          plan.version + 1,
        ]);
        return link;
      },
      { what: 'the archive sync' },
    );
    expect(h.tyk.policy(planPolicy)).toBeDefined();

    // A revoke job for a credential that is still active (stale job) changes nothing.
    await enqueue(h, 'provider.revokeKey', { credentialId: cred.id }, `revoke:${cred.id}`);
    await waitFor(async () => (await queuedJobs(h, 'provider.revokeKey')).every((j) => j.key !== `revoke:${cred.id}`), {
      what: 'the stale revoke job to finish',
    });
    expect((await waitForKey(cred.id, () => true)).status).toBe('ACTIVE');

    await h.sql(`update developers.credential_fixture set status = 'REVOKED', version = version + 1 where id = ?`, [cred.id]);
    await enqueue(h, 'provider.revokeKey', { credentialId: cred.id }, `revoke:${cred.id}`);
    const revoked = await waitForKey(cred.id, (r) => r.status === 'REVOKED');
    expect(revoked).toMatchObject({ sync_status: 'SYNCED', key_hash: issued.key_hash });
    expect(h.tyk.keys.has(issued.key_hash)).toBe(false);
    expect(h.tyk.requests.filter((r) => r.method === 'DELETE' && r.path === `/tyk/keys/${issued.key_hash}`).map((r) => r.query)).toEqual([
      { hashed: 'true' },
    ]);
    // The last key is gone: the archived plan's policy goes too.
    await waitFor(() => !h.tyk.loadedPolicies.has(planPolicy), { timeoutMs: 15_000, what: 'the archived plan policy to be deleted' });

    // Revoking again: nothing to do, no call.
    h.tyk.clearRequests();
    await enqueue(h, 'provider.revokeKey', { credentialId: cred.id }, `revoke:${cred.id}`);
    await waitFor(async () => (await queuedJobs(h, 'provider.revokeKey')).length === 0, { what: 'the revoke job to finish' });
    expect(h.tyk.requests.filter((r) => r.path.startsWith('/tyk/keys'))).toEqual([]);
    // An issue job for a revoked credential never creates a key.
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    await waitFor(async () => (await queuedJobs(h, 'provider.issueKey')).length === 0, { what: 'the issue job to finish' });
    expect(h.tyk.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/tyk/keys'))).toEqual([]);
  });

  it('treats a key that is already gone as revoked, and revokes a rotated-out key at the end of its grace period', async () => {
    const plan = await createPlan(h);
    const product = await createProduct(h);
    const gone = await credential(plan.id, [product.id]);
    await enqueue(h, 'provider.issueKey', { credentialId: gone.id }, `key:${gone.id}`);
    const issued = await waitForKey(gone.id, (r) => r.status === 'ACTIVE');
    h.tyk.keys.delete(issued.key_hash);
    await h.sql(`update developers.credential_fixture set status = 'REVOKED' where id = ?`, [gone.id]);
    await enqueue(h, 'provider.revokeKey', { credentialId: gone.id }, `revoke:${gone.id}`);
    await waitForKey(gone.id, (r) => r.status === 'REVOKED' && r.sync_status === 'SYNCED');
    expect(h.tyk.requests.find((r) => r.method === 'DELETE' && r.path === `/tyk/keys/${issued.key_hash}`)?.status).toBe(404);

    // Rotation: the old credential stays ACTIVE until developers marks it, but its grace period ended.
    const rotated = await credential(plan.id, [product.id]);
    await enqueue(h, 'provider.issueKey', { credentialId: rotated.id }, `key:${rotated.id}`);
    const old = await waitForKey(rotated.id, (r) => r.status === 'ACTIVE');
    await h.sql(`update developers.credential_fixture set revokes_at = now() - interval '1 second' where id = ?`, [rotated.id]);
    await enqueue(h, 'provider.revokeKey', { credentialId: rotated.id }, `revoke:${rotated.id}`);
    await waitForKey(rotated.id, (r) => r.status === 'REVOKED');
    expect(h.tyk.keys.has(old.key_hash)).toBe(false);
  });

  it('records FAILED with the message when Tyk fails or the secret is gone, and converges with one key', async () => {
    const plan = await createPlan(h);
    const product = await createProduct(h);
    await waitFor(() => h.tyk.policy(planPolicyIdOf(plan.id)) && h.tyk.policy(productPolicyIdOf(product.id)), {
      timeoutMs: 15_000,
      what: 'the policies',
    });
    const cred = await credential(plan.id, [product.id]);
    h.tyk.failNext(1000, { message: 'Failed to create key, ensure security settings are correct.' });
    await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
    const failed = await waitForKey(cred.id, (r) => r.sync_status === 'FAILED');
    expect(failed).toMatchObject({
      status: 'PENDING',
      last_error: 'Failed to create key, ensure security settings are correct.',
      attempts: 1,
      key_hash: null,
    });
    h.tyk.heal();
    await runJobsNow(h);
    const ok = await waitForKey(cred.id, (r) => r.status === 'ACTIVE');
    expect(ok).toMatchObject({ sync_status: 'SYNCED', attempts: 2, last_error: null });
    expect([...h.tyk.keys.values()].filter((k) => k.session.alias === `Weather app (${cred.secret.slice(0, 12)})`)).toHaveLength(1);

    const lost = await credential(plan.id, [product.id], { pending_secret_encrypted: null });
    await enqueue(h, 'provider.issueKey', { credentialId: lost.id }, `key:${lost.id}`);
    const conflict = await waitForKey(lost.id, (r) => r.sync_status === 'FAILED');
    expect(conflict.last_error).toContain('rotate the credential');
  });

  it('issues and updates keys through the Dashboard API (suppress_reset on the key update)', async () => {
    const dashboard = await TykTestServer.start();
    try {
      const dashboardId = await registerTyk(h, dashboard, { kind: 'TYK_DASHBOARD' });
      const plan = await createPlan(h);
      const next = await createPlan(h);
      const product = await createProduct(h);
      const ASSIGN = `mutation($input: AssignProviderInput!) { assignProvider(input: $input) { errors { code message } } }`;
      for (const input of [{ planId: plan.id }, { planId: next.id }, { productId: product.id }]) {
        const response = await h.gql('provider', ASSIGN, { input: { ...input, providerId: dashboardId } }, h.admin);
        expect(response.data.assignProvider.errors).toEqual([]);
      }
      const cred = await credential(plan.id, [product.id]);
      await enqueue(h, 'provider.issueKey', { credentialId: cred.id }, `key:${cred.id}`);
      const issued = await waitForKey(cred.id, (r) => r.status === 'ACTIVE');
      expect(issued.provider_id).toBe(dashboardId);
      expect(dashboard.requests.some((r) => r.method === 'POST' && r.path === `/api/keys/${cred.secret}`)).toBe(true);
      dashboard.setQuotaUsed(issued.key_hash, 7);
      await h.sql(`update developers.credential_fixture set plan_id = ?, version = 2 where id = ?`, [next.id, cred.id]);
      await enqueue(h, 'provider.updateKeyPolicies', { credentialId: cred.id }, `key:${cred.id}`);
      await waitForKey(cred.id, (r) => r.plan_id === next.id);
      const put = dashboard.requests.find((r) => r.method === 'PUT' && r.path === `/api/keys/${issued.key_hash}`);
      expect(put?.query).toEqual({ hashed: '1', suppress_reset: '1' });
      expect(dashboard.quotaUsed(issued.key_hash)).toBe(7);
      expect(dashboard.storedSession(issued.key_hash)!.apply_policies).toEqual([productPolicyIdOf(product.id), planPolicyIdOf(next.id)]);
      await h.sql(`update developers.credential_fixture set status = 'REVOKED' where id = ?`, [cred.id]);
      await enqueue(h, 'provider.revokeKey', { credentialId: cred.id }, `revoke:${cred.id}`);
      await waitForKey(cred.id, (r) => r.status === 'REVOKED');
      expect(dashboard.keys.size).toBe(0);
    } finally {
      await dashboard.stop();
    }
  });

  it('sent Tyk only requests that match its OpenAPI file (paths, parameters, bodies)', () => {
    expect(h.tyk.history.length).toBeGreaterThan(10);
    expect(contractProblems(loadSpec(), h.tyk.history)).toEqual([]);
  });
});
