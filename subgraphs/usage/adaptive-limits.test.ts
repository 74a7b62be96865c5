import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import type { EntityManager } from '@mikro-orm/postgresql';
import { testDatabaseUrl } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest } from '../../test/helpers/graphql';
import { ManualClock } from '../../test/kit/clock';
import { Fixtures } from '../../test/kit/usage';
import { usageSubgraph } from '.';
import { decide, evaluateAdaptiveLimits, type AdaptiveSettings } from './services/adaptive-limits';
import { bucketOf, emptyHistogram } from './services/histogram';

const SETTINGS: AdaptiveSettings = {
  floorRequests: 10,
  errorRateAbovePercent: 20,
  restoreBelowPercent: 5,
  latencyP95AboveMs: 1000,
  latencyRestoreBelowMs: 500,
  windowSeconds: 300,
  minRequests: 20,
};

describe('adaptive rate limits: the decision', () => {
  const t0 = new Date('2026-03-01T10:00:00.000Z');
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
  const normal = { state: 'NORMAL' as const, since: t0 };
  const tightened = { state: 'TIGHTENED' as const, since: t0 };

  it('tightens above the trigger (error rate or p95), not at it, and never on too few requests', () => {
    expect(decide(SETTINGS, normal, { requests: 100, errors5xx: 21, latencyP95Ms: 50 }, at(60))).toEqual({
      state: 'TIGHTENED',
      decision: 'ERROR_RATE_ABOVE',
    });
    expect(decide(SETTINGS, normal, { requests: 100, errors5xx: 20, latencyP95Ms: 50 }, at(60)).state).toBe('NORMAL');
    expect(decide(SETTINGS, normal, { requests: 100, errors5xx: 0, latencyP95Ms: 1200 }, at(60))).toEqual({
      state: 'TIGHTENED',
      decision: 'LATENCY_ABOVE',
    });
    expect(decide(SETTINGS, normal, { requests: 19, errors5xx: 19, latencyP95Ms: 5000 }, at(60))).toEqual({
      state: 'NORMAL',
      decision: 'TOO_FEW_REQUESTS',
    });
    expect(
      decide(
        { ...SETTINGS, latencyP95AboveMs: null, latencyRestoreBelowMs: null },
        normal,
        { requests: 100, errors5xx: 0, latencyP95Ms: 9000 },
        at(60),
      ).state,
    ).toBe('NORMAL');
  });

  it('does not flap: between the thresholds a tightened plan stays tightened and a normal one normal', () => {
    for (const errors of [6, 10, 15, 20]) {
      const stats = { requests: 100, errors5xx: errors, latencyP95Ms: 50 };
      expect(decide(SETTINGS, tightened, stats, at(3600))).toEqual({ state: 'TIGHTENED', decision: 'UNHEALTHY' });
      expect(decide(SETTINGS, normal, stats, at(3600)).state).toBe('NORMAL');
    }
    // Healthy errors but a p95 between the latency thresholds keeps it tightened too.
    expect(decide(SETTINGS, tightened, { requests: 100, errors5xx: 0, latencyP95Ms: 700 }, at(3600)).state).toBe('TIGHTENED');
  });

  it('restores only after a whole healthy window that began after the tightening', () => {
    const healthy = { requests: 100, errors5xx: 4, latencyP95Ms: 100 };
    expect(decide(SETTINGS, tightened, healthy, at(299))).toEqual({ state: 'TIGHTENED', decision: 'RECOVERING' });
    expect(decide(SETTINGS, tightened, healthy, at(300))).toEqual({ state: 'NORMAL', decision: 'RECOVERED' });
    expect(decide(SETTINGS, tightened, { ...healthy, errors5xx: 5 }, at(300)).state).toBe('TIGHTENED');
    expect(decide(SETTINGS, tightened, { ...healthy, requests: 10, errors5xx: 0 }, at(300))).toEqual({
      state: 'TIGHTENED',
      decision: 'TOO_FEW_REQUESTS',
    });
  });
});

/**
 * The usage subgraph on its own (no job worker, a manual clock): the setting through GraphQL, the
 * evaluation over the plan's minute rollups (written here as the ingest would), the published
 * view the provider reads, the provider sync enqueued, the history, audit and webhook events.
 */
describe('adaptive rate limits in the usage subgraph', () => {
  let usage: RunningSubgraph;
  let db: pg.Client;
  let fixtures: Fixtures;
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const admin = portalAdmin();

  beforeAll(async () => {
    usage = await startSubgraph(usageSubgraph, {
      databaseUrl: testDatabaseUrl(),
      port: 0,
      clock,
      env: { ...process.env, JOB_CONCURRENCY: '0', USAGE_TAIL_INTERVAL_SECONDS: '0' },
    });
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    fixtures = new Fixtures(db);
  });
  afterAll(async () => {
    await db?.end();
    await usage?.stop();
  });

  const SET = `mutation($input: SetAdaptiveRateLimitInput!) { setAdaptiveRateLimit(input: $input) {
    adaptiveLimit { planId state since effectiveRate { requests perSeconds } settings { floorRequests restoreBelowPercent windowSeconds } }
    errors { code field message } } }`;
  const READ = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Plan { adaptiveLimit {
    state since effectiveRate { requests perSeconds }
    lastEvaluation { requests errors5xx errorRatePercent latencyP95Ms decision }
    changes { state reason requests errors5xx errorRatePercent effectiveRate { requests perSeconds } } } } } }`;

  async function planWithRate(requests: number, perSeconds: number): Promise<string> {
    const plan = await fixtures.plan();
    await db.query(`update plans.plan set rate_requests = $2, rate_per_seconds = $3 where id = $1`, [plan.id, requests, perSeconds]);
    return plan.id;
  }

  /** `requests` upstream requests of the plan in the minute starting at `minute`, `errors` of them 5xx, at `latencyMs`. */
  async function traffic(planId: string, minute: Date, requests: number, errors: number, latencyMs = 40): Promise<void> {
    const histogram = emptyHistogram();
    histogram[bucketOf(latencyMs)] = requests;
    await db.query(
      `insert into usage.usage_rollup (scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
       values ('PLAN', $1, 'MINUTE', $2, $3, 0, $4, 0, 0, $5, $6)`,
      [planId, minute.toISOString(), requests, errors, requests * latencyMs, histogram],
    );
  }

  const evaluate = () => usage.orm.em.fork().transactional((em) => evaluateAdaptiveLimits(em as EntityManager, clock.now()));
  const read = async (planId: string) =>
    (await subgraphRequest(usage.url, READ, { reps: [{ __typename: 'Plan', id: planId }] }, admin)).data!._entities[0].adaptiveLimit;
  const syncJobs = async (planId: string) =>
    (await db.query(`select count(*)::int as n from graphile_worker._private_jobs where key = $1`, [`plan:${planId}`])).rows[0].n as number;
  const published = async (planId: string) =>
    (
      await db.query(`select state, effective_rate_requests, effective_per_seconds from usage.adaptive_limit_contract where plan_id = $1`, [
        planId,
      ])
    ).rows;
  const minutesAgo = (n: number) => new Date(clock.now().getTime() - n * 60_000);

  it('is set by portal admins only, validated against the plan’s rate, and readable by portal admins only', async () => {
    const planId = await planWithRate(100, 60);
    const input = { planId, settings: { ...SETTINGS } };
    const refused = await subgraphRequest(usage.url, SET, { input }, developer());
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await subgraphRequest(
      usage.url,
      SET,
      { input: { planId, settings: { ...SETTINGS, floorRequests: 100, restoreBelowPercent: 25, windowSeconds: 10 } } },
      admin,
    );
    expect(bad.data!.setAdaptiveRateLimit.errors.map((e: any) => e.field)).toEqual([
      'input.settings.floorRequests',
      'input.settings.restoreBelowPercent',
      'input.settings.windowSeconds',
    ]);
    // 10 a minute for 60 s cannot show 20 requests: the plan could never be restored.
    const stuck = await subgraphRequest(usage.url, SET, { input: { planId, settings: { ...SETTINGS, windowSeconds: 60 } } }, admin);
    expect(stuck.data!.setAdaptiveRateLimit.errors).toEqual([
      expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'input.settings.minRequests' }),
    ]);
    const unlimited = await fixtures.plan();
    const noRate = await subgraphRequest(usage.url, SET, { input: { planId: unlimited.id, settings: SETTINGS } }, admin);
    expect(noRate.data!.setAdaptiveRateLimit.errors).toEqual([
      expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'input.planId' }),
    ]);
    const set = await subgraphRequest(usage.url, SET, { input }, admin);
    expect(set.data!.setAdaptiveRateLimit).toEqual({
      adaptiveLimit: {
        planId,
        state: 'NORMAL',
        since: clock.now().toISOString(),
        effectiveRate: { requests: 100, perSeconds: 60 },
        settings: { floorRequests: 10, restoreBelowPercent: 5, windowSeconds: 300 },
      },
      errors: [],
    });
    const audit = await db.query(`select change from platform.audit_log where action = 'setAdaptiveRateLimit' and target_id = $1`, [
      planId,
    ]);
    expect(audit.rows).toEqual([{ change: 'CREATE' }]);
    const asMember = await subgraphRequest(usage.url, READ, { reps: [{ __typename: 'Plan', id: planId }] }, developer());
    expect(asMember.data!._entities[0].adaptiveLimit).toBeNull();
  });

  it('tightens on 5xx, stays tightened between the thresholds, restores after a whole healthy window; each change written and announced', async () => {
    const planId = await planWithRate(100, 60);
    await subgraphRequest(usage.url, SET, { input: { planId, settings: SETTINGS } }, admin);
    const jobsBefore = await syncJobs(planId);

    // Healthy and too few: nothing.
    await traffic(planId, minutesAgo(1), 10, 9);
    clock.advance(1);
    await evaluate();
    expect(await read(planId)).toMatchObject({
      state: 'NORMAL',
      lastEvaluation: { requests: 10, errors5xx: 9, decision: 'TOO_FEW_REQUESTS' },
    });

    // 30 of 60 upstream requests failed in the window: tightened to the floor.
    await traffic(planId, minutesAgo(2), 50, 21);
    await evaluate();
    const tightenedAt = clock.now().toISOString();
    expect(await read(planId)).toMatchObject({
      state: 'TIGHTENED',
      since: tightenedAt,
      effectiveRate: { requests: 10, perSeconds: 60 },
      lastEvaluation: { requests: 60, errors5xx: 30, errorRatePercent: 50, decision: 'ERROR_RATE_ABOVE' },
      changes: [
        {
          state: 'TIGHTENED',
          reason: 'ERROR_RATE_ABOVE',
          requests: 60,
          errors5xx: 30,
          errorRatePercent: 50,
          effectiveRate: { requests: 10, perSeconds: 60 },
        },
      ],
    });
    expect(await published(planId)).toEqual([{ state: 'TIGHTENED', effective_rate_requests: 10, effective_per_seconds: 60 }]);
    expect(await syncJobs(planId)).toBe(jobsBefore + 1);
    const tightenEvents = await db.query(
      `select data from platform.webhook_event where type = 'ADAPTIVE_LIMIT_TIGHTENED' and data->>'planId' = $1`,
      [planId],
    );
    expect(tightenEvents.rows).toEqual([
      { data: expect.objectContaining({ reason: 'ERROR_RATE_ABOVE', errorRatePercent: 50, effectiveRateRequests: 10 }) },
    ]);
    expect(
      (
        await db.query(`select count(*)::int as n from platform.audit_log where action = 'adaptiveLimit.tighten' and target_id = $1`, [
          planId,
        ])
      ).rows[0].n,
    ).toBe(1);

    // Hovering between 5 % and 20 %: stays tightened, window after window.
    for (let i = 0; i < 3; i++) {
      clock.advance(300);
      await traffic(planId, minutesAgo(1), 100, 10);
      await evaluate();
      expect(await read(planId)).toMatchObject({
        state: 'TIGHTENED',
        since: tightenedAt,
        lastEvaluation: { errorRatePercent: 10, decision: 'UNHEALTHY' },
      });
    }

    // Healthy (2 %) over a whole window: restored, the plan's own rate back.
    clock.advance(300);
    await traffic(planId, minutesAgo(2), 50, 1);
    await traffic(planId, minutesAgo(1), 50, 1);
    await evaluate();
    expect(await read(planId)).toMatchObject({
      state: 'NORMAL',
      effectiveRate: { requests: 100, perSeconds: 60 },
      lastEvaluation: { requests: 100, errors5xx: 2, decision: 'RECOVERED' },
      changes: [{ state: 'NORMAL', reason: 'RECOVERED', effectiveRate: null }, { state: 'TIGHTENED' }],
    });
    expect(await published(planId)).toEqual([]);
    expect(
      (
        await db.query(
          `select count(*)::int as n from platform.webhook_event where type = 'ADAPTIVE_LIMIT_RESTORED' and data->>'planId' = $1`,
          [planId],
        )
      ).rows[0].n,
    ).toBe(1);
  });

  it('tightens on the p95 latency of the window, estimated from the rollups’ histograms', async () => {
    const planId = await planWithRate(100, 60);
    await subgraphRequest(usage.url, SET, { input: { planId, settings: SETTINGS } }, admin);
    clock.advance(60);
    await traffic(planId, minutesAgo(1), 30, 0, 40);
    await evaluate();
    expect((await read(planId)).lastEvaluation).toMatchObject({ requests: 30, errors5xx: 0, decision: 'HEALTHY' });
    await traffic(planId, minutesAgo(2), 30, 0, 4000);
    await evaluate();
    const limit = await read(planId);
    expect(limit).toMatchObject({ state: 'TIGHTENED', lastEvaluation: { requests: 60, errors5xx: 0, decision: 'LATENCY_ABOVE' } });
    expect(limit.lastEvaluation.latencyP95Ms).toBeGreaterThan(1000);
  });

  it('restores at once when the setting is removed while tightened', async () => {
    const planId = await planWithRate(50, 1);
    await subgraphRequest(
      usage.url,
      SET,
      { input: { planId, settings: { ...SETTINGS, latencyP95AboveMs: null, latencyRestoreBelowMs: null } } },
      admin,
    );
    clock.advance(60);
    await traffic(planId, minutesAgo(1), 40, 40);
    await evaluate();
    expect((await read(planId)).state).toBe('TIGHTENED');
    const removed = await subgraphRequest(usage.url, SET, { input: { planId, settings: null } }, admin);
    expect(removed.data!.setAdaptiveRateLimit.adaptiveLimit).toMatchObject({
      state: 'NORMAL',
      settings: null,
      effectiveRate: { requests: 50, perSeconds: 1 },
    });
    expect(await published(planId)).toEqual([]);
    expect((await read(planId)).changes[0]).toMatchObject({ state: 'NORMAL', reason: 'SETTING_REMOVED' });
  });
});
