/**
 * `Credential.recentRefusals`: the credential's last 429s and 403s from the raw analytics records,
 * with why Tyk refused each. The reason is read from what is stored:
 *
 * - 429 → RATE_LIMITED (Tyk's rate limiter answers 429 and nothing else does).
 * - 403 counted against a quota counter (`quota_subject_id` set) that had already counted its
 *   window's limit before it → QUOTA_EXCEEDED (Tyk counts, then compares: the limit-th counted
 *   request of a window is the last one let through).
 * - any other 403 → FORBIDDEN: access denied by the gateway (key not allowed on the API, path not
 *   allowed, inactive key) or an upstream 403. The raw response's message, which would tell them
 *   apart, is not stored (`denial` in `records.ts` is used at ingest only).
 *
 * Cost: the partial index `usage_record_refusal_idx` (credential, time; refusals only) reads the
 * rows returned, within the last `RECENT_REFUSAL_DAYS` days; for each quota window holding a 403,
 * one index range scan of at most the window's limit finds when the limit was reached (once per
 * window: `exhausted` is materialized, not re-run per refusal).
 */
import { badInput } from '../../../common/errors';
import type { SubgraphContext } from '../../../common/server';
import { query } from '../../../common/sql';
import { Refusal, RefusalReason } from '../resolvers/refusals.types';

/** How far back `recentRefusals` looks. */
export const RECENT_REFUSAL_DAYS = 7;
export const MAX_REFUSALS = 50;

interface RefusalRow {
  occurred_at: Date;
  method: string;
  path: string;
  api_id: string;
  response_code: number;
  quota_exhausted: boolean;
}

/** The read: parameters credential id, oldest time, how many. */
export const REFUSALS_SQL = `with refusals as (
       select r.occurred_at, r.record_id, r.method, r.path, r.api_id, r.response_code, r.plan_id, r.quota_subject_id
         from usage.usage_record r
        where r.credential_id = ?::uuid and r.response_code in (403, 429)
          and r.occurred_at >= ?::timestamptz
        order by r.occurred_at desc, r.record_id desc
        limit ?
     ),
     windows as (
       select distinct w.subject_id, w.plan_id, w.window_start, w.resets_at, w.quota_limit
         from refusals f
         join usage.quota_window w
           on w.subject_id = f.quota_subject_id and w.plan_id = f.plan_id
          and w.window_start <= f.occurred_at and f.occurred_at < w.resets_at
        where f.response_code = 403
     ),
     exhausted as materialized (
       select w.subject_id, w.plan_id, w.window_start, w.resets_at, last.occurred_at as last_at, last.record_id as last_id
         from windows w
         cross join lateral (
           select c.occurred_at, c.record_id
             from usage.usage_record c
            where c.plan_id = w.plan_id and c.quota_subject_id = w.subject_id
              and c.occurred_at >= w.window_start and c.occurred_at < w.resets_at
            order by c.occurred_at, c.record_id
           offset w.quota_limit - 1 limit 1
         ) last
     )
     select f.occurred_at, f.method, f.path, f.api_id, f.response_code,
            exists (
              select 1 from exhausted e
               where e.subject_id = f.quota_subject_id and e.plan_id = f.plan_id
                 and e.window_start <= f.occurred_at and f.occurred_at < e.resets_at
                 and (f.occurred_at, f.record_id) > (e.last_at, e.last_id)
            ) as quota_exhausted
       from refusals f
      order by f.occurred_at desc, f.record_id desc`;

export async function recentRefusals(context: SubgraphContext, credentialId: string, first: number, now: Date): Promise<Refusal[]> {
  if (!Number.isInteger(first) || first < 1 || first > MAX_REFUSALS) throw badInput('first', `Pass first between 1 and ${MAX_REFUSALS}.`);
  const from = new Date(now.getTime() - RECENT_REFUSAL_DAYS * 86_400_000);
  const rows = await query<RefusalRow>(context.em, REFUSALS_SQL, [credentialId, from.toISOString(), first]);
  return rows.map((row) =>
    Object.assign(new Refusal(), {
      occurredAt: new Date(row.occurred_at),
      method: row.method,
      path: row.path,
      apiId: row.api_id,
      responseCode: Number(row.response_code),
      reason:
        Number(row.response_code) === 429
          ? RefusalReason.RATE_LIMITED
          : row.quota_exhausted
            ? RefusalReason.QUOTA_EXCEEDED
            : RefusalReason.FORBIDDEN,
    }),
  );
}
