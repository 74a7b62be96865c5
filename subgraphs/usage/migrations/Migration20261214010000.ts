import { Migration } from '@mikro-orm/migrations';

/**
 * Adaptive rate limits: a plan's rate limit tightens to a floor while its traffic's upstream health
 * is bad (5xx rate, p95 latency over a window) and is restored once healthy, with hysteresis.
 *
 * - `adaptive_rate_limit`: per plan, the setting (`setAdaptiveRateLimit`) and the current state
 *   (NORMAL or TIGHTENED since `since`, the effective rate while tightened) with the figures of
 *   the last evaluation.
 * - `adaptive_limit_change`: every change of state with the figures that caused it.
 * - `adaptive_limit_contract` (published, read by the provider when it writes the plan's policy):
 *   the rate a TIGHTENED plan has now. Only tightened plans have a row.
 */
export class Migration20261214010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table usage.adaptive_rate_limit (
        plan_id uuid primary key,
        floor_requests integer not null check (floor_requests >= 1),
        error_rate_above_percent numeric(5, 2) not null check (error_rate_above_percent > 0 and error_rate_above_percent <= 100),
        restore_below_percent numeric(5, 2) not null check (restore_below_percent >= 0),
        latency_p95_above_ms integer null check (latency_p95_above_ms >= 1),
        latency_restore_below_ms integer null check (latency_restore_below_ms >= 1),
        window_seconds integer not null check (window_seconds between 60 and 86400),
        min_requests integer not null check (min_requests >= 1),
        updated_by text not null,
        updated_at timestamptz not null,
        state text not null default 'NORMAL' check (state in ('NORMAL', 'TIGHTENED')),
        since timestamptz not null,
        effective_rate_requests integer null,
        effective_per_seconds integer null,
        last_evaluated_at timestamptz null,
        last_requests integer null,
        last_errors_5xx integer null,
        last_error_rate_percent numeric(6, 2) null,
        last_latency_p95_ms numeric(10, 1) null,
        last_decision text null,
        check (restore_below_percent < error_rate_above_percent),
        check (latency_restore_below_ms is null or (latency_p95_above_ms is not null and latency_restore_below_ms <= latency_p95_above_ms))
      );`);
    this.addSql(`
      create table usage.adaptive_limit_change (
        id bigserial primary key,
        plan_id uuid not null,
        occurred_at timestamptz not null,
        state text not null check (state in ('NORMAL', 'TIGHTENED')),
        reason text not null,
        requests integer null,
        errors_5xx integer null,
        error_rate_percent numeric(6, 2) null,
        latency_p95_ms numeric(10, 1) null,
        effective_rate_requests integer null,
        effective_per_seconds integer null
      );`);
    this.addSql(`create index adaptive_limit_change_plan_idx on usage.adaptive_limit_change (plan_id, id desc);`);
    this.addSql(`
      create view usage.adaptive_limit_contract as
        select plan_id, state, effective_rate_requests, effective_per_seconds, since
          from usage.adaptive_rate_limit
         where state = 'TIGHTENED';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists usage.adaptive_limit_contract;`);
    this.addSql(`drop table if exists usage.adaptive_limit_change;`);
    this.addSql(`drop table if exists usage.adaptive_rate_limit;`);
  }
}
