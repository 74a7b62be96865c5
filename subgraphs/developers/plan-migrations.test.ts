/**
 * Bulk plan migration in the developers subgraph: `migratePlanSubscribers` (portal admins; a run
 * needs MFA) and `planMigration`: the preview, the run by the job (same credentials moved, their
 * key's policies swapped, events, webhooks, audit), eligibility, re-checks at move time, typed
 * refusals and idempotency.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { waitFor } from '../../test/helpers/wait';
import {
  archivePlan,
  developer,
  errorsOf,
  gql,
  loggedJobs,
  ok,
  organization,
  portalAdmin,
  seedOf,
  sql,
  startAccessHarness,
  type AccessHarness,
  type Identity,
} from '../../test/kit/access';
import { ManualClock } from '../../test/kit/clock';
import { PLAN_MIGRATION_CONTRACT_COLUMNS, readPlanMigrationContract } from '../../common/contracts/plan-migrations';
import { evaluateStage, migrateBatch } from './services/plan-migrations';
import { MAX_HOLDS } from '../../common/staging';

const mfa = (identity: Identity): Identity => ({ ...identity, amr: ['pwd', 'mfa'] });

const MIGRATION = `id status reason startedBy createdAt completedAt fromPlan { id } toPlan { id }
  counts { total pending moved failed organizations }
  items { credential { id plan { id } } organization { id } status errorCode errorMessage movedAt }`;
const MIGRATE = `mutation($input: MigratePlanSubscribersInput!) { migratePlanSubscribers(input: $input) {
  planMigration { ${MIGRATION} } errors { code field message } } }`;
const READ = `query($id: ID!) { planMigration(id: $id) { ${MIGRATION} } }`;

describe('developers: bulk plan migration', () => {
  let h: AccessHarness;
  // Stays at the start unless a test moves it (staged migrations' windows).
  const clock = new ManualClock(new Date());
  beforeAll(async () => {
    h = await startAccessHarness({ clock });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /**
   * Plan A offers P1, P2 (catalog C1) and P3 (catalog C2); plan B is in C1 only. Organization X
   * holds a credential for P1+P2, organization Y one for P1 and one for P3 (which B does not
   * offer). Plan A is then archived.
   */
  async function world() {
    const seed = seedOf(h);
    const c1 = await seed.catalog();
    const c2 = await seed.catalog();
    const p1 = await seed.product({ catalogIds: [c1] });
    const p2 = await seed.product({ catalogIds: [c1] });
    const p3 = await seed.product({ catalogIds: [c2] });
    const planA = await seed.plan({ catalogIds: [c1, c2], autoApprove: true, tier: 0 });
    const planB = await seed.plan({ catalogIds: [c1], tier: 0, credentialMetadata: [{ key: 'Tier', value: 'gold' }] });
    const x = await organization(h);
    const y = await organization(h);
    const grant = async (org: typeof x, productIds: string[]) =>
      (await ok(h, 'requestAccess', { appId: org.app.id, planId: planA, productIds }, org.member)).credential.id as string;
    const cx = await grant(x, [p1, p2]);
    const cy = await grant(y, [p1]);
    const cy3 = await grant(y, [p3]);
    await archivePlan(h, planA);
    return { planA, planB, x, y, cx, cy, cy3, p3 };
  }

  const credentialRow = async (id: string) =>
    (await sql(h, `select plan_id::text as plan_id, secret_hash, version, metadata from developers.credential where id = ?`, [id]))[0];

  it('refuses everyone but portal admins, and a run without MFA; nothing is stored', async () => {
    const w = await world();
    const input = { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Plan A retired' };
    expect(errorsOf(await gql(h, MIGRATE, { input }, w.x.owner), 'migratePlanSubscribers')).toEqual([{ code: 'FORBIDDEN' }]);
    expect(errorsOf(await gql(h, MIGRATE, { input }, mfa(w.x.owner)), 'migratePlanSubscribers')).toEqual([{ code: 'FORBIDDEN' }]);
    expect(errorsOf(await gql(h, MIGRATE, { input }, developer()), 'migratePlanSubscribers')).toEqual([{ code: 'FORBIDDEN' }]);
    expect(errorsOf(await gql(h, MIGRATE, { input }, null), 'migratePlanSubscribers')).toEqual([{ code: 'UNAUTHENTICATED' }]);
    expect(errorsOf(await gql(h, MIGRATE, { input }, portalAdmin()), 'migratePlanSubscribers')).toEqual([{ code: 'MFA_REQUIRED' }]);
    expect(await sql(h, `select id from developers.plan_migration where from_plan_id = ?`, [w.planA])).toEqual([]);
    expect((await credentialRow(w.cx)).plan_id).toBe(w.planA);

    const preview = await gql(h, MIGRATE, { input: { ...input, dryRun: true } }, portalAdmin());
    const id = preview.data.migratePlanSubscribers.planMigration.id;
    expect(errorsOf(await gql(h, READ, { id }, w.x.owner), 'planMigration')).toEqual([{ code: 'FORBIDDEN' }]);
    expect(errorsOf(await gql(h, READ, { id }, null), 'planMigration')).toEqual([{ code: 'UNAUTHENTICATED' }]);
    expect((await gql(h, READ, { id: randomUUID() }, portalAdmin())).data.planMigration).toBeNull();

    // The list: portal admins only, by plan (from or to it) and status.
    const LIST = `query($plan: ID, $status: PlanMigrationStatus) { planMigrations(planId: $plan, status: $status, first: 10) { totalCount edges { node { id status } } } }`;
    expect(errorsOf(await gql(h, LIST, { plan: w.planA }, w.x.owner), 'planMigrations')).toEqual([{ code: 'FORBIDDEN' }]);
    expect(errorsOf(await gql(h, LIST, { plan: w.planA }, null), 'planMigrations')).toEqual([{ code: 'UNAUTHENTICATED' }]);
    for (const plan of [w.planA, w.planB]) {
      const listed = (await gql(h, LIST, { plan }, portalAdmin())).data.planMigrations;
      expect(listed).toEqual({ totalCount: 1, edges: [{ node: { id, status: 'PREVIEW' } }] });
    }
    expect((await gql(h, LIST, { plan: w.planA, status: 'RUNNING' }, portalAdmin())).data.planMigrations.totalCount).toBe(0);
  });

  it('answers bad input with typed errors', async () => {
    const w = await world();
    const admin = mfa(portalAdmin());
    const call = async (input: Record<string, unknown>) =>
      errorsOf(
        await gql(h, MIGRATE, { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Why', ...input } }, admin),
        'migratePlanSubscribers',
      );
    expect(await call({ toPlanId: w.planA })).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.toPlanId' }]);
    expect(await call({ reason: '   ' })).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.reason' }]);
    expect(await call({ reason: 'x'.repeat(1001) })).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.reason' }]);
    expect(await call({ idempotencyKey: 'has space' })).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
    expect(await call({ fromPlanId: randomUUID() })).toEqual([{ code: 'NOT_FOUND', field: 'input.fromPlanId' }]);
    expect(await call({ toPlanId: randomUUID() })).toEqual([{ code: 'NOT_FOUND', field: 'input.toPlanId' }]);
    // An archived plan takes no subscribers.
    expect(await call({ fromPlanId: w.planB, toPlanId: w.planA })).toEqual([{ code: 'PLAN_NOT_PUBLISHED', field: 'input.toPlanId' }]);
    const draft = await seedOf(h).plan({ status: 'DRAFT' });
    expect(await call({ toPlanId: draft })).toEqual([{ code: 'PLAN_NOT_PUBLISHED', field: 'input.toPlanId' }]);
    const malformed = await gql(h, MIGRATE, { input: { fromPlanId: 'nope', toPlanId: w.planB, reason: 'Why' } }, admin);
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.fromPlanId' });
    expect(await sql(h, `select id from developers.plan_migration where from_plan_id = ?`, [w.planA])).toEqual([]);
  });

  it('previews without changing anything: what would move, what would not and why', async () => {
    const w = await world();
    const result = await gql(
      h,
      MIGRATE,
      { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Plan A retired', dryRun: true } },
      portalAdmin(),
    );
    expect(result.errors).toBeUndefined();
    const preview = result.data.migratePlanSubscribers.planMigration;
    expect(preview).toMatchObject({
      status: 'PREVIEW',
      fromPlan: { id: w.planA },
      toPlan: { id: w.planB },
      completedAt: null,
      counts: { total: 3, pending: 2, moved: 0, failed: 1, organizations: 2 },
    });
    const failed = preview.items.find((i: any) => i.status === 'FAILED');
    expect(failed).toMatchObject({ credential: { id: w.cy3 }, organization: { id: w.y.id }, errorCode: 'PRODUCT_NOT_OFFERED' });
    expect(failed.errorMessage).toContain(w.p3);
    for (const id of [w.cx, w.cy, w.cy3]) expect((await credentialRow(id)).plan_id).toBe(w.planA);
    expect(await loggedJobs(h, w.cx)).not.toContainEqual(expect.objectContaining({ task: 'provider.updateKeyPolicies' }));
    expect(await sql(h, `select 1 from graphile_worker._private_jobs where key = ?`, [`plan-migration:${preview.id}`])).toEqual([]);

    // A credential that no longer works (expired, or past its rotation's end) is not covered.
    await sql(h, `update developers.credential set expires_at = ? where id = ?`, [new Date(clock.now().getTime() - 1000), w.cx]);
    await sql(h, `update developers.credential set revokes_at = ? where id = ?`, [new Date(clock.now().getTime() - 1000), w.cy3]);
    const again = await gql(
      h,
      MIGRATE,
      { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Again', dryRun: true } },
      portalAdmin(),
    );
    expect(again.data.migratePlanSubscribers.planMigration.counts).toMatchObject({ total: 1, pending: 1, failed: 0 });
    expect(again.data.migratePlanSubscribers.planMigration.items.map((i: any) => i.credential.id)).toEqual([w.cy]);
  });

  it('publishes each migration’s plans in developers.plan_migration_contract, as its reader declares', async () => {
    const columns = await sql(
      h,
      `select column_name from information_schema.columns where table_schema = 'developers' and table_name = 'plan_migration_contract' order by ordinal_position`,
    );
    expect(columns.map((c: any) => c.column_name)).toEqual(PLAN_MIGRATION_CONTRACT_COLUMNS);
    const w = await world();
    const preview = await gql(
      h,
      MIGRATE,
      { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Why', dryRun: true } },
      portalAdmin(),
    );
    const id = preview.data.migratePlanSubscribers.planMigration.id;
    const em = h.subgraph.orm.em.fork() as EntityManager;
    expect(await readPlanMigrationContract(em, id)).toEqual({ id, from_plan_id: w.planA, to_plan_id: w.planB, status: 'PREVIEW' });
    expect(await readPlanMigrationContract(em, randomUUID())).toBeNull();
  });

  it('moves every eligible credential, keeping it, with events, webhooks and audit; a retry returns the same migration', async () => {
    const w = await world();
    const before = await credentialRow(w.cx);
    const admin = mfa(portalAdmin());
    const input = { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Plan A retired', idempotencyKey: randomUUID() };
    const started = await gql(h, MIGRATE, { input }, admin);
    expect(started.data.migratePlanSubscribers.errors).toEqual([]);
    const id = started.data.migratePlanSubscribers.planMigration.id;
    expect(started.data.migratePlanSubscribers.planMigration).toMatchObject({ status: 'RUNNING', startedBy: admin.sub });

    const done = await waitFor(
      async () => {
        const m = (await gql(h, READ, { id }, portalAdmin())).data.planMigration;
        return m.status === 'COMPLETED' ? m : null;
      },
      { what: 'the migration to complete' },
    );
    expect(done.counts).toEqual({ total: 3, pending: 0, moved: 2, failed: 1, organizations: 2 });
    expect(done.completedAt).not.toBeNull();
    const moved = done.items.filter((i: any) => i.status === 'MOVED');
    expect(moved.map((i: any) => i.credential.id).sort()).toEqual([w.cx, w.cy].sort());
    expect(moved.every((i: any) => i.credential.plan.id === w.planB && i.movedAt)).toBe(true);

    // The same credential: same secret, one version more, the new plan's metadata; its key's policies swapped.
    const after = await credentialRow(w.cx);
    expect(after).toMatchObject({ plan_id: w.planB, secret_hash: before.secret_hash, version: before.version + 1 });
    expect(after.metadata).toMatchObject({ Tier: 'gold', ApplicationID: w.x.app.id });
    expect(await loggedJobs(h, w.cx)).toContainEqual(expect.objectContaining({ task: 'provider.updateKeyPolicies', key: `key:${w.cx}` }));
    expect((await credentialRow(w.cy3)).plan_id).toBe(w.planA);

    const events = await sql(
      h,
      `select payload->>'organizationId' as org, payload->>'credentialId' as credential from platform.event
        where topic = 'accessRequestEvents' and payload->>'type' = 'PLAN_MIGRATED' and payload->>'credentialId' in (?, ?, ?)`,
      [w.cx, w.cy, w.cy3],
    );
    expect(events.map((e: any) => `${e.org}:${e.credential}`).sort()).toEqual([`${w.x.id}:${w.cx}`, `${w.y.id}:${w.cy}`].sort());
    const hooks = await sql(
      h,
      `select type, organization_id::text as org, data from platform.webhook_event
        where data->>'planMigrationId' = ? order by id`,
      [id],
    );
    expect(hooks.map((e: any) => e.type)).toEqual(['PLAN_MIGRATED', 'PLAN_MIGRATED', 'PLAN_MIGRATION_COMPLETED']);
    expect(hooks[2]).toMatchObject({ org: null, data: { fromPlanId: w.planA, toPlanId: w.planB, moved: 2, failed: 1 } });

    const audit = await sql(
      h,
      `select actor, action, target_type from platform.audit_log where target_id = ? or target_id = ? order by id`,
      [id, w.cx],
    );
    expect(audit).toContainEqual({ actor: admin.sub, action: 'migratePlanSubscribers', target_type: 'PlanMigration' });
    expect(audit).toContainEqual({ actor: 'system', action: 'developers.migratePlanSubscribers', target_type: 'Credential' });

    const replay = await gql(h, MIGRATE, { input }, admin);
    expect(replay.data.migratePlanSubscribers.planMigration.id).toBe(id);
    const reused = await gql(h, MIGRATE, { input: { ...input, reason: 'Other' } }, admin);
    expect(errorsOf(reused, 'migratePlanSubscribers')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
  });

  it('rolls a completed migration back on demand (portal admins with MFA), keeping the credentials', async () => {
    const w = await world();
    const admin = mfa(portalAdmin());
    const ROLL_BACK = `mutation($input: RollBackPlanMigrationInput!) { rollBackPlanMigration(input: $input) {
      planMigration { id status rollbackReason counts { moved rolledBack failed } steps { action stagePercent reason } } errors { code field message } } }`;
    const preview = await gql(h, MIGRATE, { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Look', dryRun: true } }, admin);
    const previewId = preview.data.migratePlanSubscribers.planMigration.id;
    const started = await gql(h, MIGRATE, { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Retire A' } }, admin);
    const id = started.data.migratePlanSubscribers.planMigration.id;
    await waitFor(async () => (await gql(h, READ, { id }, portalAdmin())).data.planMigration.status === 'COMPLETED');
    const secretBefore = (await credentialRow(w.cx)).secret_hash;
    expect((await credentialRow(w.cx)).plan_id).toBe(w.planB);

    const input = { id, reason: 'Plan B misbehaves' };
    const call = (i: Record<string, unknown>, who: Identity | null) => gql(h, ROLL_BACK, { input: i }, who);
    expect(errorsOf(await call(input, mfa(w.x.owner)), 'rollBackPlanMigration')).toEqual([{ code: 'FORBIDDEN' }]);
    expect(errorsOf(await call(input, null), 'rollBackPlanMigration')).toEqual([{ code: 'UNAUTHENTICATED' }]);
    expect(errorsOf(await call(input, portalAdmin()), 'rollBackPlanMigration')).toEqual([{ code: 'MFA_REQUIRED' }]);
    expect(errorsOf(await call({ ...input, reason: ' ' }, admin), 'rollBackPlanMigration')).toEqual([
      { code: 'VALIDATION_FAILED', field: 'input.reason' },
    ]);
    expect(errorsOf(await call({ ...input, id: randomUUID() }, admin), 'rollBackPlanMigration')).toEqual([
      { code: 'NOT_FOUND', field: 'input.id' },
    ]);
    expect(errorsOf(await call({ ...input, id: previewId }, admin), 'rollBackPlanMigration')).toEqual([
      { code: 'INVALID_TRANSITION', field: 'input.id' },
    ]);
    expect((await credentialRow(w.cx)).plan_id).toBe(w.planB);

    const done = (await call(input, admin)).data.rollBackPlanMigration;
    expect(done.errors).toEqual([]);
    expect(done.planMigration).toMatchObject({
      id,
      status: 'ROLLED_BACK',
      rollbackReason: `Rolled back by ${admin.sub}: Plan B misbehaves`,
      counts: { moved: 0, rolledBack: 2, failed: 1 },
      steps: [{ action: 'ROLLED_BACK', stagePercent: 100, reason: `Rolled back by ${admin.sub}: Plan B misbehaves` }],
    });
    for (const credential of [w.cx, w.cy, w.cy3]) expect((await credentialRow(credential)).plan_id).toBe(w.planA);
    expect((await credentialRow(w.cx)).secret_hash).toBe(secretBefore);
    expect((await loggedJobs(h, w.cx)).filter((j) => j.task === 'provider.updateKeyPolicies')).toHaveLength(1);
    const again = (await call(input, admin)).data.rollBackPlanMigration;
    expect(again.planMigration.steps).toHaveLength(1);
    const hooks = await sql(h, `select type from platform.webhook_event where data->>'planMigrationId' = ? order by id`, [id]);
    expect(hooks.map((e: any) => e.type)).toEqual([
      'PLAN_MIGRATED',
      'PLAN_MIGRATED',
      'PLAN_MIGRATION_COMPLETED',
      'PLAN_MIGRATED',
      'PLAN_MIGRATED',
      'PLAN_MIGRATION_ROLLED_BACK',
    ]);
    const audit = await sql(h, `select actor, action from platform.audit_log where target_id = ? and action = 'rollBackPlanMigration'`, [
      id,
    ]);
    expect(audit).toEqual([{ actor: admin.sub, action: 'rollBackPlanMigration' }]);
  });

  it('allows one RUNNING migration per plan, and checks each credential again when it moves', async () => {
    const w = await world();
    const admin = mfa(portalAdmin());
    // A preview's items, turned into a run that no job has picked up yet.
    const preview = await gql(
      h,
      MIGRATE,
      { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Retired', dryRun: true } },
      portalAdmin(),
    );
    const id = preview.data.migratePlanSubscribers.planMigration.id;
    await sql(h, `update developers.plan_migration set status = 'RUNNING' where id = ?`, [id]);
    const second = await gql(h, MIGRATE, { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Again' } }, admin);
    expect(errorsOf(second, 'migratePlanSubscribers')).toEqual([{ code: 'PLAN_MIGRATION_RUNNING', field: 'input.fromPlanId' }]);

    // Meanwhile X revokes its credential: it is not moved.
    await ok(h, 'revokeCredential', { id: w.cx }, w.x.member);
    const em = h.subgraph.orm.em.fork() as EntityManager;
    const ops = (tx: EntityManager) => ({ em: tx, pubsub: h.subgraph.pubsub, now: new Date(), env: process.env });
    expect(await em.transactional((tx) => migrateBatch(ops(tx as EntityManager), id))).toBe(true);
    expect(await em.transactional((tx) => migrateBatch(ops(tx as EntityManager), id))).toBe(false);
    const items = await sql(
      h,
      `select credential_id::text as id, status, error_code from developers.plan_migration_item where migration_id = ? order by credential_id`,
      [id],
    );
    expect(items).toEqual(
      expect.arrayContaining([
        { id: w.cx, status: 'FAILED', error_code: 'CREDENTIAL_NOT_ACTIVE' },
        { id: w.cy, status: 'MOVED', error_code: null },
        { id: w.cy3, status: 'FAILED', error_code: 'PRODUCT_NOT_OFFERED' },
      ]),
    );
    expect((await sql(h, `select status from developers.plan_migration where id = ?`, [id]))[0].status).toBe('COMPLETED');
    // Once COMPLETED, a batch changes nothing; and a new run may start (nothing left to move but the ineligible one).
    expect(await em.transactional((tx) => migrateBatch(ops(tx as EntityManager), id))).toBe(false);
    const third = await gql(h, MIGRATE, { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Again' } }, admin);
    expect(third.data.migratePlanSubscribers.planMigration.counts).toMatchObject({ total: 1, failed: 1, pending: 0 });
  });

  describe('staged', () => {
    const STAGED = `id status rollbackReason completedAt counts { total pending moved failed rolledBack }
      staging { stages currentStagePercent stageDurationSeconds maxErrorRateDeltaPercent maxLatencyRatioPercent minRequests stageStartedAt nextEvaluationAt }
      steps { at action stagePercent reason cohortRequests cohortErrorRatePercent cohortAverageLatencyMs restRequests restErrorRatePercent restAverageLatencyMs }
      items { status credential { id } }`;
    const read = async (id: string) =>
      (await gql(h, `query($id: ID!) { planMigration(id: $id) { ${STAGED} } }`, { id }, portalAdmin())).data.planMigration;

    /** Four organizations, each with one credential under plan A (auto-approve); plan B beside it. */
    async function fourSubscribers() {
      const seed = seedOf(h);
      const catalogId = await seed.catalog();
      const productId = await seed.product({ catalogIds: [catalogId] });
      const planA = await seed.plan({ catalogIds: [catalogId], autoApprove: true, tier: 0 });
      const planB = await seed.plan({ catalogIds: [catalogId], tier: 0 });
      const credentials: string[] = [];
      for (let i = 0; i < 4; i++) {
        const org = await organization(h);
        const granted = await ok(h, 'requestAccess', { appId: org.app.id, planId: planA, productIds: [productId] }, org.member);
        credentials.push(granted.credential.id);
      }
      return { planA, planB, credentials };
    }

    /** A minute of traffic of each credential in the usage rollups, as the usage ingest writes them. */
    async function traffic(credentialIds: string[], at: Date, requests: number, errors5xx: number, averageMs: number) {
      for (const id of credentialIds) {
        await sql(
          h,
          `insert into usage.usage_rollup (scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
           values ('CREDENTIAL', ?, 'MINUTE', date_trunc('minute', ?::timestamptz), ?, 0, ?, 0, 0, ?, '{}')
           on conflict (scope, scope_id, granularity, bucket) do update set requests = usage_rollup.requests + excluded.requests,
             errors_5xx = usage_rollup.errors_5xx + excluded.errors_5xx, latency_sum_ms = usage_rollup.latency_sum_ms + excluded.latency_sum_ms`,
          [id, at, requests, errors5xx, requests * averageMs],
        );
      }
    }

    const evaluate = (id: string, now: Date) =>
      (h.subgraph.orm.em.fork() as EntityManager).transactional((tx) =>
        evaluateStage({ em: tx as EntityManager, pubsub: h.subgraph.pubsub, now, env: process.env }, id),
      );
    const at = (from: string | Date, seconds: number) => new Date(new Date(from).getTime() + seconds * 1000);

    it('refuses bad stages and thresholds with typed errors', async () => {
      const w = await world();
      const call = async (staged: Record<string, unknown>) =>
        errorsOf(
          await gql(h, MIGRATE, { input: { fromPlanId: w.planA, toPlanId: w.planB, reason: 'Why', dryRun: true, staged } }, portalAdmin()),
          'migratePlanSubscribers',
        );
      expect(await call({ stages: [50, 10, 100], stageDurationSeconds: 600 })).toEqual([
        { code: 'VALIDATION_FAILED', field: 'input.staged.stages' },
      ]);
      expect(await call({ stages: [10, 50], stageDurationSeconds: 600 })).toEqual([
        { code: 'VALIDATION_FAILED', field: 'input.staged.stages' },
      ]);
      expect(await call({ stages: [100], stageDurationSeconds: 5, maxLatencyRatioPercent: 50 })).toEqual([
        { code: 'VALIDATION_FAILED', field: 'input.staged.stageDurationSeconds' },
        { code: 'VALIDATION_FAILED', field: 'input.staged.maxLatencyRatioPercent' },
      ]);
    });

    it('moves a deterministic share, widens a healthy stage, holds a close one, and rolls everything back over a threshold', async () => {
      const w = await fourSubscribers();
      const admin = mfa(portalAdmin());
      const started = await gql(
        h,
        MIGRATE,
        {
          input: {
            fromPlanId: w.planA,
            toPlanId: w.planB,
            reason: 'Staged move',
            staged: { stages: [25, 50, 100], stageDurationSeconds: 120, minRequests: 10 },
          },
        },
        admin,
      );
      expect(started.data.migratePlanSubscribers.errors).toEqual([]);
      const id = started.data.migratePlanSubscribers.planMigration.id;

      // Stage 1 (25 %): exactly one credential of four, the first in the cohort order.
      const first = await waitFor(async () => {
        const m = await read(id);
        return m.staging.stageStartedAt ? m : null;
      });
      expect(first.status).toBe('RUNNING');
      expect(first.counts).toMatchObject({ total: 4, pending: 3, moved: 1 });
      expect(first.staging).toMatchObject({
        stages: [25, 50, 100],
        currentStagePercent: 25,
        stageDurationSeconds: 120,
        maxErrorRateDeltaPercent: 2,
        maxLatencyRatioPercent: 150,
        minRequests: 10,
        stageStartedAt: clock.now().toISOString(),
        nextEvaluationAt: at(clock.now(), 120).toISOString(),
      });
      expect(first.steps.map((s: any) => [s.action, s.stagePercent])).toEqual([['STAGE_MOVED', 25]]);
      const order = (
        await sql(
          h,
          `select credential_id::text as id from developers.plan_migration_item where migration_id = ? order by cohort_bucket, credential_id`,
          [id],
        )
      ).map((r: any) => r.id);
      expect(first.items.filter((i: any) => i.status === 'MOVED').map((i: any) => i.credential.id)).toEqual([order[0]]);

      // Before the window has passed nothing is decided; after it, healthy figures widen. Traffic of
      // the minute the stage started in is not counted (it may be from before the move).
      await traffic(order, clock.now(), 1000, 500, 5000);
      await evaluate(id, clock.advance(60));
      expect((await read(id)).steps).toHaveLength(1);
      await traffic([order[0]], clock.now(), 20, 0, 100);
      await traffic(order.slice(1), clock.now(), 20, 0, 110);
      await evaluate(id, clock.advance(61));
      const second = await waitFor(async () => {
        const m = await read(id);
        return m.staging.currentStagePercent === 50 && m.staging.stageStartedAt ? m : null;
      });
      expect(second.counts).toMatchObject({ pending: 2, moved: 2 });
      expect(
        second.items
          .filter((i: any) => i.status === 'MOVED')
          .map((i: any) => i.credential.id)
          .sort(),
      ).toEqual(order.slice(0, 2).sort());
      expect(second.steps.map((s: any) => [s.action, s.stagePercent])).toEqual([
        ['STAGE_MOVED', 25],
        ['WIDENED', 25],
        ['STAGE_MOVED', 50],
      ]);
      expect(second.steps[1]).toMatchObject({
        cohortRequests: 20,
        cohortErrorRatePercent: 0,
        cohortAverageLatencyMs: 100,
        restRequests: 60,
        restErrorRatePercent: 0,
        restAverageLatencyMs: 110,
      });
      expect(second.steps[1].reason).toContain('Healthy');

      // Stage 2 (50 %): 1.8 points more 5xx than the rest — inside the band below the threshold: held, judged one duration later.
      await traffic(order.slice(0, 2), clock.advance(60), 500, 9, 100);
      await traffic(order.slice(2), clock.now(), 1000, 0, 100);
      await evaluate(id, clock.advance(61));
      const held = await read(id);
      expect(held.steps[3]).toMatchObject({
        action: 'HELD',
        stagePercent: 50,
        cohortRequests: 1000,
        cohortErrorRatePercent: 1.8,
        restRequests: 2000,
      });
      expect(held.steps[3].reason).toContain('Close to a threshold');
      expect(held.staging.nextEvaluationAt).toBe(at(held.staging.stageStartedAt, 240).toISOString());
      await evaluate(id, clock.advance(60));
      expect((await read(id)).steps).toHaveLength(4);

      // Then the moved half gets worse: rolled back, both credentials back under A.
      await traffic(order.slice(0, 2), clock.now(), 500, 100, 100);
      await evaluate(id, clock.advance(61));
      const rolledBack = await read(id);
      expect(rolledBack.status).toBe('ROLLED_BACK');
      expect(rolledBack.completedAt).toBe(clock.now().toISOString());
      expect(rolledBack.staging.nextEvaluationAt).toBeNull();
      expect(rolledBack.rollbackReason).toContain('5xx share is 10.9 points above');
      expect(rolledBack.counts).toMatchObject({ total: 4, pending: 2, moved: 0, rolledBack: 2 });
      expect(rolledBack.steps[4]).toMatchObject({ action: 'ROLLED_BACK', stagePercent: 50, cohortRequests: 2000, restRequests: 2000 });
      for (const credential of w.credentials) expect((await credentialRow(credential)).plan_id).toBe(w.planA);
      expect((await loggedJobs(h, order[1])).filter((j) => j.task === 'provider.updateKeyPolicies')).toHaveLength(1);

      const hooks = await sql(h, `select type, data from platform.webhook_event where data->>'planMigrationId' = ? order by id`, [id]);
      expect(hooks.map((e: any) => e.type)).toEqual([
        'PLAN_MIGRATED',
        'PLAN_MIGRATION_STAGE_ADVANCED',
        'PLAN_MIGRATED',
        'PLAN_MIGRATED',
        'PLAN_MIGRATED',
        'PLAN_MIGRATION_ROLLED_BACK',
      ]);
      expect(hooks[1].data).toMatchObject({ fromPercent: 25, toPercent: 50 });
      expect(hooks[3].data).toMatchObject({ fromPlanId: w.planB, toPlanId: w.planA });
      expect(hooks[5].data).toMatchObject({ stagePercent: 50, reason: rolledBack.rollbackReason });
      // A late evaluation changes nothing.
      await evaluate(id, clock.advance(600));
      expect((await read(id)).steps).toHaveLength(5);
    });

    it('holds a stage without traffic three times, then widens it and completes with the last stage', async () => {
      const w = await fourSubscribers();
      const started = await gql(
        h,
        MIGRATE,
        {
          input: {
            fromPlanId: w.planA,
            toPlanId: w.planB,
            reason: 'Quiet plan',
            staged: { stages: [50, 100], stageDurationSeconds: 60 },
          },
        },
        mfa(portalAdmin()),
      );
      const id = started.data.migratePlanSubscribers.planMigration.id;
      const first = await waitFor(async () => {
        const m = await read(id);
        return m.staging.stageStartedAt ? m : null;
      });
      expect(first.counts).toMatchObject({ total: 4, pending: 2, moved: 2 });
      expect(first.staging).toMatchObject({ maxErrorRateDeltaPercent: 2, maxLatencyRatioPercent: 150, minRequests: 100 });
      for (let hold = 1; hold <= MAX_HOLDS; hold++) {
        await evaluate(id, clock.advance(61));
        const held = await read(id);
        expect(held.steps.map((s: any) => s.action)).toEqual(['STAGE_MOVED', ...Array(hold).fill('HELD')]);
        expect(held.staging.nextEvaluationAt).toBe(at(first.staging.stageStartedAt, 60 * (hold + 1)).toISOString());
      }
      await evaluate(id, clock.advance(61));
      const done = await waitFor(async () => {
        const m = await read(id);
        return m.status === 'COMPLETED' ? m : null;
      });
      expect(done.counts).toMatchObject({ total: 4, pending: 0, moved: 4, rolledBack: 0 });
      expect(done.steps.map((s: any) => [s.action, s.stagePercent])).toEqual([
        ['STAGE_MOVED', 50],
        ['HELD', 50],
        ['HELD', 50],
        ['HELD', 50],
        ['WIDENED', 50],
        ['COMPLETED', 100],
      ]);
      expect(done.steps[4].reason).toContain('Too little traffic to compare after 3 holds');
      expect(done.staging).toMatchObject({ currentStagePercent: 100, nextEvaluationAt: null });
      for (const credential of w.credentials) expect((await credentialRow(credential)).plan_id).toBe(w.planB);
      const hooks = await sql(
        h,
        `select type from platform.webhook_event where data->>'planMigrationId' = ? and organization_id is null order by id`,
        [id],
      );
      expect(hooks.map((e: any) => e.type)).toEqual(['PLAN_MIGRATION_STAGE_ADVANCED', 'PLAN_MIGRATION_COMPLETED']);
    });
  });
});
