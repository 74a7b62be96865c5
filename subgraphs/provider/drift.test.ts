/**
 * Out-of-band changes in Tyk, proven the way reconcilers prove theirs: with the periodic provider
 * sync running on its own (PROVIDER_SYNC_INTERVAL_SECONDS=5 here, its minimum), a portal-owned
 * policy edited in Tyk and one deleted there are restored within one interval (plus the run's
 * own work), and `sync` shows the repair (`repairs`, `lastRepairAt`, `lastRepairReason`); later
 * runs find nothing more to repair. Policies without the portal's policy tags that the portal
 * did not write are never touched by a plan sync, `syncProvider` or the periodic runs:
 * byte-identical afterwards, and not one write request names them.
 */
import { randomUUID } from 'node:crypto';
import type { RecordedRequest } from '../../test/tyk/server';
import {
  compact,
  createPlan,
  createProduct,
  mutate,
  planPolicyIdOf,
  runJobsNow,
  startHarness,
  waitFor,
  waitForIdle,
  waitForLink,
  type Harness,
} from '../../test/kit/provider';

const INTERVAL_SECONDS = 5;
/** What one periodic run may take on a loaded 2-core machine, on top of the interval (list, transaction, the restoring job). */
const RUN_SLACK_MS = 30_000;

const SYNC = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Plan { id sync {
  status externalId lastError syncedAt pendingSince repairs lastRepairAt lastRepairReason } } } }`;

describe('provider sync: out-of-band changes in Tyk', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ with: ['products', 'plans'], env: { PROVIDER_SYNC_INTERVAL_SECONDS: String(INTERVAL_SECONDS) } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const planSync = async (planId: string) => {
    const response = await h.gql('provider', SYNC, { reps: [{ __typename: 'Plan', id: planId }] }, h.admin);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data._entities[0].sync;
  };

  /** The id of the queued (not running) periodic run, or null while only a running one exists. */
  const queuedRun = async () =>
    (
      await h.sql<{ id: string }>(
        `select id::text as id from graphile_worker.jobs where task_identifier = 'provider.syncProvider' and locked_at is null`,
      )
    )[0]?.id ?? null;
  const nextQueuedRun = (other: string | null) =>
    waitFor(
      async () => {
        const id = await queuedRun();
        return id !== null && id !== other ? id : null;
      },
      { timeoutMs: INTERVAL_SECONDS * 1000 + RUN_SLACK_MS, intervalMs: 100, what: 'a periodic provider sync to run' },
    );
  /**
   * Resolves once a periodic run that started after this call has finished: a run queues its
   * successor (a new job) when it ends, so the queued job's id changes once per finished run.
   */
  const periodicRunAfterNow = async () => {
    let queued = await queuedRun();
    // Only a running one: it started before now; its successor is the first run to wait for.
    if (queued === null) queued = await nextQueuedRun(null);
    await nextQueuedRun(queued);
  };

  it('restores a policy edited in Tyk and one deleted there within one interval, and shows the repair in sync', async () => {
    const edited = await createPlan(h, { quota: { requests: 1000, period: 'DAY' } });
    const deleted = await createPlan(h);
    const editedId = planPolicyIdOf(edited.id);
    const deletedId = planPolicyIdOf(deleted.id);
    for (const plan of [edited, deleted]) await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED', 'the first sync', 30_000);
    await waitForIdle(h);
    const editedBefore = h.tyk.policy(editedId)!;
    const deletedBefore = h.tyk.policy(deletedId)!;
    expect(await planSync(edited.id)).toMatchObject({ status: 'SYNCED', repairs: 0, lastRepairAt: null, lastRepairReason: null });

    // An operator changes one behind the portal's back and deletes the other.
    const changedAt = Date.now();
    h.tyk.putPolicyDirect({ ...editedBefore, quota_max: 999_999 });
    h.tyk.deletePolicyDirect(deletedId);

    await waitFor(() => h.tyk.policy(editedId)?.quota_max === 1000 && h.tyk.policy(deletedId), {
      timeoutMs: INTERVAL_SECONDS * 1000 + RUN_SLACK_MS,
      intervalMs: 100,
      what: 'both policies to be restored by the periodic sync',
    });
    expect(Date.now() - changedAt).toBeLessThan(INTERVAL_SECONDS * 1000 + RUN_SLACK_MS);
    // Restored exactly as the portal wrote them, nothing more, nothing less.
    expect(h.tyk.policy(editedId)).toEqual(editedBefore);
    expect(h.tyk.policy(deletedId)).toEqual(deletedBefore);

    const editedSync = await waitFor(
      async () => {
        const sync = await planSync(edited.id);
        // The repair is recorded by the periodic run; the policy's own sync job writes Tyk, then
        // commits its `syncedAt`: Tyk can show the restored policy a moment before that commit.
        const resynced = sync.syncedAt && sync.lastRepairAt && Date.parse(sync.syncedAt) >= Date.parse(sync.lastRepairAt);
        return sync.status === 'SYNCED' && sync.repairs === 1 && resynced ? sync : null;
      },
      { timeoutMs: 30_000, what: 'the edited plan to show its repair and its sync after it' },
    );
    expect(editedSync).toMatchObject({ externalId: editedId, lastError: null, pendingSince: null });
    expect(editedSync.lastRepairReason).toBe('Changed in the provider: quota_max.');
    expect(new Date(editedSync.lastRepairAt).getTime()).toBeGreaterThanOrEqual(changedAt - 1000);
    expect(new Date(editedSync.syncedAt).getTime()).toBeGreaterThanOrEqual(new Date(editedSync.lastRepairAt).getTime());
    const deletedSync = await waitFor(
      async () => {
        const sync = await planSync(deleted.id);
        return sync.status === 'SYNCED' && sync.repairs === 1 ? sync : null;
      },
      { timeoutMs: 30_000, what: 'the deleted plan to show its repair' },
    );
    expect(deletedSync).toMatchObject({ externalId: deletedId, lastError: null, lastRepairReason: 'Deleted in the provider.' });

    // Converged: later runs find nothing to repair and write nothing.
    await periodicRunAfterNow();
    h.tyk.clearRequests();
    await periodicRunAfterNow();
    expect(h.tyk.writes('/tyk/policies')).toEqual([]);
    expect((await planSync(edited.id)).repairs).toBe(1);
    expect((await planSync(deleted.id)).repairs).toBe(1);
  });

  it('does not count a portal change still on its way to Tyk as drift', async () => {
    const plan = await createPlan(h);
    const policyId = planPolicyIdOf(plan.id);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED', 'the first sync', 30_000);
    // The plan's own sync is held at Tyk mid-write while a provider sync reads the old policy.
    const held = h.tyk.hold((r) => r.method === 'PUT' && r.path === `/tyk/policies/${policyId}`);
    try {
      await mutate(h, 'plans', 'updatePlan', 'UpdatePlanInput', 'plan { id }', { id: plan.id, quota: { requests: 4321, period: 'DAY' } });
      await held.arrived;
      const run = await h.gql(
        'provider',
        `mutation($input: SyncProviderInput!) { syncProvider(input: $input) { result { repairedPolicies } errors { code } } }`,
        { input: { id: h.providerId } },
        h.admin,
      );
      expect(run.data.syncProvider).toEqual({ result: { repairedPolicies: 0 }, errors: [] });
    } finally {
      held.release();
    }
    await waitFor(() => h.tyk.policy(policyId)?.quota_max === 4321, { timeoutMs: 30_000, what: 'the edit to reach Tyk' });
    await waitFor(async () => (await planSync(plan.id)).status === 'SYNCED', { timeoutMs: 30_000, what: 'the plan to be in sync' });
    expect(await planSync(plan.id)).toMatchObject({ repairs: 0, lastRepairAt: null });
  });

  it('never touches policies without the portal policy tags that the portal did not write', async () => {
    const plan = await createPlan(h);
    const product = await createProduct(h);
    await waitForLink(h, 'PLAN', plan.id, (row) => row.status === 'SYNCED', 'the first sync', 30_000);
    const untagged = (id: string, overrides: Record<string, unknown>) => ({
      id,
      name: id,
      org_id: h.tyk.orgId,
      rate: 7,
      per: 1,
      quota_max: 70,
      quota_renewal_rate: 60,
      access_rights: {},
      partitions: { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false },
      tags: ['ops'],
      meta_data: { owner: 'ops' },
      active: true,
      ...overrides,
    });
    // An operator's consumption-limit and access policies, one named like a portal plan policy
    // (of no plan here), and one where the plan's endpoint-rule policy for `product` would go.
    const rulesId = `pg-rules-${compact(plan.id)}-${compact(product.id)}`;
    const foreign = [
      untagged('ops-gold', {}),
      untagged('ops-access', {
        partitions: { acl: true },
        access_rights: {
          'ops-api': { api_id: 'ops-api', api_name: 'ops', versions: ['Default'], allowed_urls: [{ url: '/x', methods: ['GET'] }] },
        },
      }),
      untagged(planPolicyIdOf(randomUUID()), { tags: [] }),
      untagged(rulesId, { partitions: { acl: true }, access_rights: {} }),
    ];
    // One under the id of a plan whose first write failed: the portal never wrote it there.
    h.tyk.failNext(10_000);
    const blocked = await createPlan(h);
    await waitForLink(h, 'PLAN', blocked.id, (row) => row.status === 'FAILED', 'a failed first sync', 30_000);
    foreign.push(untagged(planPolicyIdOf(blocked.id), { tags: undefined }));
    for (const policy of foreign) h.tyk.putPolicyDirect(policy);
    h.tyk.heal();
    const ids = new Set(foreign.map((p) => p.id));
    const snapshot = () => foreign.map((p) => JSON.stringify([h.tyk.policyFiles.get(p.id), h.tyk.policy(p.id)]));
    const before = snapshot();
    const mark = h.tyk.history.length;

    // Sync: the blocked plan is retried, the other plan gets an endpoint rule on `product`.
    await runJobsNow(h);
    const conflict = await waitForLink(h, 'PLAN', blocked.id, (row) => row.status === 'FAILED' && /policy tags/.test(row.last_error ?? ''));
    expect(conflict.last_error).toContain('does not overwrite it');
    expect(conflict.policy_present).toBe(false);
    await mutate(h, 'plans', 'updatePlan', 'UpdatePlanInput', 'plan { id }', {
      id: plan.id,
      endpointRules: [{ productId: product.id, allow: [{ path: '/premium', methods: ['GET'] }] }],
    });
    await waitForLink(
      h,
      'PLAN',
      plan.id,
      (row) => row.status === 'FAILED' && /policy tags/.test(row.last_error ?? ''),
      'the rule conflict',
    );
    // Import and repair, now and periodically.
    const run = await h.gql(
      'provider',
      `mutation($input: SyncProviderInput!) { syncProvider(input: $input) { result { newPolicies repairedPolicies } errors { code } } }`,
      { input: { id: h.providerId } },
      h.admin,
    );
    expect(run.data.syncProvider).toMatchObject({ errors: [], result: { newPolicies: 0 } });
    await periodicRunAfterNow();
    // Deleting the blocked plan (never published) deletes nothing that is not the portal's.
    await mutate(h, 'plans', 'deletePlan', 'DeletePlanInput', 'deletedPlanId', { id: blocked.id });
    await waitForLink(h, 'PLAN', blocked.id, (row) => row.last_error === null || row.status !== 'FAILED', 'the deleted plan sync');
    await periodicRunAfterNow();

    expect(snapshot()).toEqual(before);
    const touching = (r: RecordedRequest) =>
      r.method !== 'GET' &&
      ([...ids].some((id) => r.path.endsWith(`/${id}`)) || ids.has(String((r.body as { id?: unknown } | undefined)?.id ?? '')));
    expect(h.tyk.history.slice(mark).filter(touching)).toEqual([]);
    // …and they were looked at (the runs did happen).
    expect(h.tyk.history.slice(mark).some((r) => r.method === 'GET' && r.path === `/tyk/policies/${rulesId}`)).toBe(true);
  });
});
