/**
 * Quota windows (`usage.quota_window`) and the warnings their thresholds raise.
 *
 * Quota windows are a function of the SET of stored records, whatever order and batching they
 * arrive in (`../services/windows.ts`). Each raw row records the counter it counts against
 * (`quota_subject_id`). Records not older than their counter's latest counted record are appended
 * to its latest window; a late one makes the ingest replay the counter's stored records from the
 * window it falls in (or from itself, between windows), replace those windows, retract warnings of
 * windows that no longer exist and raise the ones the replay crosses. Warnings are unique per
 * (scope, kind, threshold, window), so each is stored and published once, and report the request
 * that crossed the threshold (`used`), not the size of the batch that carried it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaWarningKind } from '../entities/quota-warning';
import { DEFAULT_QUOTA_ALERT_THRESHOLDS } from '../services/quota-alert-thresholds';
import { microsToDate, microsToIso, type UsageRecord } from '../services/records';
import { bulk, pgArray } from '../../../common/sql';
import type { RaiseQuotaWarningInput } from '../services/quota-warnings';
import { classify, crossedThresholds, crossingCount, QuotaCounter, type Outcome, type QuotaWindowState } from '../services/windows';
import type { AlertRuleRow, Attribution, IngestPlanRow } from '../contracts/attribution';
import type { SqlPart } from '../../../common/sql';
import type { IngestDeps } from '../services/ingest';

const MAX_INT = 2_147_483_647;

export type QuotaScopeName = 'CREDENTIAL' | 'APP' | 'ORGANIZATION';

type PlanRow = IngestPlanRow;

/** Where a quota counter lives: scope + subject (credential, app or organization) + plan. */
interface CounterKey {
  scope: QuotaScopeName;
  subjectId: string;
  planId: string;
  organizationId: string;
  appId: string | null;
  credentialId: string | null;
}

const counterKeyOf = (k: Pick<CounterKey, 'scope' | 'subjectId' | 'planId'>) => `${k.scope}|${k.subjectId}|${k.planId}`;

/** A counter the batch changed and its latest window after the batch (the quota status stream's news). */
export interface ChangedCounter {
  scope: QuotaScopeName;
  planId: string;
  organizationId: string;
  appId: string | null;
  credentialId: string | null;
  limit: number;
  periodSeconds: number;
  windowStart: Date;
  resetsAt: Date;
  used: number;
}

export interface QuotaOutcomes {
  outcome: Map<UsageRecord, Outcome>;
  warnings: RaiseQuotaWarningInput[];
  /** One entry per counter whose windows the batch changed. */
  changed: ChangedCounter[];
}

/** The quota counter a matched record counts against (per the plan's quota scope). */
function counterKeyFor(a: Attribution, plan: PlanRow): CounterKey | null {
  if (!a.credentialId || !a.organizationId || !a.planId) return null;
  if (plan.quota_scope === 'APP') {
    return a.appId
      ? { scope: 'APP', subjectId: a.appId, planId: a.planId, organizationId: a.organizationId, appId: a.appId, credentialId: null }
      : null;
  }
  if (plan.quota_scope === 'ORGANIZATION') {
    return {
      scope: 'ORGANIZATION',
      subjectId: a.organizationId,
      planId: a.planId,
      organizationId: a.organizationId,
      appId: null,
      credentialId: null,
    };
  }
  return {
    scope: 'CREDENTIAL',
    subjectId: a.credentialId,
    planId: a.planId,
    organizationId: a.organizationId,
    appId: a.appId,
    credentialId: a.credentialId,
  };
}

/** A quota counter a batch touches: its key and plan. */
interface CounterEntry {
  id: string;
  key: CounterKey;
  plan: PlanRow;
}

export interface Counters {
  /** The counter a record counts against (null: not counted, or no quota). */
  counterOf(record: UsageRecord): CounterEntry | null;
}

/** The counter each record counts against, under the batch's plans (`readBatchContext`). */
export function countersOf(attribution: Map<UsageRecord, Attribution>, plans: ReadonlyMap<string, PlanRow>): Counters {
  const entries = new Map<string, CounterEntry>();
  const entryOf = new Map<Attribution, CounterEntry | null>();
  return {
    counterOf(record) {
      // Whether a record counts does not depend on the window (`classify`: only the outcome of a 403 does).
      if (!classify(record.responseCode, record.denial, false).counted) return null;
      const a = attribution.get(record)!;
      let entry = entryOf.get(a);
      if (entry === undefined) {
        entry = null;
        const plan = a.planId ? plans.get(a.planId) : undefined;
        const key = plan && plan.quota_requests !== null && plan.quota_period_seconds !== null ? counterKeyFor(a, plan) : null;
        if (plan && key) {
          const id = counterKeyOf(key);
          entry = entries.get(id) ?? { id, key, plan };
          entries.set(id, entry);
        }
        entryOf.set(a, entry);
      }
      return entry;
    },
  };
}

const ISO_US = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface CounterStateRow {
  i: number;
  latest_start: string | null;
  latest_resets: string | null;
  latest_used: number | null;
  latest_last: string | null;
  anchor_start: string | null;
  anchor_resets: string | null;
}

/** A window replaced by a replay, and the warnings to retract or correct with it. */
interface Replayed {
  entry: CounterEntry;
  from: number;
  windows: QuotaWindowState[];
}

type Group = { entry: CounterEntry; records: UsageRecord[] };

/** The records (time-ordered) of each counter, in order of first appearance; the others get their plain outcome. */
function groupByCounter(records: readonly UsageRecord[], counters: Counters, outcome?: Map<UsageRecord, Outcome>): Group[] {
  const groups = new Map<string, Group>();
  for (const record of records) {
    const entry = counters.counterOf(record);
    if (!entry) {
      outcome?.set(record, classifyPlain(record));
      continue;
    }
    let group = groups.get(entry.id);
    if (!group) groups.set(entry.id, (group = { entry, records: [] }));
    group.records.push(record);
  }
  return [...groups.values()];
}

/** Each counter's latest window, and the window its earliest record falls in or after (rows `i` = 1-based position in `list`). */
function counterStatesQuery(list: readonly Group[]): SqlPart {
  return {
    sql: `select k.i::int as i,
            ${ISO_US('l.window_start')} as latest_start, ${ISO_US('l.resets_at')} as latest_resets, l.used as latest_used,
            ${ISO_US('l.last_request_at')} as latest_last,
            ${ISO_US('a.window_start')} as anchor_start, ${ISO_US('a.resets_at')} as anchor_resets
       from unnest(?::text[], ?::uuid[], ?::uuid[], ?::timestamptz[]) with ordinality as k(scope, subject_id, plan_id, first_at, i)
       left join lateral (
         select w.window_start, w.resets_at, w.used, w.last_request_at from usage.quota_window w
          where w.scope = k.scope and w.subject_id = k.subject_id and w.plan_id = k.plan_id
          order by w.window_start desc limit 1) l on true
       left join lateral (
         select w.window_start, w.resets_at from usage.quota_window w
          where w.scope = k.scope and w.subject_id = k.subject_id and w.plan_id = k.plan_id and w.window_start <= k.first_at
          order by w.window_start desc limit 1) a on true`,
    params: [
      pgArray(list.map((g) => g.entry.key.scope)),
      pgArray(list.map((g) => g.entry.key.subjectId)),
      pgArray(list.map((g) => g.entry.key.planId)),
      pgArray(list.map((g) => microsToIso(g.records[0].micros))),
    ],
  };
}

/** Counter states read ahead, with the time of the first record each was read for. */
export type PrefetchedStates = Map<string, { first: number; state: CounterStateRow }>;

/**
 * The counter states the batch's records would need, as one scalar subquery (a JSON array) that
 * the ingest adds to a statement it runs anyway, and how to read its answer. Read before the check
 * for records stored before: when that check removes a counter's first record, the state read for
 * it is not used (`applyQuotaWindows` reads that counter again).
 */
export function prefetchCounterStates(
  records: readonly UsageRecord[],
  counters: Counters,
): { part: SqlPart; read(json: CounterStateRow[]): PrefetchedStates } | null {
  const list = groupByCounter(records, counters);
  if (!list.length) return null;
  const query = counterStatesQuery(list);
  return {
    part: { sql: `(select coalesce(json_agg(s), '[]') from (${query.sql}) s)`, params: query.params },
    read(json) {
      const out: PrefetchedStates = new Map();
      for (const state of json) {
        const group = list[state.i - 1];
        out.set(group.entry.id, { first: group.records[0].micros, state });
      }
      return out;
    },
  };
}

/** What the windows of a batch come to: outcomes, warnings, and the window upsert still to run. */
export interface QuotaWindowsResult extends QuotaOutcomes {
  /** `insert … on conflict do update` of the windows this batch changed (the ingest runs it with the rollups' upsert). */
  write: SqlPart | null;
}

/**
 * Counts the records against their quota counters; collects warnings and the window upsert.
 * Records (time-ordered) not older than their counter's latest counted record are appended to its
 * latest window; otherwise the counter is replayed from the stored records (`replayCounter`) and its
 * stored windows from the replay's start are dropped here (`replaceWindows`). The upsert of the
 * windows is returned, not run. States read ahead for the same first record
 * (`prefetchCounterStates`) are used; the others are read here, in one SELECT.
 */
export async function applyQuotaWindows(
  deps: Pick<IngestDeps, 'clock'>,
  tx: EntityManager,
  records: UsageRecord[],
  counters: Counters,
  alertRules: readonly AlertRuleRow[],
  prefetched: PrefetchedStates = new Map(),
): Promise<QuotaWindowsResult> {
  const outcome = new Map<UsageRecord, Outcome>();
  const list = groupByCounter(records, counters, outcome);
  if (!list.length) return { outcome, warnings: [], changed: [], write: null };

  const stateOf = new Map<number, CounterStateRow>();
  const missing: number[] = [];
  list.forEach((group, i) => {
    const ahead = prefetched.get(group.entry.id);
    if (ahead && ahead.first === group.records[0].micros) stateOf.set(i, ahead.state);
    else missing.push(i);
  });
  if (missing.length) {
    const query = counterStatesQuery(missing.map((i) => list[i]));
    for (const row of await bulk<CounterStateRow>(tx, query.sql, query.params)) stateOf.set(missing[row.i - 1], row);
  }

  const rules = thresholdRules(alertRules);
  const warnings: RaiseQuotaWarningInput[] = [];
  const dirty: { entry: CounterEntry; window: QuotaWindowState }[] = [];
  const replayed: Replayed[] = [];
  const changed: ChangedCounter[] = [];
  for (let i = 0; i < list.length; i++) {
    const { entry, records: mine } = list[i];
    const state = stateOf.get(i)!;
    const limit = entry.plan.quota_requests!;
    const period = entry.plan.quota_period_seconds! * 1e6;
    const first = mine[0].micros;
    let windows: QuotaWindowState[];
    if (state.latest_start === null || first >= isoToMicros(state.latest_last!)) {
      const used = Number(state.latest_used);
      const latest: QuotaWindowState | null =
        state.latest_start === null
          ? null
          : {
              start: isoToMicros(state.latest_start),
              resetsAt: isoToMicros(state.latest_resets!),
              used,
              usedBefore: used,
              lastAt: isoToMicros(state.latest_last!),
              isNew: false,
              dirty: false,
              projected: null,
            };
      const counter = new QuotaCounter(latest, period, limit);
      for (const record of mine) outcome.set(record, counter.record(record.micros, record.responseCode, record.denial).outcome);
      windows = counter.windows;
    } else {
      // A late record: replay from the window it falls in (its start is settled by older records),
      // or from the record itself when it falls after that window expired.
      const anchorStart = state.anchor_start === null ? null : isoToMicros(state.anchor_start);
      const from = anchorStart !== null && isoToMicros(state.anchor_resets!) > first ? anchorStart : first;
      windows = await replayCounter(tx, entry, from, mine, outcome);
      replayed.push({ entry, from, windows });
    }
    // Records are replayed or appended up to the counter's newest one: its last window is its latest.
    const last = windows[windows.length - 1];
    if (last && windows.some((w) => w.dirty)) {
      changed.push({
        scope: entry.key.scope,
        planId: entry.key.planId,
        organizationId: entry.key.organizationId,
        appId: entry.key.appId,
        credentialId: entry.key.credentialId,
        limit,
        periodSeconds: entry.plan.quota_period_seconds!,
        windowStart: microsToDate(last.start),
        resetsAt: microsToDate(last.resetsAt),
        used: Math.min(last.used, MAX_INT),
      });
    }
    const thresholds = thresholdsFor(rules, entry.key);
    for (const window of windows) {
      if (!window.dirty) continue;
      dirty.push({ entry, window });
      const base = {
        organizationId: entry.key.organizationId,
        appId: entry.key.appId,
        credentialId: entry.key.credentialId,
        planId: entry.key.planId,
        limit,
        windowStart: microsToDate(window.start),
        resetsAt: microsToDate(window.resetsAt),
      };
      // `used` = the request that crossed the threshold: the same whatever batch carried it.
      for (const threshold of crossedThresholds(thresholds, window.usedBefore, window.used, limit)) {
        warnings.push({
          ...base,
          kind: threshold >= 100 ? QuotaWarningKind.HARD : QuotaWarningKind.SOFT,
          thresholdPercent: threshold,
          used: crossingCount(threshold, limit),
        });
      }
      // Projection: after the first request at whose time the window's average rate so far would
      // exhaust it before it resets (a repeat in a later batch is the same warning, skipped).
      if (window.projected !== null) {
        warnings.push({
          ...base,
          kind: QuotaWarningKind.PROJECTED,
          thresholdPercent: 100,
          used: Math.min(Math.round(window.projected), MAX_INT),
        });
      }
    }
  }

  if (replayed.length) await replaceWindows(tx, replayed);
  if (!dirty.length) return { outcome, warnings, changed, write: null };
  return {
    outcome,
    warnings,
    changed,
    write: {
      sql: `insert into usage.quota_window as w
         (scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, organization_id, app_id, credential_id, last_request_at, updated_at)
       select scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, organization_id, app_id, credential_id, last_request_at, ?::timestamptz
         from unnest(?::text[], ?::uuid[], ?::uuid[], ?::timestamptz[], ?::timestamptz[], ?::integer[], ?::integer[], ?::uuid[], ?::uuid[], ?::uuid[], ?::timestamptz[])
              as t(scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, organization_id, app_id, credential_id, last_request_at)
       on conflict (scope, subject_id, plan_id, window_start) do update
         set used = excluded.used, resets_at = excluded.resets_at, quota_limit = excluded.quota_limit,
             last_request_at = excluded.last_request_at, updated_at = excluded.updated_at`,
      params: [
        deps.clock.now().toISOString(),
        pgArray(dirty.map((d) => d.entry.key.scope)),
        pgArray(dirty.map((d) => d.entry.key.subjectId)),
        pgArray(dirty.map((d) => d.entry.key.planId)),
        pgArray(dirty.map((d) => microsToIso(d.window.start))),
        pgArray(dirty.map((d) => microsToIso(d.window.resetsAt))),
        pgArray(dirty.map((d) => Math.min(d.window.used, MAX_INT))),
        pgArray(dirty.map((d) => d.entry.plan.quota_requests!)),
        pgArray(dirty.map((d) => d.entry.key.organizationId)),
        pgArray(dirty.map((d) => d.entry.key.appId)),
        pgArray(dirty.map((d) => d.entry.key.credentialId)),
        pgArray(dirty.map((d) => microsToIso(d.window.lastAt))),
      ],
    },
  };
}

/**
 * Replays a counter's stored counted records (the batch's are stored already) from `from`, in
 * time order, into fresh windows; classifies the batch's records on the way. Every window from
 * `from` on is recomputed (`dirty`); `usedBefore` is 0, so every threshold a window reaches is a
 * candidate warning (those raised before are skipped by their unique key).
 */
async function replayCounter(
  tx: EntityManager,
  entry: CounterEntry,
  from: number,
  mine: UsageRecord[],
  outcome: Map<UsageRecord, Outcome>,
): Promise<QuotaWindowState[]> {
  const rows = await bulk<{ at: string; record_id: string }>(
    tx,
    `select ${ISO_US('occurred_at')} as at, record_id::text as record_id
       from usage.usage_record
      where plan_id = ?::uuid and quota_subject_id = ?::uuid and occurred_at >= ?::timestamptz
      order by occurred_at, record_id`,
    [entry.key.planId, entry.key.subjectId, microsToIso(from)],
  );
  const byId = new Map(mine.map((record) => [record.id, record]));
  const counter = new QuotaCounter(null, entry.plan.quota_period_seconds! * 1e6, entry.plan.quota_requests!);
  for (const row of rows) {
    const record = byId.get(row.record_id);
    const result = counter.record(isoToMicros(row.at), record?.responseCode ?? 200, record?.denial ?? null);
    if (record) outcome.set(record, result.outcome);
  }
  return counter.windows;
}

/**
 * Before replayed windows are written: drops the counter's stored windows from the replay's start
 * on, retracts warnings of windows that no longer exist, and brings stored PROJECTED warnings of
 * windows that remain to what the replay found (the first crossing may now be earlier).
 */
async function replaceWindows(tx: EntityManager, replayed: Replayed[]): Promise<void> {
  for (const { entry, from, windows } of replayed) {
    const { scope, subjectId, planId, organizationId, appId, credentialId } = entry.key;
    await bulk(
      tx,
      `delete from usage.quota_window where scope = ? and subject_id = ?::uuid and plan_id = ?::uuid and window_start >= ?::timestamptz`,
      [scope, subjectId, planId, microsToIso(from)],
    );
    const sameScope = `organization_id = ?::uuid and app_id is not distinct from ?::uuid and credential_id is not distinct from ?::uuid and plan_id = ?::uuid`;
    await bulk(
      tx,
      `delete from usage.quota_warning where ${sameScope} and window_start >= ?::timestamptz and window_start <> all(?::timestamptz[])`,
      [organizationId, appId, credentialId, planId, microsToIso(from), pgArray(windows.map((w) => microsToIso(w.start)))],
    );
    const projected = windows.filter((w) => w.projected !== null);
    if (projected.length) {
      await bulk(
        tx,
        `update usage.quota_warning q set used = t.used
           from unnest(?::timestamptz[], ?::integer[]) as t(window_start, used)
          where ${sameScope.replace(/(organization_id|app_id|credential_id|plan_id) /g, 'q.$1 ')} and q.kind = 'PROJECTED' and q.window_start = t.window_start and q.used <> t.used`,
        [
          pgArray(projected.map((w) => microsToIso(w.start))),
          pgArray(projected.map((w) => Math.min(Math.round(w.projected!), MAX_INT))),
          organizationId,
          appId,
          credentialId,
          planId,
        ],
      );
    }
  }
}

function isoToMicros(iso: string): number {
  const ms = Date.parse(`${iso.slice(0, 23)}Z`);
  return ms * 1000 + Number(iso.slice(23, 26));
}

export function classifyPlain(record: UsageRecord): Outcome {
  const code = record.responseCode;
  if (code === 429) return 'RATE_LIMITED';
  if (code === 403 && record.denial === 'QUOTA') return 'QUOTA_EXCEEDED';
  if (code >= 500) return 'SERVER_ERROR';
  if (code >= 400) return 'CLIENT_ERROR';
  return 'OK';
}

/** Thresholds of the batch's alert rules, by `organization|app` (`''` for the organization default). */
function thresholdRules(rows: readonly AlertRuleRow[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const row of rows) out.set(`${row.organization_id}|${row.app_id ?? ''}`, row.thresholds.map(Number));
  return out;
}

/** The app's own rules, else the organization default, else 80/90/100 (`effectiveQuotaAlertRules`). */
function thresholdsFor(rules: Map<string, number[]>, key: CounterKey): readonly number[] {
  if (key.appId) {
    const own = rules.get(`${key.organizationId}|${key.appId}`);
    if (own) return own;
  }
  return rules.get(`${key.organizationId}|`) ?? DEFAULT_QUOTA_ALERT_THRESHOLDS;
}
