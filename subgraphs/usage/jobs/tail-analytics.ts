/**
 * The tailer: reads Tyk Pump's `sql` pump table (`tyk_analytics`, or `tyk_analytics_YYYYMMDD` per
 * day with `table_sharding`) incrementally and feeds the rows to the ingest.
 *
 * Position: the pump's table has no id column (`AnalyticsRecord.id` is `gorm:"-:all"`), so the
 * tailer keeps the `timestamp` it has read up to in `usage.ingest_cursor` (one row per table),
 * updated in the same transaction as the records it covers. Every run reads rows with
 * `timestamp >= position` (rows exactly at the position again: the ingest's idempotency drops
 * them) and `timestamp <= now − USAGE_TAIL_SETTLE_SECONDS`: the pump writes in batches, so rows
 * younger than that may still be on their way and are left for the next run. A row committed
 * with a timestamp older than the settle delay behind the position is missed: keep the delay
 * above the pump's `purge_delay` plus its batch time.
 *
 * Scheduling: graphile-worker job `usage.tailAnalytics` (job key `usage:tail:<table>`), re-added
 * after each run for `USAGE_TAIL_INTERVAL_SECONDS` later; `tailAnalytics()` runs it on demand.
 */
import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobRuntime } from '../../../common/server';
import { ingestAnalytics, type IngestDeps } from '../services/ingest';
import { TABLE_NAME, usageConfig } from '../../../common/config';
import { query } from '../../../common/sql';

export const TAIL_TASK = 'usage.tailAnalytics';

export interface TailOptions {
  /** Table to read (default `TYK_ANALYTICS_TABLE`). */
  table?: string;
  sharding?: boolean;
  databaseUrl?: string;
  settleSeconds?: number;
  batchSize?: number;
  /** Stop after this many batches (default 50); the next run continues. */
  maxBatches?: number;
}

export interface TailResult {
  table: string;
  rowsRead: number;
  accepted: number;
  duplicates: number;
  unmatched: number;
  rejected: number;
  warnings: number;
  batches: number;
  /** The stored position after the run (ISO-8601 with microseconds), null when nothing was read yet. */
  position: string | null;
}

class CursorMoved extends Error {}

const pools = new Map<string, pg.Pool>();

function poolFor(url: string): pg.Pool {
  let pool = pools.get(url);
  if (!pool) {
    // UTC sessions: `timestamp without time zone` columns are read as UTC.
    pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 10_000, allowExitOnIdle: true, options: '-c timezone=UTC' });
    pool.on('error', () => undefined);
    pools.set(url, pool);
  }
  return pool;
}

/** Closes the tailer's connections to analytics databases (tests, shutdown). */
export async function closeTailPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.end().catch(() => undefined)));
}

const quoteTable = (name: string) =>
  name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');

const TS_TEXT = `to_char("timestamp", 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z'`;

/** Tables to read, oldest first: the table itself, or its `_YYYYMMDD` shards from the position's day on. */
async function tablesToRead(pool: pg.Pool, table: string, sharding: boolean, position: string | null): Promise<string[]> {
  const [schema, name] = table.includes('.') ? table.split('.') : [null, table];
  if (!sharding) {
    const { rows } = await pool.query<{ present: boolean }>(`select to_regclass($1) is not null as present`, [quoteTable(table)]);
    return rows[0].present ? [table] : [];
  }
  const { rows } = await pool.query<{ table_name: string; table_schema: string }>(
    `select table_schema, table_name from information_schema.tables
      where table_name ~ ('^' || $1 || '_[0-9]{8}$') and ($2::text is null and table_schema = any(current_schemas(false)) or table_schema = $2)
      order by table_name`,
    [name, schema],
  );
  const fromDay = position ? position.slice(0, 10).replace(/-/g, '') : '00000000';
  return rows.filter((r) => r.table_name.slice(-8) >= fromDay).map((r) => (schema ? `${schema}.${r.table_name}` : r.table_name));
}

/**
 * Reads what the pump wrote since the stored position and ingests it, batch by batch. Safe to run
 * concurrently with itself (a run whose position was moved by another stops) and with HTTP ingest.
 */
export interface TailDeps extends IngestDeps {
  env: NodeJS.ProcessEnv;
  /** The subgraph's own database: where the analytics table is unless `TYK_ANALYTICS_DATABASE_URL` says otherwise. */
  databaseUrl: string;
}

export async function tailAnalytics(deps: TailDeps, options: TailOptions = {}): Promise<TailResult> {
  const settings = usageConfig(deps.env);
  const table = (options.table ?? settings.analyticsTable).toLowerCase();
  if (!TABLE_NAME.test(table)) throw new Error(`not a table name: ${table}`);
  const url = options.databaseUrl ?? settings.analyticsDatabaseUrl ?? deps.databaseUrl;
  const sharding = options.sharding ?? settings.tableSharding;
  const batchSize = options.batchSize ?? settings.tailBatchSize;
  const settleSeconds = options.settleSeconds ?? settings.tailSettleSeconds;
  const maxBatches = options.maxBatches ?? 50;
  const source = `tyk:${table}`;
  const result: TailResult = {
    table,
    rowsRead: 0,
    accepted: 0,
    duplicates: 0,
    unmatched: 0,
    rejected: 0,
    warnings: 0,
    batches: 0,
    position: null,
  };

  const em = deps.orm.em.fork();
  await query(em, `insert into usage.ingest_cursor (source) values (?) on conflict (source) do nothing`, [source]);
  const [cursor] = await query<{ position: string | null }>(
    em,
    `select to_char(position at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as position from usage.ingest_cursor where source = ?`,
    [source],
  );
  let position = cursor?.position ?? null;
  result.position = position;
  const cutoff = new Date(deps.clock.now().getTime() - settleSeconds * 1000).toISOString();
  const pool = poolFor(url);
  const tables = await tablesToRead(pool, table, sharding, position);

  try {
    for (const current of tables) {
      let strict: boolean = false;
      while (result.batches < maxBatches) {
        const op: string = strict ? '>' : '>=';
        const { rows }: { rows: Record<string, unknown>[] } = await pool.query<Record<string, unknown>>(
          `select *, ${TS_TEXT} as plangraph_ts from ${quoteTable(current)}
            where ($1::timestamptz is null or "timestamp" ${op} $1::timestamptz) and "timestamp" <= $2::timestamptz
            order by "timestamp" limit $3`,
          [position, cutoff, batchSize],
        );
        if (!rows.length) break;
        let batch: Record<string, unknown>[] = rows;
        const first = String(rows[0].plangraph_ts);
        const last = String(rows[rows.length - 1].plangraph_ts);
        if (rows.length === batchSize && first === last) {
          // A full batch at a single instant: read that whole instant at once, then move past it.
          batch = (
            await pool.query<Record<string, unknown>>(
              `select *, ${TS_TEXT} as plangraph_ts from ${quoteTable(current)} where "timestamp" = $1::timestamptz`,
              [first],
            )
          ).rows;
        }
        for (const row of batch) row.timestamp = row.plangraph_ts;
        const previous = position;
        const next = last;
        const outcome = await ingestAnalytics(deps, batch, {
          indexOffset: result.rowsRead,
          afterWrite: async (tx: EntityManager) => {
            const moved = await query(
              tx,
              `update usage.ingest_cursor set position = ?::timestamptz, rows_read = rows_read + ?, updated_at = now()
                where source = ? and position is not distinct from ?::timestamptz returning source`,
              [next, batch.length, source, previous],
            );
            if (!moved.length) throw new CursorMoved('another tail run moved the position');
          },
        });
        result.batches += 1;
        result.rowsRead += batch.length;
        result.accepted += outcome.accepted;
        result.duplicates += outcome.duplicates;
        result.unmatched += outcome.unmatched;
        result.rejected += outcome.rejected.length;
        result.warnings += outcome.warnings;
        if (outcome.rejected.length) {
          deps.log.warn(
            { table: current, rejected: outcome.rejected.length, examples: outcome.rejected.slice(0, 3) },
            'analytics rows rejected by the usage ingest',
          );
        }
        position = next;
        result.position = position;
        // After reading a whole instant, continue strictly after it; otherwise rows at `last` may continue.
        strict = batch !== rows;
        if (rows.length < batchSize) break;
      }
    }
  } catch (error) {
    if (!(error instanceof CursorMoved)) throw error;
    deps.log.info({ table }, 'tail run stopped: another run moved the position');
  }
  return result;
}

/** Adds (or moves) the next periodic tail run. */
export async function scheduleTail(
  runtime: JobRuntime,
  delaySeconds: number,
  mode: 'replace' | 'preserve_run_at' = 'replace',
): Promise<void> {
  const settings = usageConfig(runtime.env);
  // The delay is counted on the queue's (database's) clock, not on `runtime.clock`: it is a pause
  // between runs, and a manual clock must not make the next run due at once or never.
  await query(
    runtime.orm.em.fork(),
    `select graphile_worker.add_job(?, ?::json, run_at := now() + ?::float8 * interval '1 second', max_attempts := 1, job_key := ?, job_key_mode := ?)`,
    [TAIL_TASK, JSON.stringify({ table: settings.analyticsTable }), delaySeconds, `usage:tail:${settings.analyticsTable}`, mode],
  );
}
