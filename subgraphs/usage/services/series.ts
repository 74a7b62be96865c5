/**
 * Usage series and reports from the rollups (`usage.usage_rollup`). Series of many parents with
 * the same arguments are one SELECT per request.
 */
import { badInput } from '../../../common/errors';
import { requestLoader } from '../../../common/loaders';
import type { SubgraphContext } from '../../../common/server';
import { addHistogram, emptyHistogram, percentile } from './histogram';
import { GRANULARITY_MS, type RollupScope } from '../data/rollups';
import { isUuid } from '../../../common/ids';
import { pgArray, query } from '../../../common/sql';
import { SPIKE_BASELINE_BUCKETS, spikeOf } from './spike';
import {
  PlanUsageReport,
  PlanUsageSummary,
  TierUsageSummary,
  UnmatchedKey,
  UnmatchedUsage,
  UsageGranularity,
  UsagePoint,
  UsageSeries,
  UsageTotals,
} from '../resolvers/usage.types';
import { planRef } from '../entities/refs';

export const MAX_SERIES_POINTS = 1500;
export const MAX_REPORT_DAYS = 1500;
export const MAX_UNMATCHED_DAYS = 93;

export interface SeriesRange {
  granularity: UsageGranularity;
  from: Date;
  to: Date;
  buckets: number;
}

/** `from`/`to` rounded outward to the granularity; BAD_USER_INPUT for empty or too long ranges. */
export function seriesRange(from: Date, to: Date, granularity: UsageGranularity): SeriesRange {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badInput('from', 'Pass `from` as a DateTime.');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badInput('to', 'Pass `to` as a DateTime.');
  if (to.getTime() <= from.getTime()) throw badInput('to', '`to` must be after `from`.');
  const size = GRANULARITY_MS[granularity];
  const start = Math.floor(from.getTime() / size) * size;
  const end = Math.ceil(to.getTime() / size) * size;
  const buckets = (end - start) / size;
  if (buckets > MAX_SERIES_POINTS) {
    throw badInput(
      'to',
      `That is ${buckets} ${granularity.toLowerCase()} buckets; at most ${MAX_SERIES_POINTS} per series: shorten the range or use a coarser granularity.`,
    );
  }
  return { granularity, from: new Date(start), to: new Date(end), buckets };
}

interface RollupRow {
  scope_id: string;
  bucket: Date;
  requests: string;
  errors_4xx: string;
  errors_5xx: string;
  rate_limited: string;
  quota_exceeded: string;
  latency_histogram: number[];
}

interface Sums {
  requests: number;
  errors4xx: number;
  errors5xx: number;
  rateLimited: number;
  quotaExceeded: number;
  histogram: number[];
}

const emptySums = (): Sums => ({ requests: 0, errors4xx: 0, errors5xx: 0, rateLimited: 0, quotaExceeded: 0, histogram: emptyHistogram() });

function addRow(
  sums: Sums,
  row: Pick<RollupRow, 'requests' | 'errors_4xx' | 'errors_5xx' | 'rate_limited' | 'quota_exceeded' | 'latency_histogram'>,
): void {
  sums.requests += Number(row.requests);
  sums.errors4xx += Number(row.errors_4xx);
  sums.errors5xx += Number(row.errors_5xx);
  sums.rateLimited += Number(row.rate_limited);
  sums.quotaExceeded += Number(row.quota_exceeded);
  addHistogram(sums.histogram, row.latency_histogram ?? []);
}

export function totalsOf(sums: Sums): UsageTotals {
  const ratio = (n: number) => (sums.requests ? Math.round((n / sums.requests) * 10_000) / 10_000 : 0);
  return Object.assign(new UsageTotals(), {
    requests: sums.requests,
    errors4xx: sums.errors4xx,
    errors5xx: sums.errors5xx,
    rateLimited: sums.rateLimited,
    quotaExceeded: sums.quotaExceeded,
    errorRate: ratio(sums.errors4xx + sums.errors5xx),
    rejectionRate: ratio(sums.rateLimited + sums.quotaExceeded),
    latencyP50Ms: percentile(sums.histogram, 0.5),
    latencyP95Ms: percentile(sums.histogram, 0.95),
  });
}

const clampInt = (n: number) => Math.min(n, 2_147_483_647);

/** Builds a dense series from the rollup rows of one scope id (rows may start before `range.from`: the baseline). */
export function buildSeries(range: SeriesRange, rows: RollupRow[]): UsageSeries {
  const size = GRANULARITY_MS[range.granularity];
  const byBucket = new Map<number, RollupRow>();
  for (const row of rows) byBucket.set(new Date(row.bucket).getTime(), row);
  const points: UsagePoint[] = [];
  const total = emptySums();
  for (let at = range.from.getTime(); at < range.to.getTime(); at += size) {
    const row = byBucket.get(at);
    const sums = emptySums();
    if (row) addRow(sums, row);
    if (row) addRow(total, row);
    points.push(
      Object.assign(new UsagePoint(), {
        at: new Date(at),
        requests: clampInt(sums.requests),
        errors4xx: clampInt(sums.errors4xx),
        errors5xx: clampInt(sums.errors5xx),
        rateLimited: clampInt(sums.rateLimited),
        quotaExceeded: clampInt(sums.quotaExceeded),
        latencyP50Ms: percentile(sums.histogram, 0.5),
        latencyP95Ms: percentile(sums.histogram, 0.95),
      }),
    );
  }
  const latestAt = range.to.getTime() - size;
  const latest = Number(byBucket.get(latestAt)?.requests ?? 0);
  const baseline: number[] = [];
  for (let i = SPIKE_BASELINE_BUCKETS; i >= 1; i--) baseline.push(Number(byBucket.get(latestAt - i * size)?.requests ?? 0));
  const verdict = spikeOf(latest, baseline);
  return Object.assign(new UsageSeries(), {
    granularity: range.granularity,
    from: range.from,
    to: range.to,
    points,
    totals: totalsOf(total),
    spike: verdict.spike,
    spikeFactor: verdict.factor,
    baselineRequests: verdict.baselineMean,
  });
}

/** The series of one scope id; every series of the request with the same scope and range is one SELECT. */
export function seriesOf(context: SubgraphContext, scope: RollupScope, scopeId: string, range: SeriesRange): Promise<UsageSeries> {
  const size = GRANULARITY_MS[range.granularity];
  const queryFrom = new Date(Math.min(range.from.getTime(), range.to.getTime() - (SPIKE_BASELINE_BUCKETS + 1) * size));
  const name = `usage:series:${scope}:${range.granularity}:${range.from.toISOString()}:${range.to.toISOString()}`;
  return requestLoader<string, UsageSeries>(context, name, async (ids) => {
    const valid = ids.filter((id) => isUuid(id));
    const rows = valid.length
      ? await query<RollupRow>(
          context.em,
          `select scope_id::text as scope_id, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_histogram
             from usage.usage_rollup
            where scope = ? and granularity = ? and scope_id = any(?::uuid[]) and bucket >= ?::timestamptz and bucket < ?::timestamptz`,
          [scope, range.granularity, pgArray(valid), queryFrom.toISOString(), range.to.toISOString()],
        )
      : [];
    return ids.map((id) =>
      buildSeries(
        range,
        rows.filter((row) => row.scope_id === id),
      ),
    );
  }).load(scopeId.toLowerCase());
}

/** Range of a report: rounded outward to minutes (≤ 25 h), hours (≤ 62 days) or days. */
export function reportRange(from: Date, to: Date, maxDays: number): { granularity: UsageGranularity; from: Date; to: Date } {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badInput('from', 'Pass `from` as a DateTime.');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badInput('to', 'Pass `to` as a DateTime.');
  if (to.getTime() <= from.getTime()) throw badInput('to', '`to` must be after `from`.');
  const span = to.getTime() - from.getTime();
  if (span > maxDays * 86_400_000) throw badInput('to', `The range may span at most ${maxDays} days.`);
  const granularity =
    span <= 25 * 3_600_000 ? UsageGranularity.MINUTE : span <= 62 * 86_400_000 ? UsageGranularity.HOUR : UsageGranularity.DAY;
  const size = GRANULARITY_MS[granularity];
  return { granularity, from: new Date(Math.floor(from.getTime() / size) * size), to: new Date(Math.ceil(to.getTime() / size) * size) };
}

/** Usage and error rates by plan and tier (PLAN rollups joined with `plans.plan_contract`). */
export async function planUsageReport(context: SubgraphContext, from: Date, to: Date): Promise<PlanUsageReport> {
  const range = reportRange(from, to, MAX_REPORT_DAYS);
  const params = [range.granularity, range.from.toISOString(), range.to.toISOString()];
  const [sums, histograms] = await Promise.all([
    query<{
      plan_id: string;
      requests: string;
      errors_4xx: string;
      errors_5xx: string;
      rate_limited: string;
      quota_exceeded: string;
      tier: number | null;
    }>(
      context.em,
      `select r.scope_id::text as plan_id, sum(r.requests) as requests, sum(r.errors_4xx) as errors_4xx, sum(r.errors_5xx) as errors_5xx,
              sum(r.rate_limited) as rate_limited, sum(r.quota_exceeded) as quota_exceeded, max(p.tier) as tier
         from usage.usage_rollup r
         left join plans.plan_contract p on p.id = r.scope_id
        where r.scope = 'PLAN' and r.granularity = ? and r.bucket >= ?::timestamptz and r.bucket < ?::timestamptz
        group by r.scope_id`,
      params,
    ),
    query<{ plan_id: string; i: number; n: string }>(
      context.em,
      `select r.scope_id::text as plan_id, h.i::int as i, sum(h.v) as n
         from usage.usage_rollup r, unnest(r.latency_histogram) with ordinality as h(v, i)
        where r.scope = 'PLAN' and r.granularity = ? and r.bucket >= ?::timestamptz and r.bucket < ?::timestamptz
        group by r.scope_id, h.i`,
      params,
    ),
  ]);
  const byPlan = new Map<string, Sums>();
  for (const row of sums) {
    const s = emptySums();
    addRow(s, { ...row, latency_histogram: [] });
    byPlan.set(row.plan_id, s);
  }
  for (const row of histograms) {
    const s = byPlan.get(row.plan_id);
    if (s && row.i >= 1 && row.i <= s.histogram.length) s.histogram[row.i - 1] += Number(row.n);
  }
  const tiers = new Map<number, { plans: number; sums: Sums }>();
  const plans: PlanUsageSummary[] = [];
  for (const row of sums) {
    const s = byPlan.get(row.plan_id)!;
    const tier = row.tier ?? 0;
    plans.push(Object.assign(new PlanUsageSummary(), { plan: planRef(row.plan_id), tier, totals: totalsOf(s) }));
    const t = tiers.get(tier) ?? { plans: 0, sums: emptySums() };
    t.plans += 1;
    t.sums.requests += s.requests;
    t.sums.errors4xx += s.errors4xx;
    t.sums.errors5xx += s.errors5xx;
    t.sums.rateLimited += s.rateLimited;
    t.sums.quotaExceeded += s.quotaExceeded;
    addHistogram(t.sums.histogram, s.histogram);
    tiers.set(tier, t);
  }
  plans.sort((a, b) => b.tier - a.tier || b.totals.requests - a.totals.requests || (a.plan.id < b.plan.id ? -1 : 1));
  return Object.assign(new PlanUsageReport(), {
    from: range.from,
    to: range.to,
    plans,
    tiers: [...tiers.entries()]
      .sort(([a], [b]) => b - a)
      .map(([tier, t]) => Object.assign(new TierUsageSummary(), { tier, plans: t.plans, totals: totalsOf(t.sums) })),
  });
}

/** Records with unknown keys in a range (raw records; partitions outside the range are skipped). */
export async function unmatchedUsage(context: SubgraphContext, from: Date, to: Date): Promise<UnmatchedUsage> {
  reportRange(from, to, MAX_UNMATCHED_DAYS);
  const params = [from.toISOString(), to.toISOString()];
  const [[counts], top] = await Promise.all([
    query<{ requests: number; keys: number }>(
      context.em,
      `select count(*)::int as requests, count(distinct key_hash)::int as keys
         from usage.usage_record where credential_id is null and occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz`,
      params,
    ),
    query<{ key_hash: string; requests: number; last_seen_at: Date }>(
      context.em,
      `select key_hash, count(*)::int as requests, max(occurred_at) as last_seen_at
         from usage.usage_record where credential_id is null and occurred_at >= ?::timestamptz and occurred_at < ?::timestamptz
        group by key_hash order by count(*) desc, key_hash limit 20`,
      params,
    ),
  ]);
  return Object.assign(new UnmatchedUsage(), {
    requests: counts?.requests ?? 0,
    distinctKeys: counts?.keys ?? 0,
    topKeys: top.map((row) =>
      Object.assign(new UnmatchedKey(), {
        keyHashPrefix: row.key_hash.slice(0, 8),
        requests: row.requests,
        lastSeenAt: new Date(row.last_seen_at),
      }),
    ),
  });
}
