import { Migration } from '@mikro-orm/migrations';

/**
 * Usage metering: raw analytics records (partitioned by day), rollups per scope and time bucket,
 * quota windows per counter, and the tailer's read positions.
 *
 * - `usage_record`: one row per Tyk analytics record, identified by a hash of its natural fields
 *   (`record_id`): the same record ingested twice is stored once (`on conflict do nothing`).
 *   Partitioned by `occurred_at`, one partition per UTC day (`usage_record_pYYYYMMDD`), created
 *   by the ingest on demand; old days are dropped with `drop table`.
 * - `usage_rollup`: counters per scope (CREDENTIAL, APP, ORGANIZATION, PRODUCT, PLAN, and
 *   UNMATCHED for unknown keys, scope id = nil uuid), granularity (MINUTE, HOUR, DAY) and bucket
 *   start. Outcomes are disjoint: requests = OK + errors_4xx + errors_5xx + rate_limited +
 *   quota_exceeded. Latency is a fixed log-spaced histogram (`histogram.ts`) so p50/p95 can be
 *   estimated for any range by adding histograms.
 * - `quota_window`: Tyk-style quota windows per counter (scope + subject + plan): a window starts
 *   at the first counted request after the previous one expired and lasts the plan's period.
 * - `ingest_cursor`: how far the tailer has read an analytics table.
 */
export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table usage.usage_record (
        occurred_at timestamptz not null,
        record_id uuid not null,
        key_hash text not null,
        credential_id uuid null,
        app_id uuid null,
        organization_id uuid null,
        plan_id uuid null,
        product_ids uuid[] not null default '{}',
        api_id text not null default '',
        method text not null,
        path text not null,
        response_code smallint not null check (response_code between 100 and 599),
        latency_ms integer not null check (latency_ms >= 0),
        ip_address text not null default '',
        ingested_at timestamptz not null default now(),
        primary key (occurred_at, record_id)
      ) partition by range (occurred_at);`);
    // Records with unknown keys (`unmatchedUsage`): few, so a partial index is cheap.
    this.addSql(`create index usage_record_unmatched_idx on usage.usage_record (occurred_at) where credential_id is null;`);

    this.addSql(`
      create table usage.usage_rollup (
        scope text not null check (scope in ('CREDENTIAL', 'APP', 'ORGANIZATION', 'PRODUCT', 'PLAN', 'UNMATCHED')),
        scope_id uuid not null,
        granularity text not null check (granularity in ('MINUTE', 'HOUR', 'DAY')),
        bucket timestamptz not null,
        requests bigint not null check (requests >= 0),
        errors_4xx bigint not null,
        errors_5xx bigint not null,
        rate_limited bigint not null,
        quota_exceeded bigint not null,
        latency_sum_ms bigint not null,
        latency_histogram integer[] not null,
        primary key (scope, scope_id, granularity, bucket)
      );`);

    this.addSql(`
      create table usage.quota_window (
        scope text not null check (scope in ('CREDENTIAL', 'APP', 'ORGANIZATION')),
        subject_id uuid not null,
        plan_id uuid not null,
        window_start timestamptz not null,
        resets_at timestamptz not null,
        used integer not null check (used >= 0),
        quota_limit integer not null check (quota_limit >= 1),
        organization_id uuid not null,
        app_id uuid null,
        credential_id uuid null,
        last_request_at timestamptz not null,
        updated_at timestamptz not null default now(),
        primary key (scope, subject_id, plan_id, window_start),
        constraint quota_window_period_check check (resets_at > window_start)
      );`);

    this.addSql(`
      create table usage.ingest_cursor (
        source text primary key,
        position timestamptz null,
        rows_read bigint not null default 0,
        updated_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists usage.ingest_cursor;`);
    this.addSql(`drop table if exists usage.quota_window;`);
    this.addSql(`drop table if exists usage.usage_rollup;`);
    this.addSql(`drop table if exists usage.usage_record;`);
  }
}
