/**
 * Quota status (`Credential.quota`, `App.quota`, `Organization.quota`): which counter a credential
 * draws from (its plan's quota scope), that counter's latest window, and what it means now
 * (`context.clock`). Every read is batched per request: one SELECT per kind of read, whatever the
 * number of parents.
 */
import { requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { appRef, credentialRef, planRef } from './entities/refs';
import { isUuid, membershipRole } from './membership';
import { pgArray, query } from '../../common/sql';
import { QuotaScope, QuotaStatus } from './types';

export interface CredentialRow {
  id: string;
  app_id: string;
  organization_id: string;
  plan_id: string;
  status: string;
  expires_at: Date | null;
  quota_scope: QuotaScope | null;
  quota_requests: number | null;
  quota_period_seconds: number | null;
}

const CREDENTIAL_SELECT = `
  select c.id::text as id, c.app_id::text as app_id, c.organization_id::text as organization_id, c.plan_id::text as plan_id,
         c.status, c.expires_at, p.quota_scope, p.quota_requests, p.quota_period_seconds
    from developers.credential_contract c
    left join plans.plan_contract p on p.id = c.plan_id`;

/** Credentials by id (with their plan's quota settings), or null. */
export function credentialById(context: SubgraphContext, id: string): Promise<CredentialRow | null> {
  if (!isUuid(id)) return Promise.resolve(null);
  return requestLoader<string, CredentialRow | null>(context, 'usage:credential', async (ids) => {
    const rows = await query<CredentialRow>(context.em, `${CREDENTIAL_SELECT} where c.id = any(?::uuid[])`, [pgArray([...ids])]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((key) => byId.get(key) ?? null);
  }).load(id.toLowerCase());
}

/** Credentials of an app or organization (any status), batched per kind. */
export function credentialsOf(context: SubgraphContext, kind: 'app' | 'organization', id: string): Promise<CredentialRow[]> {
  if (!isUuid(id)) return Promise.resolve([]);
  const column = kind === 'app' ? 'app_id' : 'organization_id';
  return requestLoader<string, CredentialRow[]>(context, `usage:credentialsOf:${kind}`, async (ids) => {
    const rows = await query<CredentialRow>(
      context.em,
      `${CREDENTIAL_SELECT} where c.${column} = any(?::uuid[]) order by c.created_at, c.id`,
      [pgArray([...ids])],
    );
    return ids.map((key) => rows.filter((row) => row[column] === key));
  }).load(id.toLowerCase());
}

/** The organization of an app (`developers.app_contract`), or null. */
export function organizationOfApp(context: SubgraphContext, appId: string): Promise<string | null> {
  if (!isUuid(appId)) return Promise.resolve(null);
  return requestLoader<string, string | null>(context, 'usage:appOrganization', async (ids) => {
    const rows = await query<{ id: string; organization_id: string }>(
      context.em,
      `select id::text as id, organization_id::text as organization_id from developers.app_contract where id = any(?::uuid[])`,
      [pgArray([...ids])],
    );
    const byId = new Map(rows.map((row) => [row.id, row.organization_id]));
    return ids.map((key) => byId.get(key) ?? null);
  }).load(appId.toLowerCase());
}

/** Members (any role) of the ACTIVE organization and portal admins; false for everyone else. */
export async function canReadOrganization(context: SubgraphContext, organizationId: string | null): Promise<boolean> {
  const subject = context.caller.subject;
  if (subject === null || organizationId === null) return false;
  if (context.caller.isPortalAdmin) return true;
  return (await membershipRole(context.em, organizationId, subject)) !== null;
}

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
