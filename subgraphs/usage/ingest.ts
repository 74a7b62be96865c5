import { performance } from 'node:perf_hooks';
/**
 * The usage ingest: Tyk analytics records in, raw usage + rollups + quota windows + warnings out,
 * in ONE transaction per batch (so a batch lands whole or not at all, and the warnings it raises
 * reach subscribers exactly when it commits).
 *
 * 1. Each record is parsed on its own (`records.ts`); malformed ones are rejected with a reason.
 * 2. Records are matched to credentials by key hash (`provider.credential_key_contract`, then
 *    `developers.credential_contract` for app and organization), to plans and products by their
 *    `pol-<policyId>` tags (`provider.policy_link_contract`; the credential's own plan and
 *    products when tags are missing) and products to the API (`products.product_contract`).
 *    Records with unknown keys are stored and counted as UNMATCHED, never dropped.
 * 3. Raw rows go in with one `insert … select from unnest(…) on conflict do nothing returning`:
 *    only records that were not there before feed the rollups and quota windows (idempotent).
 * 4. Rollups (per credential, app, organization, product, plan; minute, hour, day) and quota
 *    windows are upserted, thresholds crossed in this batch raise warnings (`warnings.ts`).
 *
 * Quota windows are a function of the SET of stored records, whatever order and batching they
 * arrive in (`windows.ts`). Each raw row records the counter it counts against
 * (`quota_subject_id`). Records not older than their counter's latest counted record are appended
 * to its latest window; a late one makes the ingest replay the counter's stored records from the
 * window it falls in (or from itself, between windows), replace those windows, retract warnings of
 * windows that no longer exist and raise the ones the replay crosses. Warnings are unique per
 * (scope, kind, threshold, window), so each is stored and published once, and report the request
 * that crossed the threshold (`used`), not the size of the batch that carried it.
 *
 * Batches are serialised by a transaction-scoped advisory lock (across all replicas, which share
 * the database): the read-modify-write of windows, and of rollups, stays simple and deadlock-free.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../common/clock';
import type { Logger } from '../../common/logger';
import type { PgPubSub } from '../../common/pubsub';
import { QuotaWarningKind } from './entities/quota-warning';
import { DEFAULT_QUOTA_ALERT_THRESHOLDS } from './resolvers/quota-alert-rules.resolver';
import { bucketOf, HISTOGRAM_SIZE } from './histogram';
import { microsToDate, microsToIso, parseRecord, policyIdsOf, UNAUTHENTICATED_KEY, type UsageRecord } from './records';
import { bulk, pgArray, pgArrayOfArrays, query } from './sql';
import { insertQuotaWarnings, type RaiseQuotaWarningInput } from './warnings';
import { classify, crossedThresholds, crossingCount, QuotaCounter, type Outcome, type QuotaWindowState } from './windows';

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const INGEST_LOCK = 'plangraph:usage:ingest';
const MAX_INT = 2_147_483_647;

export type RollupScope = 'CREDENTIAL' | 'APP' | 'ORGANIZATION' | 'PRODUCT' | 'PLAN' | 'UNMATCHED';
export type QuotaScopeName = 'CREDENTIAL' | 'APP' | 'ORGANIZATION';
export type Granularity = 'MINUTE' | 'HOUR' | 'DAY';

export const GRANULARITY_MS: Record<Granularity, number> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

export interface IngestDeps {
  orm: MikroORM;
  pubsub: Pick<PgPubSub, 'emit'>;
  clock: Clock;
  log: Logger;
}

export interface Rejection {
  index: number;
  reason: string;
}

export interface IngestResult {
  /** Records stored now (new). */
  accepted: number;
  /** Valid records stored before (or twice in this batch): counted once. */
  duplicates: number;
  /** Accepted records whose key matched no credential (stored and counted as unmatched). */
  unmatched: number;
  rejected: Rejection[];
  /** Quota warnings raised by this batch. */
  warnings: number;
  /** When COMMIT of the batch's transaction was sent (ISO-8601, ms): subscribers can get its warnings from then on. */
  commitIssuedAt: string | null;
  /** When the commit was acknowledged to this process (ISO-8601, ms). */
  committedAt: string | null;
  /** Where the time went, in ms: parse, lock (wait for other batches), match, raw, windows, rollups, warnings, commit. */
  timingsMs: Record<string, number>;
}

export interface IngestOptions {
  /** Added to every record's index in `rejected` (the tailer's running row number). */
  indexOffset?: number;
  /** Runs inside the batch's transaction after everything else (the tailer stores its position). */
  afterWrite?: (tx: EntityManager) => Promise<void>;
}

interface KeyRow {
  key_hash: string;
  credential_id: string;
  key_plan_id: string | null;
  product_ids: string[] | null;
  status: string;
  issued_at: Date | null;
  app_id: string | null;
  organization_id: string | null;
  plan_id: string | null;
}

interface PlanRow {
  id: string;
  quota_scope: QuotaScopeName;
  quota_requests: number | null;
  quota_period_seconds: number | null;
}

interface Attribution {
  credentialId: string | null;
  appId: string | null;
  organizationId: string | null;
  planId: string | null;
  productIds: string[];
  /** The rollup rows a record of this attribution counts in (besides time). */
  scopes: [RollupScope, string][];
}

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

/** Phase timings of one batch (`IngestResult.timingsMs`). */
class Stopwatch {
  readonly phases: Record<string, number> = {};
  commitIssuedAt: Date | null = null;
  private last = performance.now();

  /**
   * The current instant on this process's performance clock, for `commitIssuedAt`/`committedAt`:
   * latency measurements that other processes compare with their own performance clocks
   * (bench/scenarios/warning-latency.ts), not a rule's "now" (that is `deps.clock`).
   */
  static instant(): Date {
    return new Date(performance.timeOrigin + performance.now());
  }

  lap(name: string): void {
    const now = performance.now();
    this.phases[name] = Math.round((this.phases[name] ?? 0) + (now - this.last) * 10) / 10;
    this.last = now;
  }
}

/** Partitions known to exist in this process (`usage_record_pYYYYMMDD`). */
const knownPartitions = new Set<string>();

/** The UTC days (YYYY-MM-DD) records fall on. */
function daysOf(records: readonly UsageRecord[]): string[] {
  const days = new Set<number>();
  for (const record of records) days.add(Math.floor(record.micros / 86_400_000_000));
  return [...days].map((day) => new Date(day * 86_400_000).toISOString().slice(0, 10));
}

/** Creates the day partitions the records need (own short transaction, serialised by a lock). */
export async function ensurePartitions(orm: MikroORM, days: Iterable<string>): Promise<void> {
  const missing = [...new Set(days)].filter((day) => !knownPartitions.has(day));
  if (!missing.length) return;
  await orm.em.fork().transactional(async (tx) => {
    await query(tx, `select pg_advisory_xact_lock(hashtext('plangraph:usage:partitions'))`);
    for (const day of missing) {
      const name = `usage_record_p${day.replace(/-/g, '')}`;
      const from = `${day}T00:00:00Z`;
      const to = new Date(Date.parse(from) + 86_400_000).toISOString();
      const [{ present }] = await query<{ present: boolean }>(tx, `select to_regclass(?) is not null as present`, [`usage.${name}`]);
      if (!present) {
        await query(tx, `create table usage.${name} partition of usage.usage_record for values from ('${from}') to ('${to}')`);
      }
    }
  });
  for (const day of missing) knownPartitions.add(day);
}

function isMissingPartition(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23514' && /no partition/i.test(String((error as Error).message));
}

/** Parses a batch: valid records (first occurrence of each identity) and per-record rejections. */
export function parseBatch(
  raws: readonly unknown[],
  now: Date,
  indexOffset = 0,
): { records: UsageRecord[]; rejected: Rejection[]; duplicates: number } {
  const records: UsageRecord[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (let i = 0; i < raws.length; i++) {
    const parsed = parseRecord(raws[i], i + indexOffset, now);
    if (!parsed.ok) {
      rejected.push({ index: i + indexOffset, reason: parsed.reason });
      continue;
    }
    if (seen.has(parsed.record.id)) {
      duplicates += 1;
      continue;
    }
    seen.add(parsed.record.id);
    records.push(parsed.record);
  }
  return { records, rejected, duplicates };
}

/** Ingests a batch of raw analytics records (parsed here). Never throws for bad records. */
export async function ingestAnalytics(deps: IngestDeps, raws: readonly unknown[], options: IngestOptions = {}): Promise<IngestResult> {
  const started = performance.now();
  const { records, rejected, duplicates } = parseBatch(raws, deps.clock.now(), options.indexOffset ?? 0);
  const parse = Math.round((performance.now() - started) * 10) / 10;
  const result = await ingestRecords(deps, records, options);
  return {
    ...result,
    duplicates: result.duplicates + duplicates,
    rejected: [...rejected, ...result.rejected],
    timingsMs: { parse, ...result.timingsMs },
  };
}

/** Ingests parsed records (distinct identities). */
export async function ingestRecords(deps: IngestDeps, records: readonly UsageRecord[], options: IngestOptions = {}): Promise<IngestResult> {
  const empty: IngestResult = {
    accepted: 0,
    duplicates: 0,
    unmatched: 0,
    rejected: [],
    warnings: 0,
    commitIssuedAt: null,
    committedAt: null,
    timingsMs: {},
  };
  if (!records.length && !options.afterWrite) return empty;
  const sorted = [...records].sort((a, b) => a.micros - b.micros || a.index - b.index);
  for (let attempt = 0; ; attempt++) {
    const watch = new Stopwatch();
    await ensurePartitions(deps.orm, daysOf(sorted));
    watch.lap('partitions');
    try {
      const outcome = await deps.orm.em.fork().transactional((tx) => writeBatch(deps, tx as EntityManager, sorted, options, watch));
      watch.lap('commit');
      return {
        ...outcome,
        commitIssuedAt: watch.commitIssuedAt?.toISOString() ?? null,
        committedAt: Stopwatch.instant().toISOString(),
        timingsMs: watch.phases,
      };
    } catch (error) {
      // A partition dropped behind this process's back: forget what we knew and retry once.
      if (attempt === 0 && isMissingPartition(error)) {
        knownPartitions.clear();
        continue;
      }
      throw error;
    }
  }
}

async function writeBatch(
  deps: IngestDeps,
  tx: EntityManager,
  records: UsageRecord[],
  options: IngestOptions,
  watch: Stopwatch,
): Promise<Omit<IngestResult, 'commitIssuedAt' | 'committedAt' | 'timingsMs'>> {
  await bulk(tx, `select pg_advisory_xact_lock(hashtext(?))`, [INGEST_LOCK]);
  watch.lap('lock');
  if (!records.length) {
    await options.afterWrite?.(tx);
    return { accepted: 0, duplicates: 0, unmatched: 0, rejected: [], warnings: 0 };
  }
  const attribution = await attribute(tx, records);
  const counters = await countersOf(tx, records, attribution);
  watch.lap('match');

  // Raw rows; `returning` tells which records are new (the rest were ingested before).
  const inserted = await bulk<{ record_id: string }>(
    tx,
    `insert into usage.usage_record
       (occurred_at, record_id, key_hash, credential_id, app_id, organization_id, plan_id, product_ids, api_id, method, path,
        response_code, latency_ms, ip_address, quota_subject_id)
     select occurred_at, record_id, key_hash, credential_id, app_id, organization_id, plan_id, product_ids::uuid[], api_id, method, path,
            response_code, latency_ms, ip_address, quota_subject_id
       from unnest(?::timestamptz[], ?::uuid[], ?::text[], ?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[],
                   ?::text[], ?::smallint[], ?::integer[], ?::text[], ?::uuid[])
            as t(occurred_at, record_id, key_hash, credential_id, app_id, organization_id, plan_id, product_ids, api_id, method, path,
                 response_code, latency_ms, ip_address, quota_subject_id)
     on conflict do nothing
     returning record_id::text as record_id`,
    [
      pgArray(records.map((r) => microsToIso(r.micros))),
      pgArray(records.map((r) => r.id)),
      pgArray(records.map((r) => r.keyHash)),
      pgArray(records.map((r) => attribution.get(r)!.credentialId)),
      pgArray(records.map((r) => attribution.get(r)!.appId)),
      pgArray(records.map((r) => attribution.get(r)!.organizationId)),
      pgArray(records.map((r) => attribution.get(r)!.planId)),
      pgArrayOfArrays(records.map((r) => attribution.get(r)!.productIds)),
      pgArray(records.map((r) => r.apiId)),
      pgArray(records.map((r) => r.method)),
      pgArray(records.map((r) => r.path)),
      pgArray(records.map((r) => r.responseCode)),
      pgArray(records.map((r) => r.latencyMs)),
      pgArray(records.map((r) => r.ip)),
      pgArray(records.map((r) => counters.counterOf(r)?.key.subjectId ?? null)),
    ],
  );
  watch.lap('raw');
  const fresh = new Set(inserted.map((row) => row.record_id));
  const accepted = records.filter((r) => fresh.has(r.id));
  const duplicates = records.length - accepted.length;
  const unmatched = accepted.filter((r) => attribution.get(r)!.credentialId === null).length;

  const outcomes = await applyQuotaWindows(deps, tx, accepted, counters);
  watch.lap('windows');
  await upsertRollups(tx, accepted, attribution, outcomes);
  watch.lap('rollups');
  const warnings = outcomes.warnings.length ? await insertQuotaWarnings(tx, deps.pubsub, outcomes.warnings, deps.clock.now()) : [];
  await options.afterWrite?.(tx);
  watch.lap('warnings');
  watch.commitIssuedAt = Stopwatch.instant(); // MikroORM commits right after this callback returns
  return { accepted: accepted.length, duplicates, unmatched, rejected: [], warnings: warnings.length };
}

/** Credential, app, organization, plan and products of each record (three or four SELECTs per batch). */
async function attribute(tx: EntityManager, records: UsageRecord[]): Promise<Map<UsageRecord, Attribution>> {
  const keyHashes = [...new Set(records.map((r) => r.keyHash).filter((k) => k !== UNAUTHENTICATED_KEY))];
  const policyIds = [...new Set(records.flatMap((r) => policyIdsOf(r.tags)))];
  const [keyRows, links] = await Promise.all([
    keyHashes.length
      ? bulk<KeyRow>(
          tx,
          `select k.key_hash, k.credential_id::text as credential_id, k.plan_id::text as key_plan_id, k.product_ids::text[] as product_ids,
                  k.status, k.issued_at, c.app_id::text as app_id, c.organization_id::text as organization_id, c.plan_id::text as plan_id
             from provider.credential_key_contract k
             left join developers.credential_contract c on c.id = k.credential_id
            where k.key_hash = any(?::text[])`,
          [pgArray(keyHashes)],
        )
      : Promise.resolve([] as KeyRow[]),
    policyIds.length
      ? bulk<{ kind: string; subject_id: string; policy_id: string }>(
          tx,
          `select kind, subject_id::text as subject_id, policy_id from provider.policy_link_contract where policy_id = any(?::text[])`,
          [pgArray(policyIds)],
        )
      : Promise.resolve([]),
  ]);
  // One key hash could exist in two providers: prefer the live key, then the newest.
  const keys = new Map<string, KeyRow>();
  for (const row of keyRows) {
    const current = keys.get(row.key_hash);
    const better =
      !current ||
      (row.status === 'ACTIVE' && current.status !== 'ACTIVE') ||
      (row.status === current.status && (row.issued_at?.getTime() ?? 0) > (current.issued_at?.getTime() ?? 0));
    if (better) keys.set(row.key_hash, row);
  }
  const planByPolicy = new Map<string, string>();
  const productByPolicy = new Map<string, string>();
  for (const link of links) (link.kind === 'PLAN' ? planByPolicy : productByPolicy).set(link.policy_id, link.subject_id);

  // Products: keep those that serve the record's API (a key may hold several products).
  const productIds = new Set<string>([...productByPolicy.values()]);
  for (const row of keys.values()) for (const id of row.product_ids ?? []) productIds.add(id);
  const apisByProduct = new Map<string, string[]>();
  if (productIds.size) {
    const rows = await bulk<{ id: string; tyk_api_ids: string[] | null }>(
      tx,
      `select id::text as id, tyk_api_ids from products.product_contract where id = any(?::uuid[])`,
      [pgArray([...productIds])],
    );
    for (const row of rows) apisByProduct.set(row.id, row.tyk_api_ids ?? []);
  }
  // Records of one key, API and tag set share one Attribution object (grouping below is by identity).
  const shared = new Map<string, Attribution>();
  const out = new Map<UsageRecord, Attribution>();
  for (const record of records) {
    const memo = `${record.keyHash}\u0000${record.apiId}\u0000${record.tags.join('\u0000')}`;
    let attribution = shared.get(memo);
    if (!attribution) {
      const key = keys.get(record.keyHash);
      const tagged = policyIdsOf(record.tags);
      const tagPlan = tagged.map((id) => planByPolicy.get(id)).find((id): id is string => Boolean(id)) ?? null;
      const candidates = [
        ...new Set([...tagged.map((id) => productByPolicy.get(id)).filter((id): id is string => Boolean(id)), ...(key?.product_ids ?? [])]),
      ];
      const serving = record.apiId ? candidates.filter((id) => apisByProduct.get(id)?.includes(record.apiId)) : [];
      const a: Omit<Attribution, 'scopes'> = {
        credentialId: key?.credential_id ?? null,
        appId: key?.app_id ?? null,
        organizationId: key?.organization_id ?? null,
        // The plan Tyk enforced (tag) over the credential's current plan.
        planId: tagPlan ?? key?.plan_id ?? key?.key_plan_id ?? null,
        productIds: serving.length ? serving : candidates,
      };
      const scopes: [RollupScope, string][] = [a.credentialId ? ['CREDENTIAL', a.credentialId] : ['UNMATCHED', NIL_UUID]];
      if (a.appId) scopes.push(['APP', a.appId]);
      if (a.organizationId) scopes.push(['ORGANIZATION', a.organizationId]);
      if (a.planId) scopes.push(['PLAN', a.planId]);
      for (const productId of a.productIds) scopes.push(['PRODUCT', productId]);
      attribution = { ...a, scopes };
      shared.set(memo, attribution);
    }
    out.set(record, attribution);
  }
  return out;
}

interface QuotaOutcomes {
  outcome: Map<UsageRecord, Outcome>;
  warnings: RaiseQuotaWarningInput[];
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

interface Counters {
  /** The counter a record counts against (null: not counted, or no quota). */
  counterOf(record: UsageRecord): CounterEntry | null;
}

/** Plans of the batch (one SELECT) and the counter each record counts against. */
async function countersOf(tx: EntityManager, records: UsageRecord[], attribution: Map<UsageRecord, Attribution>): Promise<Counters> {
  const planIds = [...new Set(records.map((r) => attribution.get(r)!.planId).filter((id): id is string => id !== null))];
  const plans = new Map<string, PlanRow>();
  if (planIds.length) {
    const rows = await bulk<PlanRow>(
      tx,
      `select id::text as id, quota_scope, quota_requests, quota_period_seconds from plans.plan_contract where id = any(?::uuid[])`,
      [pgArray(planIds)],
    );
    for (const row of rows) plans.set(row.id, row);
  }
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

interface CounterStateRow {
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

/**
 * Counts the records against their quota counters; upserts the windows; collects warnings.
 * Records (time-ordered) not older than their counter's latest counted record are appended to its
 * latest window; otherwise the counter is replayed from the stored records (`replayCounter`).
 */
async function applyQuotaWindows(deps: IngestDeps, tx: EntityManager, records: UsageRecord[], counters: Counters): Promise<QuotaOutcomes> {
  const outcome = new Map<UsageRecord, Outcome>();
  type Group = { entry: CounterEntry; records: UsageRecord[] };
  const groups = new Map<string, Group>();
  for (const record of records) {
    const entry = counters.counterOf(record);
    if (!entry) {
      outcome.set(record, classifyPlain(record));
      continue;
    }
    const group = groups.get(entry.id) ?? { entry, records: [] };
    groups.set(entry.id, group);
    group.records.push(record);
  }
  const list = [...groups.values()];
  if (!list.length) return { outcome, warnings: [] };

  // Each counter's latest window, and the window its earliest new record falls in or after: one SELECT.
  const states = await bulk<CounterStateRow>(
    tx,
    `select k.i::int as i,
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
    [
      pgArray(list.map((g) => g.entry.key.scope)),
      pgArray(list.map((g) => g.entry.key.subjectId)),
      pgArray(list.map((g) => g.entry.key.planId)),
      pgArray(list.map((g) => microsToIso(g.records[0].micros))),
    ],
  );
  const stateOf = new Map(states.map((row) => [row.i - 1, row]));

  const rules = await alertRules(tx, [...new Set(list.map((g) => g.entry.key.organizationId))]);
  const warnings: RaiseQuotaWarningInput[] = [];
  const dirty: { entry: CounterEntry; window: QuotaWindowState }[] = [];
  const replayed: Replayed[] = [];
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
  if (dirty.length) {
    await bulk(
      tx,
      `insert into usage.quota_window as w
         (scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, organization_id, app_id, credential_id, last_request_at, updated_at)
       select scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, organization_id, app_id, credential_id, last_request_at, ?::timestamptz
         from unnest(?::text[], ?::uuid[], ?::uuid[], ?::timestamptz[], ?::timestamptz[], ?::integer[], ?::integer[], ?::uuid[], ?::uuid[], ?::uuid[], ?::timestamptz[])
              as t(scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, organization_id, app_id, credential_id, last_request_at)
       on conflict (scope, subject_id, plan_id, window_start) do update
         set used = excluded.used, resets_at = excluded.resets_at, quota_limit = excluded.quota_limit,
             last_request_at = excluded.last_request_at, updated_at = excluded.updated_at`,
      [
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
    );
  }
  return { outcome, warnings };
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

function classifyPlain(record: UsageRecord): Outcome {
  const code = record.responseCode;
  if (code === 429) return 'RATE_LIMITED';
  if (code === 403 && record.denial === 'QUOTA') return 'QUOTA_EXCEEDED';
  if (code >= 500) return 'SERVER_ERROR';
  if (code >= 400) return 'CLIENT_ERROR';
  return 'OK';
}

interface RuleRow {
  organization_id: string;
  app_id: string | null;
  thresholds: number[];
}

async function alertRules(tx: EntityManager, organizationIds: string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (!organizationIds.length) return out;
  const rows = await bulk<RuleRow>(
    tx,
    `select organization_id::text as organization_id, app_id::text as app_id, thresholds from usage.quota_alert_rule where organization_id = any(?::uuid[])`,
    [pgArray(organizationIds)],
  );
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

/** Adds the records to their rollup cells (5 scopes × 3 granularities) and upserts them in one statement. */
async function upsertRollups(
  tx: EntityManager,
  records: UsageRecord[],
  attribution: Map<UsageRecord, Attribution>,
  outcomes: QuotaOutcomes,
): Promise<void> {
  if (!records.length) return;
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
  await bulk(
    tx,
    `insert into usage.usage_rollup as r
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
       latency_histogram = (select array_agg(coalesce(a, 0) + coalesce(b, 0) order by i)
                              from unnest(r.latency_histogram, excluded.latency_histogram) with ordinality as h(a, b, i))`,
    [
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
  );
}
