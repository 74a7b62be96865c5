/**
 * Staged rollouts of plan changes in the plans subgraph: what can be staged and by whom, the
 * deterministic cohort (each stage exactly its share, holding the one before), the evaluation
 * (held without traffic, widened when healthy, rolled back on latency), completion applying the
 * change as a new version, a plan changed meanwhile, and the manual rollback. Credentials and
 * usage rollups are written as fixtures into the developers and usage tables behind the views the
 * rollout reads (`developers.credential_contract`, `usage.credential_usage_contract`).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { cohortBucket } from '../../common/staging';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { waitFor } from '../../test/helpers/wait';
import { ManualClock } from '../../test/kit/clock';
import { Fixtures } from '../../test/kit/usage';
import { productsSubgraph } from '../products';
import { plansSubgraph } from '.';

const ERRORS = 'errors { code field message }';
const ROLLOUT = `id status currentStagePercent cohortSize stageStartedAt nextEvaluationAt rollbackReason
  steps { action stagePercent reason cohortRequests restRequests cohortAverageLatencyMs restAverageLatencyMs }
  changeRequest { status decisionReason appliedVersion }`;
const APPROVE = `mutation($input: ApprovePlanChangeInput!) { approvePlanChange(input: $input) {
  changeRequest { id status rollout { ${ROLLOUT} } } plan { version } ${ERRORS} } }`;
const READ = `query($id: ID!) { planRollout(id: $id) { ${ROLLOUT} } }`;

describe('staged rollouts of plan changes', () => {
  let products: RunningSubgraph;
  let plans: RunningSubgraph;
  let db: pg.Client;
  let fixtures: Fixtures;
  const clock = new ManualClock(new Date());
  const alice = portalAdmin();
  const bob = portalAdmin();

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    fixtures = new Fixtures(db);
    products = await startSubgraph(productsSubgraph, { databaseUrl, port: 0 });
    plans = await startSubgraph(plansSubgraph, { databaseUrl, port: 0, clock });
  });
  afterAll(async () => {
    await plans?.stop();
    await products?.stop();
    await db?.end();
  });

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null = bob) {
    const response = await subgraphRequest(plans.url, query, variables, identity);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data as any;
  }

  /** A DRAFT plan of 100 requests an hour with `credentials` ACTIVE credentials. */
  async function plan(credentials: number): Promise<{ id: string; credentialIds: string[] }> {
    const created = await gql(
      `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } ${ERRORS} } }`,
      { input: { name: unique('staged'), displayName: 'Staged', quota: { requests: 100, period: 'HOUR' } } },
      alice,
    );
    const id: string = created.createPlan.plan.id;
    const organization = await fixtures.organization();
    const appId = await fixtures.app(organization.id);
    const product = { id: randomUUID(), policyId: 'pg-product-fixture' };
    const credentialIds: string[] = [];
    for (let i = 0; i < credentials; i++) {
      credentialIds.push(
        (await fixtures.credential(organization.id, appId, { id, policyId: `pg-plan-${id.replace(/-/g, '')}` } as never, [product])).id,
      );
    }
    return { id, credentialIds };
  }

  async function propose(planId: string, changes: Record<string, unknown> = { quota: { requests: 200, period: 'HOUR' } }): Promise<string> {
    const proposed = await gql(
      `mutation($input: ProposePlanChangeInput!) { proposePlanChange(input: $input) { changeRequest { id } ${ERRORS} } }`,
      { input: { id: planId, changes, reason: 'More quota' } },
      alice,
    );
    expect(proposed.proposePlanChange.errors).toEqual([]);
    return proposed.proposePlanChange.changeRequest.id;
  }

  async function approve(id: string, rollout: Record<string, unknown>, identity: Identity = bob) {
    return (await gql(APPROVE, { input: { id, rollout } }, identity)).approvePlanChange;
  }

  async function members(rolloutId: string): Promise<string[]> {
    const { rows } = await db.query<{ credential_id: string }>(
      `select credential_id::text as credential_id from plans.plan_rollout_member where rollout_id = $1 order by credential_id`,
      [rolloutId],
    );
    return rows.map((r) => r.credential_id);
  }

  /** The `developers.planRolloutNotice` jobs queued for a rollout (each step's, by job key), oldest first. */
  async function notices(rolloutId: string): Promise<Record<string, unknown>[]> {
    const { rows } = await db.query<{ payload: Record<string, unknown> }>(
      `select p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p on p.id = j.id
        where j.task_identifier = 'developers.planRolloutNotice' and j.key like $1 order by j.id`,
      [`plan-rollout-notice:${rolloutId}:%`],
    );
    return rows.map((r) => r.payload);
  }

  /** One minute of traffic after the stage started: `requests` each, at these average latencies. */
  async function traffic(stageStartedAt: string, ids: string[], requests: number, latencyMs: number, errors = 0) {
    const minute = new Date(Math.ceil((new Date(stageStartedAt).getTime() + 1) / 60_000) * 60_000);
    for (const id of ids) {
      await db.query(
        `insert into usage.usage_rollup (scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
         values ('CREDENTIAL', $1, 'MINUTE', $2, $3, 0, $4, 0, 0, $5, '{}')`,
        [id, minute, requests, errors, requests * latencyMs],
      );
    }
  }

  /** Lets the stage's window pass and runs its evaluation; resolves with the rollout once `done` says so. */
  async function evaluate(rolloutId: string, seconds: number, done: (rollout: any) => boolean) {
    clock.advance(seconds);
    await db.query(
      `select graphile_worker.add_job('plans.evaluatePlanRollout', json_build_object('planRolloutId', $1::text), job_key := $2)`,
      [rolloutId, `plan-rollout-evaluate:${rolloutId}`],
    );
    return waitFor(
      async () => {
        const rollout = (await gql(READ, { id: rolloutId })).planRollout;
        return done(rollout) ? rollout : null;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'the evaluation' },
    );
  }

  it('stages only limit changes, for portal admins other than the proposer, one running rollout per plan, bounded input', async () => {
    const { id } = await plan(2);
    const tierOnly = await propose(id, { tier: 3 });
    expect((await approve(tierOnly, { stages: [50, 100], stageDurationSeconds: 60 })).errors).toEqual([
      expect.objectContaining({ code: 'NOT_STAGEABLE', field: 'input.rollout' }),
    ]);
    const mixed = await propose(id, { quota: { requests: 300, period: 'HOUR' }, displayName: 'Renamed too' });
    expect((await approve(mixed, { stages: [50, 100], stageDurationSeconds: 60 })).errors[0].code).toBe('NOT_STAGEABLE');
    const change = await propose(id);
    const bad = await approve(change, { stages: [0, 100, 100], stageDurationSeconds: 10, minRequests: 0, maxLatencyRatioPercent: 50 });
    expect(bad.errors.map((e: { field: string }) => e.field)).toEqual([
      'input.rollout.stages',
      'input.rollout.stageDurationSeconds',
      'input.rollout.maxLatencyRatioPercent',
      'input.rollout.minRequests',
    ]);
    const refused = await subgraphRequest(
      plans.url,
      APPROVE,
      { input: { id: change, rollout: { stages: [100], stageDurationSeconds: 60 } } },
      developer(),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await approve(change, { stages: [100], stageDurationSeconds: 60 }, alice)).errors[0].code).toBe('SELF_APPROVAL_FORBIDDEN');

    const started = await approve(change, { stages: [50, 100], stageDurationSeconds: 60 });
    expect(started.errors).toEqual([]);
    expect(started.plan).toEqual({ version: 1 });
    expect(started.changeRequest.status).toBe('ROLLING_OUT');
    const other = await propose(id, { rateLimit: { requests: 5, perSeconds: 1 } });
    expect((await approve(other, { stages: [50, 100], stageDurationSeconds: 60 })).errors).toEqual([
      expect.objectContaining({ code: 'PLAN_ROLLOUT_RUNNING', field: 'input.rollout' }),
    ]);
    // The manual rollback: a reason is required; rolling back twice changes nothing.
    const ROLL_BACK = `mutation($input: RollBackPlanRolloutInput!) { rollBackPlanRollout(input: $input) { rollout { status rollbackReason steps { action } } ${ERRORS} } }`;
    const rolloutId = started.changeRequest.rollout.id;
    expect((await gql(ROLL_BACK, { input: { id: rolloutId, reason: ' ' } })).rollBackPlanRollout.errors[0].field).toBe('input.reason');
    const once = (await gql(ROLL_BACK, { input: { id: rolloutId, reason: 'Support tickets' } })).rollBackPlanRollout;
    expect(once.rollout).toEqual({
      status: 'ROLLED_BACK',
      rollbackReason: `Rolled back by ${bob.sub}: Support tickets`,
      steps: [{ action: 'STAGE_STARTED' }, { action: 'ROLLED_BACK' }],
    });
    expect((await gql(ROLL_BACK, { input: { id: rolloutId, reason: 'again' } })).rollBackPlanRollout.rollout.steps).toHaveLength(2);
    const request = await gql(`query($id: ID!) { planRollout(id: $id) { changeRequest { status decisionReason } } }`, { id: rolloutId });
    expect(request.planRollout.changeRequest).toEqual({
      status: 'ROLLED_BACK',
      decisionReason: `Rolled back by ${bob.sub}: Support tickets`,
    });
  });

  it('widens a deterministic cohort stage by stage and applies the change when the stage before 100 % is healthy', async () => {
    const { id, credentialIds } = await plan(10);
    const started = await approve(await propose(id), { stages: [20, 60, 100], stageDurationSeconds: 60, minRequests: 5 });
    const rollout = started.changeRequest.rollout;
    expect(rollout).toMatchObject({ status: 'RUNNING', currentStagePercent: 20, cohortSize: 2 });
    const order = [...credentialIds].sort((a, b) => cohortBucket(rollout.id, a) - cohortBucket(rollout.id, b) || (a < b ? -1 : 1));
    expect(await members(rollout.id)).toEqual(order.slice(0, 2).sort());
    expect(new Date(rollout.nextEvaluationAt).getTime()).toBe(new Date(rollout.stageStartedAt).getTime() + 60_000);

    await traffic(rollout.stageStartedAt, credentialIds, 10, 100);
    const widened = await evaluate(rollout.id, 125, (r) => r.currentStagePercent === 60);
    expect(widened).toMatchObject({ status: 'RUNNING', cohortSize: 6 });
    expect(await members(rollout.id)).toEqual(order.slice(0, 6).sort());
    expect(widened.steps.map((s: { action: string; stagePercent: number }) => [s.action, s.stagePercent])).toEqual([
      ['STAGE_STARTED', 20],
      ['WIDENED', 20],
      ['STAGE_STARTED', 60],
    ]);
    expect(widened.steps[1]).toMatchObject({
      cohortRequests: 20,
      restRequests: 80,
      cohortAverageLatencyMs: 100,
      restAverageLatencyMs: 100,
    });

    await traffic(widened.stageStartedAt, credentialIds, 10, 100);
    const completed = await evaluate(rollout.id, 125, (r) => r.status === 'COMPLETED');
    expect(completed.changeRequest).toEqual({ status: 'APPROVED', decisionReason: null, appliedVersion: 2 });
    expect(completed.steps.slice(-2).map((s: { action: string }) => s.action)).toEqual(['WIDENED', 'COMPLETED']);
    const after = await gql(`query($id: ID!) { plan(id: $id) { version quota { requests } rollouts { status } } }`, { id });
    expect(after.plan).toEqual({ version: 2, quota: { requests: 200 }, rollouts: [{ status: 'COMPLETED' }] });
    // Each step told the developers subgraph whom to tell: the joiners of each stage (candidate limits), then the plan's credentials (its new limits).
    const limits = (quotaRequests: number) => ({ quotaRequests, quotaPeriodSeconds: 3600, rateRequests: null, ratePerSeconds: null });
    const common = { planRolloutId: rollout.id, planId: id, reason: null };
    expect(await notices(rollout.id)).toEqual([
      { ...common, step: 'JOINED', stagePercent: 20, ...limits(200), occurredAt: rollout.stageStartedAt },
      { ...common, step: 'JOINED', stagePercent: 60, ...limits(200), occurredAt: widened.stageStartedAt },
      { ...common, step: 'COMPLETED', stagePercent: 60, ...limits(200), occurredAt: expect.any(String) },
    ]);
  });

  it('holds a stage without traffic (and widens after three holds), rolls back on latency, and never applies to a plan changed meanwhile', async () => {
    // No traffic at all: held three times, one duration apart, then widened; the last stage completes the rollout.
    const quiet = await plan(2);
    const held = (await approve(await propose(quiet.id), { stages: [50, 100], stageDurationSeconds: 60 })).changeRequest.rollout;
    for (let holds = 1; holds <= 3; holds++) {
      // The rollout and its steps are read by separate statements: wait for a read after the evaluation on both.
      const due = new Date(held.stageStartedAt).getTime() + (holds + 1) * 60_000;
      const current = await evaluate(
        held.id,
        61,
        (r) =>
          r.steps.filter((s: { action: string }) => s.action === 'HELD').length === holds && new Date(r.nextEvaluationAt).getTime() === due,
      );
      expect(current).toMatchObject({ status: 'RUNNING', currentStagePercent: 50 });
    }
    const done = await evaluate(held.id, 61, (r) => r.status === 'COMPLETED');
    expect(done.steps.find((s: { action: string }) => s.action === 'WIDENED').reason).toContain('Too little traffic');

    // The cohort is three times as slow: rolled back, the plan untouched.
    const slow = await plan(4);
    const rollout = (await approve(await propose(slow.id), { stages: [50, 100], stageDurationSeconds: 60, minRequests: 5 })).changeRequest
      .rollout;
    const cohort = await members(rollout.id);
    await traffic(rollout.stageStartedAt, cohort, 10, 300);
    await traffic(
      rollout.stageStartedAt,
      slow.credentialIds.filter((c) => !cohort.includes(c)),
      10,
      100,
    );
    const rolledBack = await evaluate(rollout.id, 125, (r) => r.status === 'ROLLED_BACK');
    expect(rolledBack.rollbackReason).toContain('average latency is 300 % of the rest’s');
    expect(rolledBack.changeRequest).toMatchObject({ status: 'ROLLED_BACK', appliedVersion: null });
    expect(rolledBack.steps.map((s: { action: string }) => s.action)).toEqual(['STAGE_STARTED', 'ROLLED_BACK']);
    expect((await gql(`query($id: ID!) { plan(id: $id) { version } }`, { id: slow.id })).plan.version).toBe(1);
    // The cohort is told it is back on the plan's limits, and why.
    expect((await notices(rollout.id)).map((n) => [n.step, n.stagePercent, n.quotaRequests, n.reason])).toEqual([
      ['JOINED', 50, 200, null],
      ['ROLLED_BACK', 50, 100, rolledBack.rollbackReason],
    ]);

    // The plan changes directly during the rollout: the change is not applied over it.
    const moving = await plan(2);
    const staged = (await approve(await propose(moving.id), { stages: [50, 100], stageDurationSeconds: 60, minRequests: 5 })).changeRequest
      .rollout;
    const renamed = await gql(
      `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { version } ${ERRORS} } }`,
      { input: { id: moving.id, displayName: 'Renamed' } },
      alice,
    );
    expect(renamed.updatePlan.plan.version).toBe(2);
    await traffic(staged.stageStartedAt, moving.credentialIds, 10, 100);
    const superseded = await evaluate(staged.id, 125, (r) => r.status === 'ROLLED_BACK');
    expect(superseded.rollbackReason).toContain('The plan changed to version 2 during the rollout');
    expect((await gql(`query($id: ID!) { plan(id: $id) { version quota { requests } } }`, { id: moving.id })).plan).toEqual({
      version: 2,
      quota: { requests: 100 },
    });
  });
});
