/**
 * Settings of the usage subgraph's ingest, from the environment (each read here only).
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `TYK_ANALYTICS_DATABASE_URL` | the usage subgraph's database | PostgreSQL database Tyk Pump's `sql` pump writes to |
 * | `TYK_ANALYTICS_TABLE` | `tyk_analytics` | table (optionally `schema.table`) the tailer reads |
 * | `TYK_ANALYTICS_TABLE_SHARDING` | `false` | pump `table_sharding: true`: read `<table>_YYYYMMDD` per day |
 * | `USAGE_TAIL_INTERVAL_SECONDS` | `10` | how often the tailer runs; `0` turns it off |
 * | `USAGE_TAIL_SETTLE_SECONDS` | `30` | rows younger than this are left for the next run (the pump writes in batches, so a younger row may still be missing) |
 * | `USAGE_TAIL_BATCH_SIZE` | `5000` | rows per ingest transaction |
 * | `USAGE_INGEST_MAX_RECORDS` | `50000` | records per `POST /ingest/tyk` request |
 */

export interface UsageSettings {
  analyticsTable: string;
  tableSharding: boolean;
  tailIntervalSeconds: number;
  tailSettleSeconds: number;
  tailBatchSize: number;
  ingestMaxRecords: number;
}

/** `name` or `schema.name`, each a plain lower-case SQL identifier. */
export const TABLE_NAME = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer from ${min} to ${max} (got ${raw})`);
  return value;
}

export function usageSettings(env: NodeJS.ProcessEnv): UsageSettings {
  const table = (env.TYK_ANALYTICS_TABLE || 'tyk_analytics').toLowerCase();
  if (!TABLE_NAME.test(table))
    throw new Error(`TYK_ANALYTICS_TABLE must be a table name like tyk_analytics or schema.tyk_analytics (got ${table})`);
  const sharding = (env.TYK_ANALYTICS_TABLE_SHARDING || 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(sharding)) throw new Error('TYK_ANALYTICS_TABLE_SHARDING must be true or false');
  return {
    analyticsTable: table,
    tableSharding: sharding === 'true' || sharding === '1',
    tailIntervalSeconds: integer(env, 'USAGE_TAIL_INTERVAL_SECONDS', 10, 0, 86_400),
    tailSettleSeconds: integer(env, 'USAGE_TAIL_SETTLE_SECONDS', 30, 0, 3600),
    tailBatchSize: integer(env, 'USAGE_TAIL_BATCH_SIZE', 5000, 1, 100_000),
    ingestMaxRecords: integer(env, 'USAGE_INGEST_MAX_RECORDS', 50_000, 1, 1_000_000),
  };
}
