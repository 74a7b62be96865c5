/**
 * Raw usage rows (`usage.usage_record`): the batch's records that were not stored before, written
 * with `COPY … FROM STDIN (FORMAT binary)` on the ingest transaction's own connection.
 *
 * 1. Which records are stored already: the newest stored record in the batch's time span (one
 *    backward step in the primary key `(occurred_at, record_id)` per day partition) — records after
 *    it are new — and then one primary-key probe per record up to it (`lateral … limit 1`: always a
 *    nested loop of index lookups, each pruned to the record's day partition at run time, never a
 *    scan of whole partitions, which the planner picks for a plain join or `exists` once the batch
 *    is large or statistics are stale). The batch holds the ingest's advisory lock, so no other
 *    ingest can store a record between this check and the COPY: the check is exact.
 * 2. The new ones go in with one binary COPY into the partitioned table (PostgreSQL routes each
 *    row to its day; a day without a partition fails with the same "no partition … found for row"
 *    as an INSERT, which the ingest retries once). COPY inserts rows in bulk, where `insert … select
 *    … on conflict do nothing` inserts them one at a time with a speculative insertion each.
 *
 * Measured against the alternatives (subgraphs/usage/BENCHMARKS.md): COPY into a staging table
 * (temporary, dropped at commit or kept per connection) followed by `insert … select … on conflict
 * do nothing returning` is no faster than the old `unnest` insert, since the second insert is the
 * cost; text-format COPY after the check also was not; binary COPY after the check was.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { BinaryCopyWriter, BinaryFields, copyIn } from '../../../common/copy';
import { bulk, pgArray, type SqlPart } from '../../../common/sql';
import type { Attribution } from '../contracts/attribution';
import { microsToIso, type UsageRecord } from '../services/records';
import type { Counters } from './quota-windows';

/** In COPY order: the record's own columns, then those that every record of one attribution shares (`sharedFields`). */
const COLUMNS = [
  'occurred_at',
  'record_id',
  'method',
  'path',
  'response_code',
  'latency_ms',
  'ip_address',
  'quota_subject_id',
  'key_hash',
  'credential_id',
  'app_id',
  'organization_id',
  'plan_id',
  'product_ids',
  'api_id',
] as const;

/** Records of one Attribution share the key and the API (it is keyed by them): their last seven fields are encoded once. */
interface Shared {
  keyHash: string;
  apiId: string;
  bytes: Buffer;
}

function sharedFields(record: UsageRecord, a: Attribution): Shared {
  const bytes = new BinaryFields()
    .text(record.keyHash)
    .uuid(a.credentialId)
    .uuid(a.appId)
    .uuid(a.organizationId)
    .uuid(a.planId)
    .uuidArray(a.productIds)
    .text(record.apiId)
    .bytes();
  return { keyHash: record.keyHash, apiId: record.apiId, bytes };
}

/**
 * The newest record stored in the batch's time span (microseconds since the epoch, as text; null:
 * none), as one scalar subquery for a statement the ingest runs after taking its lock: one backward
 * step in the primary key `(occurred_at, record_id)` per day partition.
 */
export function newestStoredPart(records: readonly UsageRecord[]): SqlPart {
  let first = records[0].micros;
  let last = first;
  for (const record of records) {
    if (record.micros < first) first = record.micros;
    if (record.micros > last) last = record.micros;
  }
  return {
    sql: `(select (extract(epoch from max(occurred_at)) * 1000000)::bigint::text
             from usage.usage_record where occurred_at >= ?::timestamptz and occurred_at <= ?::timestamptz)`,
    params: [microsToIso(first), microsToIso(last)],
  };
}

/**
 * Ids of the batch's records stored before, given the newest stored record in the batch's span
 * (`newestStoredPart`). A record newer than it cannot be stored already, so only records up to it
 * are probed (none, for a batch of new traffic; all of a resent batch; the few read again by the
 * tailer).
 */
async function storedBefore(tx: EntityManager, records: readonly UsageRecord[], newest: string | null): Promise<Set<string>> {
  if (newest === null) return new Set();
  const candidates = records.filter((record) => record.micros <= Number(newest));
  if (!candidates.length) return new Set();
  const stored = await bulk<{ record_id: string }>(
    tx,
    `select t.record_id::text as record_id
       from unnest(?::timestamptz[], ?::uuid[]) as t(occurred_at, record_id)
       cross join lateral (
         select from usage.usage_record r where r.occurred_at = t.occurred_at and r.record_id = t.record_id limit 1) stored`,
    [pgArray(candidates.map((r) => microsToIso(r.micros))), pgArray(candidates.map((r) => r.id))],
  );
  return new Set(stored.map((row) => row.record_id));
}

/** Stores the records that are not stored yet (all or nothing, with the transaction) and returns them, in batch order. */
export async function storeRawRecords(
  tx: EntityManager,
  records: readonly UsageRecord[],
  attribution: Map<UsageRecord, Attribution>,
  counters: Counters,
  /** The newest record stored in the batch's span (`newestStoredPart`, read under the ingest's lock). */
  newest: string | null,
  /** Called when the check is done (the ingest times the check and the COPY apart). */
  checked?: () => void,
): Promise<UsageRecord[]> {
  if (!records.length) return [];
  const known = await storedBefore(tx, records, newest);
  checked?.();
  const fresh = known.size ? records.filter((r) => !known.has(r.id)) : [...records];
  if (!fresh.length) return fresh;

  const copy = new BinaryCopyWriter(fresh.length * 300);
  const shared = new Map<Attribution, Shared>();
  for (const record of fresh) {
    const a = attribution.get(record)!;
    let fields = shared.get(a);
    if (!fields || fields.keyHash !== record.keyHash || fields.apiId !== record.apiId) shared.set(a, (fields = sharedFields(record, a)));
    copy
      .row(COLUMNS.length)
      .timestamptz(record.micros)
      .uuid(record.id)
      .text(record.method)
      .text(record.path)
      .int2(record.responseCode)
      .int4(record.latencyMs)
      .text(record.ip)
      .uuid(counters.counterOf(record)?.key.subjectId ?? null)
      .fields(fields.bytes);
  }
  const copied = await copyIn(tx, `copy usage.usage_record (${COLUMNS.join(', ')}) from stdin (format binary)`, copy.finish());
  if (copied !== fresh.length) throw new Error(`COPY stored ${copied} of ${fresh.length} usage records`);
  return fresh;
}
