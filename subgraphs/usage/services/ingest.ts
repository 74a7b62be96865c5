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
 * 3. Raw rows: the records not stored before go in with one binary `COPY … FROM STDIN` after one
 *    SELECT that finds those stored before (`../data/raw-records.ts`); only the new records feed
 *    the rollups and quota windows (idempotent).
 * 4. Rollups (per credential, app, organization, product, plan; minute, hour, day) and quota
 *    windows are upserted, thresholds crossed in this batch raise warnings (`quota-warnings.ts`),
 *    and every counter the batch changed is announced once to the quota status stream
 *    (`quota-status-stream.ts`).
 *
 * A batch of new traffic takes seven round trips: BEGIN; the lock with every contract read and the
 * alert rules (one statement); the newest stored record and the counters' windows (one statement,
 * after the lock); the COPY (two); the windows' and rollups' upserts (one statement); COMMIT.
 *
 * The parts: `../data/partitions.ts` (day partitions), `../contracts/attribution.ts` (step 2),
 * `../data/raw-records.ts` (step 3), `../data/quota-windows.ts` (windows and warnings, whatever
 * order records arrive in), `../data/rollups.ts` (step 4).
 *
 * Batches are serialised by a transaction-scoped advisory lock (across all replicas, which share
 * the database): the read-modify-write of windows, and of rollups, stays simple and deadlock-free.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../../../common/clock';
import type { Logger } from '../../../common/logger';
import type { PgPubSub } from '../../../common/pubsub';
import { readBatchContext } from '../contracts/attribution';
import { daysOf, ensurePartitions, forgetKnownPartitions, isMissingPartition } from '../data/partitions';
import { applyQuotaWindows, countersOf, prefetchCounterStates, type CounterStateRow } from '../data/quota-windows';
import { rollupWrite } from '../data/rollups';
import { newestStoredPart, storeRawRecords } from '../data/raw-records';
import { parseRecord, type UsageRecord } from './records';
import { bulk, bulkWrites } from '../../../common/sql';
import { insertQuotaWarnings } from './quota-warnings';
import { paceWarnings } from '../data/alert-policy';
import { enqueueUpgradeChecks } from './upgrade-checks';
import { quotaStatusNotices } from './quota-status-stream';

const INGEST_LOCK = 'plangraph:usage:ingest';

export interface IngestDeps {
  orm: MikroORM;
  pubsub: Pick<PgPubSub, 'emit' | 'notify'>;
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
  /**
   * Where the time went, in ms: parse, partitions, begin (transaction start), lock (waiting for
   * other batches, and the batch's keys, links, products, plans and alert rules: one statement),
   * match (attribution, then the newest stored record in the span and the counters' windows: one
   * statement), check (records stored before), raw (COPY of the new ones), windows (counting),
   * rollups (the windows' and the rollups' upsert: one statement), warnings, commit.
   */
  timingsMs: Record<string, number>;
}

export interface IngestOptions {
  /** Added to every record's index in `rejected` (the tailer's running row number). */
  indexOffset?: number;
  /** Runs inside the batch's transaction after everything else (the tailer stores its position). */
  afterWrite?: (tx: EntityManager) => Promise<void>;
}

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
        forgetKnownPartitions();
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
  watch.lap('begin');
  if (!records.length) {
    await bulk(tx, `select pg_advisory_xact_lock(hashtext(?))`, [INGEST_LOCK]);
    watch.lap('lock');
    await options.afterWrite?.(tx);
    return { accepted: 0, duplicates: 0, unmatched: 0, rejected: [], warnings: 0 };
  }
  // 1 statement: the lock, the keys, policy links, products, plans and alert rules of the batch.
  const context = await readBatchContext(tx, records, INGEST_LOCK);
  watch.lap('lock');
  const { attribution } = context;
  const counters = countersOf(attribution, context.plans);
  // 1 statement, under the lock: the newest stored record in the batch's span, and the state of
  // every quota counter the batch touches.
  const newest = newestStoredPart(records);
  const prefetch = prefetchCounterStates(records, counters);
  const [state] = await bulk<{ newest: string | null; counters: CounterStateRow[] | null }>(
    tx,
    `select ${newest.sql} as newest, ${prefetch ? prefetch.part.sql : 'null::json'} as counters`,
    [...newest.params, ...(prefetch?.part.params ?? [])],
  );
  watch.lap('match');

  // Raw rows: only records that were not stored before are written, and only they count below.
  const accepted = await storeRawRecords(tx, records, attribution, counters, state.newest, () => watch.lap('check'));
  watch.lap('raw');
  const duplicates = records.length - accepted.length;
  const unmatched = accepted.filter((r) => attribution.get(r)!.credentialId === null).length;

  const outcomes = await applyQuotaWindows(deps, tx, accepted, counters, context.alertRules, prefetch?.read(state.counters ?? []));
  watch.lap('windows');
  // 1 statement: the windows' and the rollups' upserts, and the quota status stream's announcements.
  await bulkWrites(tx, [outcomes.write, rollupWrite(accepted, attribution, outcomes), quotaStatusNotices(outcomes.changed)]);
  watch.lap('rollups');
  const warnings = outcomes.warnings.length
    ? await insertQuotaWarnings(
        tx,
        deps.pubsub,
        await paceWarnings(tx, outcomes.warnings, context.alertRules, deps.clock.now()),
        deps.clock.now(),
      )
    : [];
  await enqueueUpgradeChecks(tx, outcomes.warnings);
  await options.afterWrite?.(tx);
  watch.lap('warnings');
  watch.commitIssuedAt = Stopwatch.instant(); // MikroORM commits right after this callback returns
  return { accepted: accepted.length, duplicates, unmatched, rejected: [], warnings: warnings.length };
}
