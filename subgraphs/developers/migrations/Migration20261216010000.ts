import { Migration } from '@mikro-orm/migrations';

/**
 * Staged plan migrations: a migration may move its credentials in stages (percentages of a
 * deterministic cohort, `plan_migration_item.cohort_bucket` 0–9999), judging each stage from the
 * usage subgraph's figures before widening, or rolling back (status ROLLED_BACK, items
 * ROLLED_BACK). Every evaluation and decision is a row of `plan_migration_step`.
 */
export class Migration20261216010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table developers.plan_migration drop constraint plan_migration_status_check;`);
    this.addSql(
      `alter table developers.plan_migration add constraint plan_migration_status_check check (status in ('PREVIEW', 'RUNNING', 'COMPLETED', 'ROLLED_BACK'));`,
    );
    this.addSql(`alter table developers.plan_migration
      add column stages integer[],
      add column stage_index integer,
      add column stage_started_at timestamptz,
      add column stage_duration_seconds integer,
      add column max_error_rate_delta_percent integer,
      add column max_latency_ratio_percent integer,
      add column min_requests integer,
      add column holds integer not null default 0,
      add column rollback_reason text;`);
    this.addSql(`alter table developers.plan_migration_item drop constraint plan_migration_item_status_check;`);
    this.addSql(
      `alter table developers.plan_migration_item add constraint plan_migration_item_status_check check (status in ('PENDING', 'MOVED', 'FAILED', 'ROLLED_BACK'));`,
    );
    this.addSql(`alter table developers.plan_migration_item add column cohort_bucket integer not null default 0;`);
    this.addSql(`create table developers.plan_migration_step (
      id serial primary key,
      migration_id uuid not null references developers.plan_migration (id) on delete cascade,
      at timestamptz not null,
      action text not null,
      stage_percent integer not null,
      reason text,
      cohort_requests bigint,
      cohort_errors_5xx bigint,
      cohort_latency_sum_ms bigint,
      rest_requests bigint,
      rest_errors_5xx bigint,
      rest_latency_sum_ms bigint
    );`);
    this.addSql(`create index plan_migration_step_migration on developers.plan_migration_step (migration_id, id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists developers.plan_migration_step;`);
    this.addSql(`alter table developers.plan_migration_item drop column cohort_bucket;`);
    this.addSql(`alter table developers.plan_migration drop column stages, drop column stage_index, drop column stage_started_at,
      drop column stage_duration_seconds, drop column max_error_rate_delta_percent, drop column max_latency_ratio_percent,
      drop column min_requests, drop column holds, drop column rollback_reason;`);
  }
}
