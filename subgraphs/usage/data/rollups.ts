/**
 * Usage rollups (`usage.usage_rollup`): per credential, app, organization, product and plan, per
 * minute, hour and day, added to in one statement per ingest batch (with the quota windows' upsert).
 */
import { bucketOf, HISTOGRAM_SIZE } from '../services/histogram';
import type { UsageRecord } from '../services/records';
import { pgArray, type SqlPart } from '../../../common/sql';
import type { Attribution } from '../contracts/attribution';
import { classifyPlain, type QuotaOutcomes } from './quota-windows';

export type RollupScope = 'CREDENTIAL' | 'APP' | 'ORGANIZATION' | 'PRODUCT' | 'PLAN' | 'UNMATCHED';
export type Granularity = 'MINUTE' | 'HOUR' | 'DAY';

export const GRANULARITY_MS: Record<Granularity, number> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

interface RollupCell {
  scope: RollupScope;
  scopeId: string;
  granularity: Granularity;
  bucket: number;
  requests: number;
  errors4xx: number;
  errors5xx: number;
  rateLimited: number;
  quotaExceeded: number;
  latencySum: number;
  histogram: number[];
}

/**
 * The stored histogram plus the batch's, bucket by bucket, as one array expression (`array[r[1] +
 * e[1], …]`, a stored shorter one padded with zeros): half the cost of merging them with
 * `unnest … with ordinality` and `array_agg(… order by i)` per row.
 */
const HISTOGRAM_SUM = `array[${Array.from(
  { length: HISTOGRAM_SIZE },
  (_, i) => `coalesce(r.latency_histogram[${i + 1}], 0) + coalesce(excluded.latency_histogram[${i + 1}], 0)`,
).join(', ')}]`;

/**
 * Adds the records to their rollup cells (5 scopes × 3 granularities): the upsert of all of them,
 * one statement (the ingest runs it together with the quota windows' upsert, `bulkWrites`).
 */
export function rollupWrite(records: UsageRecord[], attribution: Map<UsageRecord, Attribution>, outcomes: QuotaOutcomes): SqlPart | null {
  if (!records.length) return null;
  // First per attribution and minute (one small object per group), then per scope and granularity.
  type Tally = Omit<RollupCell, 'scope' | 'scopeId' | 'granularity' | 'bucket'>;
  const newTally = (): Tally => ({
    requests: 0,
    errors4xx: 0,
    errors5xx: 0,
    rateLimited: 0,
    quotaExceeded: 0,
    latencySum: 0,
    histogram: new Array<number>(HISTOGRAM_SIZE).fill(0),
  });
  const groups = new Map<Attribution, Map<number, Tally>>();
  for (const record of records) {
    const a = attribution.get(record)!;
    let minutes = groups.get(a);
    if (!minutes) groups.set(a, (minutes = new Map()));
    const ms = Math.floor(record.micros / 1000);
    const minute = ms - (ms % 60_000);
    let tally = minutes.get(minute);
    if (!tally) minutes.set(minute, (tally = newTally()));
    const outcome = outcomes.outcome.get(record) ?? classifyPlain(record);
    tally.requests += 1;
    if (outcome === 'CLIENT_ERROR') tally.errors4xx += 1;
    else if (outcome === 'SERVER_ERROR') tally.errors5xx += 1;
    else if (outcome === 'RATE_LIMITED') tally.rateLimited += 1;
    else if (outcome === 'QUOTA_EXCEEDED') tally.quotaExceeded += 1;
    tally.latencySum += record.latencyMs;
    tally.histogram[bucketOf(record.latencyMs)] += 1;
  }
  const cells = new Map<string, RollupCell>();
  const granularities: Granularity[] = ['MINUTE', 'HOUR', 'DAY'];
  for (const [a, minutes] of groups) {
    for (const [minute, tally] of minutes) {
      for (const granularity of granularities) {
        const size = GRANULARITY_MS[granularity];
        const bucket = minute - (minute % size);
        for (const [scope, scopeId] of a.scopes) {
          const id = `${scope}|${scopeId}|${granularity}|${bucket}`;
          let cell = cells.get(id);
          if (!cell) cells.set(id, (cell = { scope, scopeId, granularity, bucket, ...newTally() }));
          cell.requests += tally.requests;
          cell.errors4xx += tally.errors4xx;
          cell.errors5xx += tally.errors5xx;
          cell.rateLimited += tally.rateLimited;
          cell.quotaExceeded += tally.quotaExceeded;
          cell.latencySum += tally.latencySum;
          for (let i = 0; i < HISTOGRAM_SIZE; i++) cell.histogram[i] += tally.histogram[i];
        }
      }
    }
  }
  // Sorted by key: concurrent writers (if the lock is ever lifted) take row locks in one order.
  const list = [...cells.values()].sort((x, y) =>
    x.scope < y.scope
      ? -1
      : x.scope > y.scope
        ? 1
        : x.scopeId < y.scopeId
          ? -1
          : x.scopeId > y.scopeId
            ? 1
            : x.granularity < y.granularity
              ? -1
              : x.granularity > y.granularity
                ? 1
                : x.bucket - y.bucket,
  );
  return {
    sql: `insert into usage.usage_rollup as r
       (scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
     select scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram::integer[]
       from unnest(?::text[], ?::uuid[], ?::text[], ?::timestamptz[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[])
            as t(scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
     on conflict (scope, scope_id, granularity, bucket) do update set
       requests = r.requests + excluded.requests,
       errors_4xx = r.errors_4xx + excluded.errors_4xx,
       errors_5xx = r.errors_5xx + excluded.errors_5xx,
       rate_limited = r.rate_limited + excluded.rate_limited,
       quota_exceeded = r.quota_exceeded + excluded.quota_exceeded,
       latency_sum_ms = r.latency_sum_ms + excluded.latency_sum_ms,
       latency_histogram = ${HISTOGRAM_SUM}`,
    params: [
      pgArray(list.map((c) => c.scope)),
      pgArray(list.map((c) => c.scopeId)),
      pgArray(list.map((c) => c.granularity)),
      pgArray(list.map((c) => new Date(c.bucket).toISOString())),
      pgArray(list.map((c) => c.requests)),
      pgArray(list.map((c) => c.errors4xx)),
      pgArray(list.map((c) => c.errors5xx)),
      pgArray(list.map((c) => c.rateLimited)),
      pgArray(list.map((c) => c.quotaExceeded)),
      pgArray(list.map((c) => c.latencySum)),
      pgArray(list.map((c) => `{${c.histogram.join(',')}}`)),
    ],
  };
}
