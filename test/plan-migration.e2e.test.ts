import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { analytics, postAnalytics } from './kit/usage';
import { ManualClock } from './kit/clock';
import { TykTestServer, type AnalyticsRow } from './tyk/server';

/**
 * Bulk plan migration through the gateway, against the Tyk test server: an organization holds a
 * key under plan A (5 requests an hour) and has used 2 of them; A is archived. A portal admin
 * previews moving A's subscribers to plan B (100 an hour): what would move, and A's recorded
 * traffic replayed against B's limits. The run (MFA) moves the credential: same id and secret,
 * the key in Tyk now carries B's policy with its quota counter kept (98 left, not 100); the
 * organization's member sees PLAN_MIGRATED live; progress, audit and the completion webhook event
 * are visible. Members, organization admins, anonymous callers and admins without MFA are refused.
 * Rolled back on demand, the key is on A's policy again with its 3 requests still counted. A staged
 * migration moves half the subscribers first and rolls them back when their 5xx share is worse.
 */
describe('migratePlanSubscribers through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer(); // ORG_ADMIN of the subscriber organization
  const clients: Client[] = [];
  const rows: AnalyticsRow[] = [];
  /** The developers subgraph's clock: staged migrations' windows pass when the test says so. */
  const clock = new ManualClock(new Date());

  async function call(query: string, variables: Record<string, unknown>, identity: Identity | null) {
    return gatewayRequest(platform.gatewayUrl, query, variables, identity);
  }

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null = admin) {
    const response = await call(query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity = admin) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

  beforeAll(async () => {
    platform = await startPlatform({ clockOf: { developers: clock } });
    tyk = await TykTestServer.start({ onAnalytics: (row) => void rows.push(row) });
    fixtures = new Fixtures(platform.gatewayUrl, admin);
  });

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await platform?.stop();
    await tyk?.stop();
  });

  const MIGRATION = `id status reason startedBy completedAt fromPlan { id name } toPlan { id name }
    counts { total pending moved failed organizations }
    items { status errorCode credential { id plan { id } } organization { id } }`;
  const MIGRATE = `mutation($i: MigratePlanSubscribersInput!) { migratePlanSubscribers(input: $i) {
    planMigration { ${MIGRATION} impact(days: 1) { countersWithTraffic countersAffected requestsOverQuota quota { requests } } }
    errors { code field message } } }`;
  const READ = `query($id: ID!) { planMigration(id: $id) { ${MIGRATION} } }`;

  it('previews, moves the subscribers keeping their keys and quota counters, tells them, and refuses everyone else', async () => {
    const provider = await mutate('registerProvider', 'RegisterProviderInput', 'provider { id }', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      makeDefault: true,
    });
    const providerId: string = provider.provider.id;
    const catalogId = await fixtures.catalog();
    const apiId = unique('forecast');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const productId = await fixtures.product({ slug: unique('weather'), tykApiIds: [apiId], catalogIds: [catalogId] });
    const planA = await fixtures.plan({
      name: unique('legacy'),
      catalogIds: [catalogId],
      quota: { requests: 5, period: 'HOUR' },
      rateLimit: null,
      autoApprove: true,
    });
    const planB = await fixtures.plan({
      name: unique('standard'),
      catalogIds: [catalogId],
      quota: { requests: 100, period: 'HOUR' },
      rateLimit: null,
    });
    for (const subject of [{ planId: planA }, { planId: planB }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId });
    }

    const organizationId = await fixtures.organization(alice.sub);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('app') }, alice);
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id } secret',
      { appId: app.app.id, planId: planA, productIds: [productId] },
      alice,
    );
    const credentialId: string = access.credential.id;
    const secret: string = access.secret;
    const keyHash = await waitFor(
      async () => {
        const [row] = await platform.subgraphs
          .provider!.orm.em.getConnection()
          .execute<{ key_hash: string }[]>(`select key_hash from provider.credential_key where credential_id = ? and status = 'ACTIVE'`, [
            credentialId,
          ]);
        return row && tyk.keySession(row.key_hash) ? row.key_hash : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
    );
    const policyOf = (planId: string) => `pg-plan-${planId.replace(/-/g, '')}`;
    const proxied = async () => {
      const response = await fetch(`${tyk.url}/${apiId}/today`, { headers: { authorization: secret } });
      await response.arrayBuffer();
      return response.status;
    };
    expect([await proxied(), await proxied()]).toEqual([200, 200]);
    expect(tyk.keySession(keyHash)).toMatchObject({ quota_max: 5, quota_remaining: 3 });
    const fed = await postAnalytics(platform.subgraphs.usage!.url, rows);
    expect(fed.body).toMatchObject({ accepted: 2, rejected: [] });
    await mutate('archivePlan', 'ArchivePlanInput', 'plan { status }', { id: planA });

    // Alice watches her organization's events from the last one stored (nothing can be missed).
    const history = await gql(
      `query($org: ID) { accessRequestEventsHistory(organizationId: $org, first: 100) { edges { cursor } } }`,
      { org: organizationId },
      alice,
    );
    const edges = history.accessRequestEventsHistory.edges;
    const events: any[] = [];
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(alice)}` },
    });
    clients.push(client);
    client.subscribe(
      {
        query: `subscription($org: ID, $after: String) { accessRequestEvents(organizationId: $org, after: $after) {
          type credential { id prefix plan { id name } } } }`,
        variables: { org: organizationId, after: edges[edges.length - 1].cursor },
      },
      { next: (r) => events.push(r.data?.accessRequestEvents ?? r.errors), error: (e) => events.push(e), complete: () => undefined },
    );

    // Refused: the organization's own admin, anonymous callers, a portal admin without MFA (for a run).
    const input = { fromPlanId: planA, toPlanId: planB, reason: 'Legacy plan retired' };
    const codes = async (identity: Identity | null, extra: Record<string, unknown> = {}) =>
      ((await call(MIGRATE, { i: { ...input, ...extra } }, identity)).errors ?? []).map((e) => e.extensions?.code);
    expect(await codes({ ...alice, amr: ['pwd', 'mfa'] }, { dryRun: true })).toEqual(['FORBIDDEN']);
    expect(await codes(null, { dryRun: true })).toEqual(['UNAUTHENTICATED']);
    expect(await codes(portalAdmin())).toEqual(['MFA_REQUIRED']);

    // The preview: one credential of one organization would move; A's traffic fits B's limits.
    const preview = (await gql(MIGRATE, { i: { ...input, dryRun: true } }, portalAdmin())).migratePlanSubscribers;
    expect(preview.errors).toEqual([]);
    expect(preview.planMigration).toMatchObject({
      status: 'PREVIEW',
      fromPlan: { id: planA },
      toPlan: { id: planB },
      counts: { total: 1, pending: 1, moved: 0, failed: 0, organizations: 1 },
      items: [
        { status: 'PENDING', errorCode: null, credential: { id: credentialId, plan: { id: planA } }, organization: { id: organizationId } },
      ],
      impact: { countersWithTraffic: 1, countersAffected: 0, requestsOverQuota: 0, quota: { requests: 100 } },
    });
    expect(tyk.keySession(keyHash)).toMatchObject({ quota_max: 5, quota_remaining: 3 });
    const previewRead = await call(READ, { id: preview.planMigration.id }, alice);
    expect(previewRead.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The run.
    const run = (await gql(MIGRATE, { i: input })).migratePlanSubscribers;
    expect(run.errors).toEqual([]);
    expect(run.planMigration).toMatchObject({ status: 'RUNNING', startedBy: admin.sub, reason: 'Legacy plan retired' });
    const done = await waitFor(
      async () => {
        const migration = (await gql(READ, { id: run.planMigration.id })).planMigration;
        return migration.status === 'COMPLETED' ? migration : null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the migration to complete' },
    );
    expect(done.counts).toEqual({ total: 1, pending: 0, moved: 1, failed: 0, organizations: 1 });
    expect(done.items).toEqual([
      { status: 'MOVED', errorCode: null, credential: { id: credentialId, plan: { id: planB } }, organization: { id: organizationId } },
    ]);

    // Same key in Tyk, now on B's policy, its counter kept: 2 used of 100.
    const session = await waitFor(
      () => {
        const s = tyk.keySession(keyHash) as { apply_policies: string[]; quota_max: number; quota_remaining: number } | undefined;
        return s?.apply_policies.includes(policyOf(planB)) ? s : null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the key to carry plan B’s policy' },
    );
    expect(session.apply_policies).not.toContain(policyOf(planA));
    expect(session).toMatchObject({ quota_max: 100, quota_remaining: 98 });
    expect(await proxied()).toBe(200);
    expect(tyk.keySession(keyHash)).toMatchObject({ quota_remaining: 97 });

    // Alice was told, live; the credential she sees is the same one under B.
    const migrated = await waitFor(() => events.find((e) => e?.type === 'PLAN_MIGRATED'), { what: 'PLAN_MIGRATED' });
    expect(migrated.credential).toMatchObject({ id: credentialId, plan: { id: planB } });

    // Audited (the run, and the credential's move by the job), and announced to platform webhooks.
    const audit = await gql(
      `query($f: AuditLogFilter) { auditLog(filter: $f, first: 20) { edges { node { actor action targetType targetId } } } }`,
      { f: { organizationId } },
    );
    const entries = audit.auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(entries).toContainEqual({
      actor: 'system',
      action: 'developers.migratePlanSubscribers',
      targetType: 'Credential',
      targetId: credentialId,
    });
    const started = await gql(`query($f: AuditLogFilter) { auditLog(filter: $f) { edges { node { actor action } } } }`, {
      f: { targetType: 'PlanMigration', targetId: run.planMigration.id },
    });
    expect(started.auditLog.edges.map((e: { node: unknown }) => e.node)).toContainEqual({
      actor: admin.sub,
      action: 'migratePlanSubscribers',
    });
    const [completed] = await platform.subgraphs
      .developers!.orm.em.getConnection()
      .execute<{ data: Record<string, unknown> }[]>(
        `select data from platform.webhook_event where type = 'PLAN_MIGRATION_COMPLETED' and data->>'planMigrationId' = ?`,
        [run.planMigration.id],
      );
    expect(completed.data).toMatchObject({ fromPlanId: planA, toPlanId: planB, moved: 1, failed: 0 });

    // The rollback plan: the migration undone on demand (MFA), the key back on A's policy, its 3 requests still counted.
    const ROLL_BACK = `mutation($i: RollBackPlanMigrationInput!) { rollBackPlanMigration(input: $i) { planMigration { status counts { rolledBack } } errors { code } } }`;
    const refusedRollBack = await call(
      ROLL_BACK,
      { i: { id: run.planMigration.id, reason: 'B misbehaves' } },
      { ...alice, amr: ['pwd', 'mfa'] },
    );
    expect(refusedRollBack.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const rolledBack = (await gql(ROLL_BACK, { i: { id: run.planMigration.id, reason: 'B misbehaves' } })).rollBackPlanMigration;
    expect(rolledBack).toEqual({ planMigration: { status: 'ROLLED_BACK', counts: { rolledBack: 1 } }, errors: [] });
    const restored = await waitFor(
      () => {
        const s = tyk.keySession(keyHash) as { apply_policies: string[]; quota_max: number; quota_remaining: number } | undefined;
        return s?.apply_policies.includes(policyOf(planA)) ? s : null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the key back on plan A’s policy' },
    );
    expect(restored.apply_policies).not.toContain(policyOf(planB));
    expect(restored).toMatchObject({ quota_max: 5, quota_remaining: 2 });
    await waitFor(() => events.filter((e) => e?.type === 'PLAN_MIGRATED').length === 2, { what: 'the second PLAN_MIGRATED' });
  });

  it('stages a migration: half the subscribers first, then rolls them back when their 5xx share is worse than the rest’s', async () => {
    const provider = await mutate('registerProvider', 'RegisterProviderInput', 'provider { id }', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      makeDefault: false,
    });
    const providerId: string = provider.provider.id;
    const catalogId = await fixtures.catalog();
    const apiId = unique('radar');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const productId = await fixtures.product({ slug: unique('radar'), tykApiIds: [apiId], catalogIds: [catalogId] });
    const planC = await fixtures.plan({ name: unique('v1'), catalogIds: [catalogId], autoApprove: true });
    const planD = await fixtures.plan({ name: unique('v2'), catalogIds: [catalogId] });
    for (const subject of [{ planId: planC }, { planId: planD }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId });
    }
    const subscribers: { organizationId: string; credentialId: string; keyHash: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const owner = developer();
      const organizationId = await fixtures.organization(owner.sub);
      const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('app') }, owner);
      const access = await mutate(
        'requestAccess',
        'RequestAccessInput',
        'credential { id }',
        { appId: app.app.id, planId: planC, productIds: [productId] },
        owner,
      );
      const credentialId: string = access.credential.id;
      const keyHash = await waitFor(
        async () => {
          const [row] = await platform.subgraphs
            .provider!.orm.em.getConnection()
            .execute<{ key_hash: string }[]>(`select key_hash from provider.credential_key where credential_id = ? and status = 'ACTIVE'`, [
              credentialId,
            ]);
          return row && tyk.keySession(row.key_hash) ? row.key_hash : null;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
      );
      subscribers.push({ organizationId, credentialId, keyHash });
    }
    const policies = (keyHash: string) => (tyk.keySession(keyHash) as { apply_policies: string[] }).apply_policies;
    const policyOf = (planId: string) => `pg-plan-${planId.replace(/-/g, '')}`;

    const STAGED = `id status rollbackReason counts { total pending moved rolledBack }
      staging { currentStagePercent stageStartedAt nextEvaluationAt } steps { action stagePercent reason cohortRequests cohortErrorRatePercent restRequests restErrorRatePercent }
      items { status credential { id plan { id } } }`;
    const started = (
      await gql(
        `mutation($i: MigratePlanSubscribersInput!) { migratePlanSubscribers(input: $i) { planMigration { ${STAGED} } errors { code field message } } }`,
        {
          i: {
            fromPlanId: planC,
            toPlanId: planD,
            reason: 'v2 rollout',
            staged: { stages: [50, 100], stageDurationSeconds: 60, minRequests: 5 },
          },
        },
      )
    ).migratePlanSubscribers;
    expect(started.errors).toEqual([]);
    const id: string = started.planMigration.id;
    const read = async () => (await gql(`query($id: ID!) { planMigration(id: $id) { ${STAGED} } }`, { id })).planMigration;

    // Half of them (one of two) moves first; its key carries plan D's policy, the other's still C's.
    const observed = await waitFor(async () => {
      const m = await read();
      return m.staging.stageStartedAt ? m : null;
    });
    expect(observed.counts).toEqual({ total: 2, pending: 1, moved: 1, rolledBack: 0 });
    const movedId = observed.items.find((i: { status: string }) => i.status === 'MOVED').credential.id as string;
    const moved = subscribers.find((s) => s.credentialId === movedId)!;
    const rest = subscribers.find((s) => s.credentialId !== movedId)!;
    await waitFor(() => policies(moved.keyHash).includes(policyOf(planD)), { timeoutMs: 15_000, what: 'the moved key on plan D' });
    expect(policies(rest.keyHash)).toContain(policyOf(planC));

    // Their traffic after the move, as Tyk reports it: the moved key gets 5xx for 4 of 10 requests, the other none.
    const after = new Date(new Date(observed.staging.stageStartedAt).getTime() + 61_000);
    const second = (i: number) => new Date(after.getTime() + i * 1000);
    const traffic = Array.from({ length: 10 }, (_, i) => [
      analytics({ keyHash: moved.keyHash, policyIds: [] }, second(i), { api_id: apiId, response_code: i < 4 ? 502 : 200 }),
      analytics({ keyHash: rest.keyHash, policyIds: [] }, second(i), { api_id: apiId }),
    ]).flat();
    const fed = await postAnalytics(platform.subgraphs.usage!.url, traffic);
    expect(fed.body).toMatchObject({ accepted: 20, rejected: [] });

    // The stage's window passes (the developers subgraph's clock) and its evaluation runs now.
    clock.advance(125);
    await platform.subgraphs
      .developers!.orm.em.getConnection()
      .execute(
        `select graphile_worker.add_job('developers.evaluatePlanMigration', json_build_object('planMigrationId', ?::text), job_key := ?)`,
        [id, `plan-migration-evaluate:${id}`],
      );
    const rolledBack = await waitFor(async () => {
      const m = await read();
      return m.status === 'ROLLED_BACK' ? m : null;
    });
    expect(rolledBack.counts).toEqual({ total: 2, pending: 1, moved: 0, rolledBack: 1 });
    expect(rolledBack.rollbackReason).toContain('5xx share is 40 points above');
    expect(rolledBack.steps.map((s: { action: string; stagePercent: number }) => [s.action, s.stagePercent])).toEqual([
      ['STAGE_MOVED', 50],
      ['ROLLED_BACK', 50],
    ]);
    expect(rolledBack.steps[1]).toMatchObject({
      cohortRequests: 10,
      cohortErrorRatePercent: 40,
      restRequests: 10,
      restErrorRatePercent: 0,
    });
    expect(rolledBack.items.every((i: { credential: { plan: { id: string } } }) => i.credential.plan.id === planC)).toBe(true);
    // The same key is back on plan C's policy.
    await waitFor(() => policies(moved.keyHash).includes(policyOf(planC)) && !policies(moved.keyHash).includes(policyOf(planD)), {
      timeoutMs: 15_000,
      what: 'the key back on plan C',
    });
    const [hook] = await platform.subgraphs
      .developers!.orm.em.getConnection()
      .execute<{ data: Record<string, unknown> }[]>(
        `select data from platform.webhook_event where type = 'PLAN_MIGRATION_ROLLED_BACK' and data->>'planMigrationId' = ?`,
        [id],
      );
    expect(hook.data).toMatchObject({ fromPlanId: planC, toPlanId: planD, stagePercent: 50 });
  });
});
