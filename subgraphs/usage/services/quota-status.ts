/**
 * Quota status (`Credential.quota`, `App.quota`, `Organization.quota`): which counter a credential
 * draws from (its plan's quota scope), that counter's latest window, and what it means now
 * (`context.clock`). Every read is batched per request: one SELECT per kind of read, whatever the
 * number of parents.
 */
import { requestLoader } from '../../../common/loaders';
import type { SubgraphContext } from '../../../common/server';
import { appRef, credentialRef, planRef } from '../entities/refs';
import type { CredentialRow } from '../contracts/credentials';
import { pgArray, query } from '../../../common/sql';
import { QuotaScope, QuotaStatus } from '../resolvers/usage.types';

export interface Counter {
  scope: QuotaScope;
  subjectId: string;
  planId: string;
  appId: string | null;
  credentialId: string | null;
  limit: number | null;
  periodSeconds: number | null;
}

/** The counter a credential draws from, per its plan's quota scope; null when its plan is unknown. */
export function counterOf(credential: CredentialRow): Counter | null {
  if (!credential.quota_scope) return null;
  const base = { planId: credential.plan_id, limit: credential.quota_requests, periodSeconds: credential.quota_period_seconds };
  switch (credential.quota_scope) {
    case QuotaScope.APP:
      return { ...base, scope: QuotaScope.APP, subjectId: credential.app_id, appId: credential.app_id, credentialId: null };
    case QuotaScope.ORGANIZATION:
      return { ...base, scope: QuotaScope.ORGANIZATION, subjectId: credential.organization_id, appId: null, credentialId: null };
    default:
      return { ...base, scope: QuotaScope.CREDENTIAL, subjectId: credential.id, appId: credential.app_id, credentialId: credential.id };
  }
}

export interface WindowRow {
  window_start: Date;
  resets_at: Date;
  used: number;
}

const nowOfRequest = new WeakMap<object, Date>();

/** "Now" once per request (every status of one response is computed at the same instant, in one batch). */
export function requestNow(context: SubgraphContext): Date {
  let now = nowOfRequest.get(context);
  if (!now) {
    now = context.clock.now();
    nowOfRequest.set(context, now);
  }
  return now;
}

const counterId = (c: Pick<Counter, 'scope' | 'subjectId' | 'planId'>) => `${c.scope}|${c.subjectId}|${c.planId}`;

/** The latest window of a counter that has started by `now`, or null (one SELECT per request). */
export function latestWindow(context: SubgraphContext, counter: Counter, now: Date): Promise<WindowRow | null> {
  return requestLoader<string, WindowRow | null>(context, `usage:latestWindow:${now.toISOString()}`, async (keys) => {
    const parts = keys.map((key) => key.split('|'));
    const rows = await query<WindowRow & { scope: string; subject_id: string; plan_id: string }>(
      context.em,
      `select distinct on (w.scope, w.subject_id, w.plan_id)
              w.scope, w.subject_id::text as subject_id, w.plan_id::text as plan_id, w.window_start, w.resets_at, w.used
         from usage.quota_window w
         join unnest(?::text[], ?::uuid[], ?::uuid[]) as k(scope, subject_id, plan_id)
           on w.scope = k.scope and w.subject_id = k.subject_id and w.plan_id = k.plan_id
        where w.window_start <= ?::timestamptz
        order by w.scope, w.subject_id, w.plan_id, w.window_start desc`,
      [pgArray(parts.map((p) => p[0])), pgArray(parts.map((p) => p[1])), pgArray(parts.map((p) => p[2])), now.toISOString()],
    );
    const byKey = new Map(rows.map((row) => [`${row.scope}|${row.subject_id}|${row.plan_id}`, row]));
    return keys.map((key) => byKey.get(key) ?? null);
  }).load(counterId(counter));
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const MIN_ELAPSED_MS = 60_000;

/** What a counter's latest window means at `now`. */
export function quotaStatusOf(counter: Counter, window: WindowRow | null, now: Date): QuotaStatus {
  const status = Object.assign(new QuotaStatus(), {
    scope: counter.scope,
    plan: planRef(counter.planId),
    app: counter.appId ? appRef(counter.appId) : null,
    credential: counter.credentialId ? credentialRef(counter.credentialId) : null,
    limit: counter.limit,
    used: 0,
    remaining: counter.limit,
    percentUsed: counter.limit === null ? null : 0,
    periodSeconds: counter.periodSeconds,
    windowStart: null,
    resetsAt: null,
    burnRatePerHour: 0,
    projectedExhaustionAt: null,
  });
  if (counter.limit === null || !window) return status;
  const resetsAt = new Date(window.resets_at);
  if (now.getTime() >= resetsAt.getTime()) return status; // expired: the next request opens a new window
  const windowStart = new Date(window.window_start);
  const used = Number(window.used);
  const elapsedMs = Math.max(MIN_ELAPSED_MS, now.getTime() - windowStart.getTime());
  const perHour = (used / elapsedMs) * 3_600_000;
  let projected: Date | null = null;
  if (used < counter.limit && perHour > 0) {
    const at = now.getTime() + ((counter.limit - used) / perHour) * 3_600_000;
    if (at < resetsAt.getTime()) projected = new Date(Math.ceil(at));
  }
  return Object.assign(status, {
    used,
    remaining: Math.max(0, counter.limit - used),
    percentUsed: round((used * 100) / counter.limit),
    windowStart,
    resetsAt,
    burnRatePerHour: round(perHour),
    projectedExhaustionAt: projected,
  });
}

/** Credentials that can still make requests at `now`. */
export function isLive(credential: CredentialRow, now: Date): boolean {
  return credential.status === 'ACTIVE' && (credential.expires_at === null || new Date(credential.expires_at).getTime() > now.getTime());
}

/** One status per distinct counter the given credentials draw from, ordered by plan, scope and subject. */
export async function statusesOf(context: SubgraphContext, credentials: CredentialRow[]): Promise<QuotaStatus[]> {
  const now = requestNow(context);
  const counters = new Map<string, Counter>();
  for (const credential of credentials) {
    if (!isLive(credential, now)) continue;
    const counter = counterOf(credential);
    if (counter) counters.set(counterId(counter), counter);
  }
  const list = [...counters.values()].sort((a, b) => (a.planId + a.scope + a.subjectId < b.planId + b.scope + b.subjectId ? -1 : 1));
  const windows = await Promise.all(list.map((counter) => latestWindow(context, counter, now)));
  return list.map((counter, i) => quotaStatusOf(counter, windows[i], now));
}
