/**
 * Adaptive rate limits: a plan's rate limit tightens to a floor while the upstream behind its
 * traffic is unhealthy and is restored once it is healthy again (docs/PROVIDER-SYNC.md, "Adaptive
 * rate limits").
 *
 * - Health is read from the plan's minute rollups over the setting's window: the 5xx share of the
 *   requests that reached the upstream (requests refused by the gateway for rate or quota are left
 *   out: tightening causes them) and the p95 latency.
 * - Hysteresis: a NORMAL plan tightens when the error rate is above `errorRateAbovePercent` (or
 *   the p95 above `latencyP95AboveMs`); a TIGHTENED plan is restored only when the error rate is
 *   below the lower `restoreBelowPercent` (and the p95 below `latencyRestoreBelowMs`) over a whole
 *   window that began after it tightened. Between the two thresholds nothing changes, either way.
 *   Windows with fewer than `minRequests` upstream requests change nothing.
 * - A change of state is stored with its figures, audited, announced (platform webhooks
 *   ADAPTIVE_LIMIT_TIGHTENED / ADAPTIVE_LIMIT_RESTORED, and the job `developers.adaptiveLimitChanged`,
 *   which puts the same event on `accessRequestEvents` for every organization holding an ACTIVE
 *   credential on the plan) and written to the provider like any plan change: `provider.syncPlan`
 *   is enqueued in the same transaction, and the provider reads the tightened rate from
 *   `usage.adaptive_limit_contract`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { appendAudit } from '../../../common/audit';
import { readPlanContracts } from '../../../common/contracts/plans';
import { refusal } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import type { AdaptiveLimitChangePayload } from '../../../common/job-payloads';
import { Validation } from '../../../common/mutation';
import { query } from '../../../common/sql';
import { recordWebhookEvent } from '../../../common/webhooks';
import { addHistogram, emptyHistogram, percentile } from './histogram';

export type AdaptiveState = 'NORMAL' | 'TIGHTENED';

export interface AdaptiveSettings {
  floorRequests: number;
  errorRateAbovePercent: number;
  restoreBelowPercent: number;
  latencyP95AboveMs: number | null;
  latencyRestoreBelowMs: number | null;
  windowSeconds: number;
  minRequests: number;
}

export interface WindowStats {
  /** Requests that reached the upstream (not refused by the gateway for rate or quota). */
  requests: number;
  errors5xx: number;
  latencyP95Ms: number | null;
}

/** Why an evaluation decided what it did. */
export type Decision =
  | 'TOO_FEW_REQUESTS'
  | 'HEALTHY'
  | 'ERROR_RATE_ABOVE'
  | 'LATENCY_ABOVE'
  | 'UNHEALTHY'
  | 'RECOVERING'
  | 'RECOVERED'
  | 'SETTING_REMOVED'
  | 'PLAN_WITHOUT_RATE_LIMIT';

export const errorRatePercent = (stats: WindowStats): number =>
  stats.requests ? Math.round((stats.errors5xx * 10_000) / stats.requests) / 100 : 0;

/** The next state of a plan from its window's figures (pure; see the file's comment for the rules). */
export function decide(
  settings: AdaptiveSettings,
  current: { state: AdaptiveState; since: Date },
  stats: WindowStats,
  now: Date,
): { state: AdaptiveState; decision: Decision } {
  if (stats.requests < settings.minRequests) return { state: current.state, decision: 'TOO_FEW_REQUESTS' };
  const rate = errorRatePercent(stats);
  const p95 = stats.latencyP95Ms;
  if (current.state === 'NORMAL') {
    if (rate > settings.errorRateAbovePercent) return { state: 'TIGHTENED', decision: 'ERROR_RATE_ABOVE' };
    if (settings.latencyP95AboveMs !== null && p95 !== null && p95 > settings.latencyP95AboveMs) {
      return { state: 'TIGHTENED', decision: 'LATENCY_ABOVE' };
    }
    return { state: 'NORMAL', decision: 'HEALTHY' };
  }
  const latencyRestore = settings.latencyRestoreBelowMs ?? settings.latencyP95AboveMs;
  const healthy = rate < settings.restoreBelowPercent && (latencyRestore === null || p95 === null || p95 < latencyRestore);
  if (!healthy) return { state: 'TIGHTENED', decision: 'UNHEALTHY' };
  const wholeWindowSince = now.getTime() - current.since.getTime() >= settings.windowSeconds * 1000;
  return wholeWindowSince ? { state: 'NORMAL', decision: 'RECOVERED' } : { state: 'TIGHTENED', decision: 'RECOVERING' };
}

/** The plan's figures over `(now - windowSeconds, now]` from its minute rollups. */
export async function windowStats(em: EntityManager, planId: string, now: Date, windowSeconds: number): Promise<WindowStats> {
  const rows = await query<{ requests: string; errors_5xx: string; latency_histogram: number[] }>(
    em,
    `select (requests - rate_limited - quota_exceeded) as requests, errors_5xx, latency_histogram
       from usage.usage_rollup
      where scope = 'PLAN' and scope_id = ? and granularity = 'MINUTE' and bucket > ? and bucket <= ?`,
    [planId, new Date(now.getTime() - windowSeconds * 1000).toISOString(), now.toISOString()],
  );
  const histogram = emptyHistogram();
  let requests = 0;
  let errors5xx = 0;
  for (const row of rows) {
    requests += Number(row.requests);
    errors5xx += Number(row.errors_5xx);
    addHistogram(histogram, row.latency_histogram ?? []);
  }
  return { requests, errors5xx, latencyP95Ms: percentile(histogram, 0.95) };
}

export interface AdaptiveRow {
  plan_id: string;
  floor_requests: number;
  error_rate_above_percent: string | number;
  restore_below_percent: string | number;
  latency_p95_above_ms: number | null;
  latency_restore_below_ms: number | null;
  window_seconds: number;
  min_requests: number;
  updated_by: string;
  updated_at: Date;
  state: AdaptiveState;
  since: Date;
  effective_rate_requests: number | null;
  effective_per_seconds: number | null;
  last_evaluated_at: Date | null;
  last_requests: number | null;
  last_errors_5xx: number | null;
  last_error_rate_percent: string | number | null;
  last_latency_p95_ms: string | number | null;
  last_decision: Decision | null;
}

export const settingsOf = (row: AdaptiveRow): AdaptiveSettings => ({
  floorRequests: row.floor_requests,
  errorRateAbovePercent: Number(row.error_rate_above_percent),
  restoreBelowPercent: Number(row.restore_below_percent),
  latencyP95AboveMs: row.latency_p95_above_ms,
  latencyRestoreBelowMs: row.latency_restore_below_ms,
  windowSeconds: row.window_seconds,
  minRequests: row.min_requests,
});

export async function readAdaptiveRows(em: EntityManager, planIds: readonly string[] | null, lock = false): Promise<AdaptiveRow[]> {
  return query<AdaptiveRow>(
    em,
    `select plan_id::text as plan_id, floor_requests, error_rate_above_percent, restore_below_percent, latency_p95_above_ms,
            latency_restore_below_ms, window_seconds, min_requests, updated_by, updated_at, state, since, effective_rate_requests,
            effective_per_seconds, last_evaluated_at, last_requests, last_errors_5xx, last_error_rate_percent, last_latency_p95_ms, last_decision
       from usage.adaptive_rate_limit ${planIds ? 'where plan_id = any(?::uuid[])' : ''} order by plan_id ${lock ? 'for update' : ''}`,
    planIds ? [`{${planIds.join(',')}}`] : [],
  );
}

export interface ChangeRow {
  plan_id: string;
  occurred_at: Date;
  state: AdaptiveState;
  reason: Decision;
  requests: number | null;
  errors_5xx: number | null;
  error_rate_percent: string | number | null;
  latency_p95_ms: string | number | null;
  effective_rate_requests: number | null;
  effective_per_seconds: number | null;
}

export async function readChanges(em: EntityManager, planId: string, limit: number): Promise<ChangeRow[]> {
  return query<ChangeRow>(
    em,
    `select plan_id::text as plan_id, occurred_at, state, reason, requests, errors_5xx, error_rate_percent, latency_p95_ms,
            effective_rate_requests, effective_per_seconds
       from usage.adaptive_limit_change where plan_id = ? order by id desc limit ?`,
    [planId, limit],
  );
}

interface PlanRate {
  rate_requests: number | null;
  rate_per_seconds: number | null;
  status: string;
}

async function planRates(em: EntityManager, ids: string[]): Promise<Map<string, PlanRate>> {
  return readPlanContracts(em, ids, ['rate_requests', 'rate_per_seconds', 'status']);
}

/** The rate a tightened plan gets: the floor (never above the plan's own rate), per the plan's period. */
function tightenedRate(settings: AdaptiveSettings, plan: PlanRate): { requests: number; perSeconds: number } | null {
  if (plan.rate_requests === null || plan.rate_per_seconds === null) return null;
  return { requests: Math.min(settings.floorRequests, plan.rate_requests), perSeconds: plan.rate_per_seconds };
}

/**
 * Records a change of state: the history row, the provider sync and the organizations' notice
 * (jobs, same transaction), the audit entry and the webhook event.
 */
async function recordChange(
  em: EntityManager,
  now: Date,
  planId: string,
  state: AdaptiveState,
  decision: Decision,
  stats: WindowStats | null,
  rate: { requests: number; perSeconds: number } | null,
  planRate: PlanRate | null,
): Promise<void> {
  const errorRate = stats ? errorRatePercent(stats) : null;
  const [change] = await query<{ id: string }>(
    em,
    `insert into usage.adaptive_limit_change
       (plan_id, occurred_at, state, reason, requests, errors_5xx, error_rate_percent, latency_p95_ms, effective_rate_requests, effective_per_seconds)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id::text as id`,
    [
      planId,
      now.toISOString(),
      state,
      decision,
      stats?.requests ?? null,
      stats?.errors5xx ?? null,
      errorRate,
      stats?.latencyP95Ms ?? null,
      rate?.requests ?? null,
      rate?.perSeconds ?? null,
    ],
  );
  await enqueueJob(em, JOB_TASKS.syncPlan, { planId }, { jobKey: `plan:${planId}` });
  const data = {
    planId,
    state,
    reason: decision,
    requests: stats?.requests ?? null,
    errors5xx: stats?.errors5xx ?? null,
    errorRatePercent: errorRate,
    latencyP95Ms: stats?.latencyP95Ms ?? null,
    effectiveRateRequests: rate?.requests ?? planRate?.rate_requests ?? null,
    effectivePerSeconds: rate?.perSeconds ?? planRate?.rate_per_seconds ?? null,
  };
  await appendAudit(em, 'usage', {
    action: state === 'TIGHTENED' ? 'adaptiveLimit.tighten' : 'adaptiveLimit.restore',
    change: 'UPDATE',
    targetType: 'Plan',
    targetId: planId,
    after: data,
  });
  // The organizations using the plan hear of it on `accessRequestEvents` (developers owns them).
  const notice: AdaptiveLimitChangePayload = {
    changeId: change.id,
    planId,
    state,
    reason: decision,
    rateRequests: data.effectiveRateRequests,
    ratePerSeconds: data.effectivePerSeconds,
    occurredAt: now.toISOString(),
  };
  await enqueueJob(em, JOB_TASKS.adaptiveLimitChanged, { ...notice }, { jobKey: `adaptive-limit-change:${change.id}` });
  await recordWebhookEvent(em, {
    type: state === 'TIGHTENED' ? 'ADAPTIVE_LIMIT_TIGHTENED' : 'ADAPTIVE_LIMIT_RESTORED',
    organizationId: null,
    occurredAt: now,
    data,
  });
}

async function setState(
  em: EntityManager,
  planId: string,
  now: Date,
  state: AdaptiveState,
  rate: { requests: number; perSeconds: number } | null,
): Promise<void> {
  await query(
    em,
    `update usage.adaptive_rate_limit set state = ?, since = ?, effective_rate_requests = ?, effective_per_seconds = ? where plan_id = ?`,
    [state, now.toISOString(), rate?.requests ?? null, rate?.perSeconds ?? null, planId],
  );
}

export interface EvaluationOutcome {
  planId: string;
  state: AdaptiveState;
  decision: Decision;
  changed: boolean;
}

/**
 * `usage.evaluateAdaptiveLimits`: evaluates every plan with a setting at `now` (rows locked, one
 * transaction), stores the figures, and applies the changes of state.
 */
export async function evaluateAdaptiveLimits(em: EntityManager, now: Date): Promise<EvaluationOutcome[]> {
  const rows = await readAdaptiveRows(em, null, true);
  const plans = await planRates(
    em,
    rows.map((r) => r.plan_id),
  );
  const outcomes: EvaluationOutcome[] = [];
  for (const row of rows) {
    const settings = settingsOf(row);
    const plan = plans.get(row.plan_id) ?? null;
    const rate = plan && plan.status !== 'ARCHIVED' ? tightenedRate(settings, plan) : null;
    const stats = await windowStats(em, row.plan_id, now, settings.windowSeconds);
    let next: { state: AdaptiveState; decision: Decision };
    if (!rate) next = { state: 'NORMAL', decision: 'PLAN_WITHOUT_RATE_LIMIT' };
    else next = decide(settings, { state: row.state, since: new Date(row.since) }, stats, now);
    await query(
      em,
      `update usage.adaptive_rate_limit
          set last_evaluated_at = ?, last_requests = ?, last_errors_5xx = ?, last_error_rate_percent = ?, last_latency_p95_ms = ?, last_decision = ?
        where plan_id = ?`,
      [now.toISOString(), stats.requests, stats.errors5xx, errorRatePercent(stats), stats.latencyP95Ms, next.decision, row.plan_id],
    );
    const changed = next.state !== row.state;
    if (changed) {
      await setState(em, row.plan_id, now, next.state, next.state === 'TIGHTENED' ? rate : null);
      await recordChange(em, now, row.plan_id, next.state, next.decision, stats, next.state === 'TIGHTENED' ? rate : null, plan);
    } else if (
      next.state === 'TIGHTENED' &&
      rate &&
      (rate.requests !== row.effective_rate_requests || rate.perSeconds !== row.effective_per_seconds)
    ) {
      // The floor or the plan's own rate changed while tightened: the provider gets the new rate.
      await query(em, `update usage.adaptive_rate_limit set effective_rate_requests = ?, effective_per_seconds = ? where plan_id = ?`, [
        rate.requests,
        rate.perSeconds,
        row.plan_id,
      ]);
      await enqueueJob(em, JOB_TASKS.syncPlan, { planId: row.plan_id }, { jobKey: `plan:${row.plan_id}` });
    }
    outcomes.push({ planId: row.plan_id, state: next.state, decision: next.decision, changed });
  }
  return outcomes;
}

export interface SetAdaptiveRateLimitCommand {
  planId: string;
  settings?: AdaptiveSettings | null;
}

const MAX_MIN_REQUESTS = 1_000_000;

/**
 * `setAdaptiveRateLimit`: sets (or with `settings: null` removes) a plan's adaptive rate limit.
 * The plan must have a rate limit above the floor. A plan that is TIGHTENED when its setting is
 * removed is restored at once; a new floor applies at once. Portal admins only (checked by the
 * resolver).
 */
export async function setAdaptiveRateLimit(
  em: EntityManager,
  now: Date,
  subject: string,
  input: SetAdaptiveRateLimitCommand,
): Promise<{ planId: string }> {
  const planId = input.planId.toLowerCase();
  if (!isUuid(planId)) throw refusal('VALIDATION_FAILED', 'input.planId', 'Pass the plan id (a UUID).');
  const plan = (await planRates(em, [planId])).get(planId) ?? null;
  if (!plan) throw refusal('NOT_FOUND', 'input.planId', 'No such plan.');
  const [existing] = await readAdaptiveRows(em, [planId], true);
  const s = input.settings ?? null;
  if (!s) {
    if (!existing) return { planId };
    await query(em, `delete from usage.adaptive_rate_limit where plan_id = ?`, [planId]);
    await appendAudit(em, 'usage', {
      action: 'setAdaptiveRateLimit',
      change: 'DELETE',
      targetType: 'AdaptiveRateLimit',
      targetId: planId,
      before: { ...settingsOf(existing), state: existing.state },
    });
    if (existing.state === 'TIGHTENED') await recordChange(em, now, planId, 'NORMAL', 'SETTING_REMOVED', null, null, plan);
    return { planId };
  }
  const v = new Validation();
  const between = (value: number | null, min: number, max: number) =>
    value !== null && Number.isFinite(value) && value >= min && value <= max;
  const integer = (value: number | null, min: number, max: number) => value !== null && Number.isInteger(value) && between(value, min, max);
  if (plan.rate_requests === null || plan.rate_per_seconds === null) {
    v.fail('input.planId', 'The plan has no rate limit to tighten: give it one first.');
  } else {
    v.check(
      integer(s.floorRequests, 1, plan.rate_requests - 1),
      'input.settings.floorRequests',
      `Give a floor from 1 to ${plan.rate_requests - 1} requests per ${plan.rate_per_seconds} s (below the plan’s rate of ${plan.rate_requests}).`,
    );
  }
  v.check(between(s.errorRateAbovePercent, 0.01, 100), 'input.settings.errorRateAbovePercent', 'Give a percentage above 0, at most 100.');
  v.check(
    between(s.restoreBelowPercent, 0, 100) && s.restoreBelowPercent < s.errorRateAbovePercent,
    'input.settings.restoreBelowPercent',
    'Give a percentage below `errorRateAbovePercent` (the gap between them keeps the limit from flapping).',
  );
  if (s.latencyP95AboveMs !== null) {
    v.check(integer(s.latencyP95AboveMs, 1, 600_000), 'input.settings.latencyP95AboveMs', 'Give 1 to 600000 ms, or null.');
  }
  if (s.latencyRestoreBelowMs !== null) {
    v.check(
      s.latencyP95AboveMs !== null && integer(s.latencyRestoreBelowMs, 1, s.latencyP95AboveMs),
      'input.settings.latencyRestoreBelowMs',
      'Give 1 ms up to `latencyP95AboveMs` (which must be set), or null.',
    );
  }
  v.check(integer(s.windowSeconds, 60, 86_400), 'input.settings.windowSeconds', 'Give a window of 60 to 86400 seconds.');
  v.check(integer(s.minRequests, 1, MAX_MIN_REQUESTS), 'input.settings.minRequests', `Give 1 to ${MAX_MIN_REQUESTS} requests.`);
  v.done();
  // At the floor a window must still be able to see `minRequests` requests, or a tightened plan
  // could never show it is healthy again.
  const atFloor = Math.floor((s.floorRequests * s.windowSeconds) / plan.rate_per_seconds!);
  v.check(
    atFloor >= s.minRequests,
    'input.settings.minRequests',
    `At the floor a window lets at most ${atFloor} requests through: ask for at most that many (or a higher floor or a longer window), or a tightened plan could never be restored.`,
  );
  v.done();

  await query(
    em,
    `insert into usage.adaptive_rate_limit
       (plan_id, floor_requests, error_rate_above_percent, restore_below_percent, latency_p95_above_ms, latency_restore_below_ms,
        window_seconds, min_requests, updated_by, updated_at, since)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (plan_id) do update set
       floor_requests = excluded.floor_requests, error_rate_above_percent = excluded.error_rate_above_percent,
       restore_below_percent = excluded.restore_below_percent, latency_p95_above_ms = excluded.latency_p95_above_ms,
       latency_restore_below_ms = excluded.latency_restore_below_ms, window_seconds = excluded.window_seconds,
       min_requests = excluded.min_requests, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    [
      planId,
      s.floorRequests,
      s.errorRateAbovePercent,
      s.restoreBelowPercent,
      s.latencyP95AboveMs,
      s.latencyRestoreBelowMs,
      s.windowSeconds,
      s.minRequests,
      subject,
      now.toISOString(),
      now.toISOString(),
    ],
  );
  await appendAudit(em, 'usage', {
    action: 'setAdaptiveRateLimit',
    change: existing ? 'UPDATE' : 'CREATE',
    targetType: 'AdaptiveRateLimit',
    targetId: planId,
    before: existing ? settingsOf(existing) : null,
    after: { ...s },
  });
  if (existing?.state === 'TIGHTENED') {
    const rate = tightenedRate(s, plan)!;
    if (rate.requests !== existing.effective_rate_requests || rate.perSeconds !== existing.effective_per_seconds) {
      await query(em, `update usage.adaptive_rate_limit set effective_rate_requests = ?, effective_per_seconds = ? where plan_id = ?`, [
        rate.requests,
        rate.perSeconds,
        planId,
      ]);
      await enqueueJob(em, JOB_TASKS.syncPlan, { planId }, { jobKey: `plan:${planId}` });
    }
  }
  return { planId };
}
