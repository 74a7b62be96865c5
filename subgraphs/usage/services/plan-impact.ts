/**
 * Plan-change impact preview: the plan's recorded traffic of the last N days replayed against
 * other limits, the way Tyk counts them, to say which organizations, apps and credentials would
 * have been refused, how often and by how much.
 *
 * - Quota: per counter (credential, app or organization, as the quota scope says), windows start
 *   at the first request after the previous window expired and last the quota period (Tyk's
 *   windows are not calendar aligned). Every request counts, refused ones too, as Tyk counts them;
 *   the requests beyond the limit in a window are the ones that would have been refused.
 * - Rate limit: per counter, a sliding window of `perSeconds`: a request is refused when the
 *   counter already allowed `requests` in the window before it (refused requests do not fill it).
 * - Demand is every recorded request of a credential under the plan whose key was accepted
 *   (response code other than 401), including requests the current limits refused: what the
 *   developers sent, not what they got.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../../../common/sql';
import type { QuotaScope } from '../../../common/shared-enums';

export const DEFAULT_IMPACT_DAYS = 30;
export const MAX_IMPACT_DAYS = 90;
/** Records read per statement while replaying (keyset pages). */
const PAGE = 20_000;

export interface ImpactLimits {
  quota: { requests: number; periodSeconds: number } | null;
  rateLimit: { requests: number; perSeconds: number } | null;
  scope: QuotaScope;
}

export interface ImpactSubject {
  scope: QuotaScope;
  subjectId: string;
  organizationId: string;
  appId: string | null;
  credentialId: string | null;
  requests: number;
  quotaWindows: number;
  quotaWindowsExceeded: number;
  peakQuotaUsed: number;
  requestsOverQuota: number;
  peakRate: number;
  requestsOverRateLimit: number;
}

export interface ImpactResult {
  from: Date;
  to: Date;
  subjects: ImpactSubject[];
}

/** Replays one counter's requests (times in ms, ascending) against the limits. */
export class Replay {
  requests = 0;
  quotaWindows = 0;
  quotaWindowsExceeded = 0;
  peakQuotaUsed = 0;
  requestsOverQuota = 0;
  peakRate = 0;
  requestsOverRateLimit = 0;
  private windowEnd = -Infinity;
  private used = 0;
  private exceeded = false;
  /** Allowed requests in the sliding rate window, and every request in it (for the peak). */
  private readonly allowed: number[] = [];
  private allowedHead = 0;
  private readonly demand: number[] = [];
  private demandHead = 0;

  constructor(private readonly limits: ImpactLimits) {}

  add(at: number): void {
    this.requests++;
    const { quota, rateLimit } = this.limits;
    if (quota) {
      if (at >= this.windowEnd) {
        this.windowEnd = at + quota.periodSeconds * 1000;
        this.used = 0;
        this.exceeded = false;
        this.quotaWindows++;
      }
      this.used++;
      if (this.used > this.peakQuotaUsed) this.peakQuotaUsed = this.used;
      if (this.used > quota.requests) {
        this.requestsOverQuota++;
        if (!this.exceeded) {
          this.exceeded = true;
          this.quotaWindowsExceeded++;
        }
      }
    }
    if (rateLimit) {
      const since = at - rateLimit.perSeconds * 1000;
      while (this.demandHead < this.demand.length && this.demand[this.demandHead] <= since) this.demandHead++;
      this.demand.push(at);
      this.peakRate = Math.max(this.peakRate, this.demand.length - this.demandHead);
      while (this.allowedHead < this.allowed.length && this.allowed[this.allowedHead] <= since) this.allowedHead++;
      if (this.allowed.length - this.allowedHead < rateLimit.requests) this.allowed.push(at);
      else this.requestsOverRateLimit++;
      // Keep the queues from growing with the whole history.
      if (this.demandHead > 4096) {
        this.demand.splice(0, this.demandHead);
        this.demandHead = 0;
      }
      if (this.allowedHead > 4096) {
        this.allowed.splice(0, this.allowedHead);
        this.allowedHead = 0;
      }
    }
  }
}

interface RecordRow {
  subject: string;
  organization_id: string;
  app_id: string | null;
  credential_id: string;
  at_ms: number;
  occurred_at: string;
  record_id: string;
}

const SUBJECT: Record<QuotaScope, string> = {
  CREDENTIAL: 'credential_id',
  APP: 'app_id',
  ORGANIZATION: 'organization_id',
};

/**
 * The plan's traffic in `[now − days, now)` replayed against `limits`: one summary per counter
 * that sent anything, most refused first. Reads the records in keyset pages, one counter's
 * state in memory at a time.
 */
export async function replayPlanTraffic(
  em: EntityManager,
  planId: string,
  limits: ImpactLimits,
  days: number,
  now: Date,
): Promise<ImpactResult> {
  const to = now;
  const from = new Date(now.getTime() - days * 86_400_000);
  const subjectColumn = SUBJECT[limits.scope];
  const subjects: ImpactSubject[] = [];
  let current: { row: RecordRow; replay: Replay } | null = null;
  const close = () => {
    if (!current) return;
    const { row, replay } = current;
    subjects.push({
      scope: limits.scope,
      subjectId: row.subject,
      organizationId: row.organization_id,
      appId: limits.scope === 'ORGANIZATION' ? null : row.app_id,
      credentialId: limits.scope === 'CREDENTIAL' ? row.credential_id : null,
      requests: replay.requests,
      quotaWindows: replay.quotaWindows,
      quotaWindowsExceeded: replay.quotaWindowsExceeded,
      peakQuotaUsed: replay.peakQuotaUsed,
      requestsOverQuota: replay.requestsOverQuota,
      peakRate: replay.peakRate,
      requestsOverRateLimit: replay.requestsOverRateLimit,
    });
  };
  let after: [string, string, string] | null = null;
  for (;;) {
    const rows: RecordRow[] = await query<RecordRow>(
      em,
      `select ${subjectColumn}::text as subject, organization_id::text as organization_id, app_id::text as app_id,
              credential_id::text as credential_id, (extract(epoch from occurred_at) * 1000)::float8 as at_ms,
              occurred_at::text as occurred_at, record_id::text as record_id
         from usage.usage_record
        where plan_id = ?::uuid and occurred_at >= ? and occurred_at < ?
          and credential_id is not null and ${subjectColumn} is not null and response_code <> 401
          ${after ? `and (${subjectColumn}, occurred_at, record_id) > (?::uuid, ?::timestamptz, ?::uuid)` : ''}
        order by ${subjectColumn}, occurred_at, record_id
        limit ${PAGE}`,
      [planId, from, to, ...(after ?? [])],
    );
    for (const row of rows) {
      if (current?.row.subject !== row.subject) {
        close();
        current = { row, replay: new Replay(limits) };
      }
      current.replay.add(Number(row.at_ms));
    }
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1];
    after = [last.subject, last.occurred_at, last.record_id];
  }
  close();
  const refused = (s: ImpactSubject) => s.requestsOverQuota + s.requestsOverRateLimit;
  subjects.sort((a, b) => refused(b) - refused(a) || b.requests - a.requests || (a.subjectId < b.subjectId ? -1 : 1));
  return { from, to, subjects };
}
