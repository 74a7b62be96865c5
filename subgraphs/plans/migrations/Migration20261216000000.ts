import { Migration } from '@mikro-orm/migrations';

/**
 * Staged rollouts of plan changes: a change request approved with a rollout is ROLLING_OUT (then
 * APPROVED, or ROLLED_BACK); `plan_rollout` holds the rollout, `plan_rollout_member` its cohort
 * (credentials, added stage by stage), `plan_rollout_step` every step with its figures. Published
 * for the provider subgraph, which puts the cohort's keys on a candidate policy:
 * `plans.plan_rollout_contract` (each rollout with its current percentage and the candidate limits,
 * from `plans.plan_change_request_contract`) and `plans.plan_rollout_member_contract`.
 */
export class Migration20261216000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table plans.plan_change_request drop constraint plan_change_request_status_check;`);
    this.addSql(`
      alter table plans.plan_change_request add constraint plan_change_request_status_check
        check (status in ('PENDING', 'APPROVED', 'REJECTED', 'SUPERSEDED', 'ROLLING_OUT', 'ROLLED_BACK'));`);
    this.addSql(`
      create table plans.plan_rollout (
        id uuid primary key,
        change_request_id uuid not null references plans.plan_change_request (id),
        plan_id uuid not null,
        status text not null,
        stages integer[] not null,
        stage_index integer not null default 0,
        stage_started_at timestamptz not null,
        stage_duration_seconds integer not null,
        max_error_rate_delta_percent integer not null,
        max_latency_ratio_percent integer not null,
        min_requests integer not null,
        holds integer not null default 0,
        started_by text not null,
        created_at timestamptz not null,
        completed_at timestamptz null,
        rollback_reason text null,
        constraint plan_rollout_status_check check (status in ('RUNNING', 'COMPLETED', 'ROLLED_BACK')),
        constraint plan_rollout_stages_check check (cardinality(stages) between 1 and 10 and stages[cardinality(stages)] = 100),
        constraint plan_rollout_stage_index_check check (stage_index >= 0 and stage_index < cardinality(stages)),
        constraint plan_rollout_completed_check check ((status = 'RUNNING') = (completed_at is null))
      );`);
    this.addSql(`create unique index plan_rollout_change_request_key on plans.plan_rollout (change_request_id);`);
    // One running rollout per plan: two candidate limits for one plan's keys would be ambiguous.
    this.addSql(`create unique index plan_rollout_running_key on plans.plan_rollout (plan_id) where status = 'RUNNING';`);
    this.addSql(`create index plan_rollout_plan_idx on plans.plan_rollout (plan_id, created_at);`);
    this.addSql(`
      create table plans.plan_rollout_member (
        rollout_id uuid not null references plans.plan_rollout (id) on delete cascade,
        credential_id uuid not null,
        stage_percent integer not null,
        added_at timestamptz not null,
        primary key (rollout_id, credential_id)
      );`);
    this.addSql(`
      create table plans.plan_rollout_step (
        id serial primary key,
        rollout_id uuid not null references plans.plan_rollout (id) on delete cascade,
        at timestamptz not null,
        action text not null,
        stage_percent integer not null,
        reason text null,
        cohort_requests bigint null,
        cohort_errors_5xx bigint null,
        cohort_latency_sum_ms bigint null,
        rest_requests bigint null,
        rest_errors_5xx bigint null,
        rest_latency_sum_ms bigint null,
        constraint plan_rollout_step_action_check check (action in ('STAGE_STARTED', 'HELD', 'WIDENED', 'ROLLED_BACK', 'COMPLETED'))
      );`);
    this.addSql(`create index plan_rollout_step_rollout_idx on plans.plan_rollout_step (rollout_id, id);`);
    this.addSql(`
      create view plans.plan_rollout_contract as
        select r.id as rollout_id, r.plan_id, r.change_request_id, r.status,
               r.stages[r.stage_index + 1] as current_percent,
               c.quota_requests, c.quota_period_seconds, c.rate_requests, c.rate_per_seconds, c.quota_scope,
               r.created_at, r.completed_at
          from plans.plan_rollout r
          join plans.plan_change_request_contract c on c.id = r.change_request_id;`);
    this.addSql(`
      create view plans.plan_rollout_member_contract as
        select rollout_id, credential_id, stage_percent, added_at from plans.plan_rollout_member;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists plans.plan_rollout_member_contract;`);
    this.addSql(`drop view if exists plans.plan_rollout_contract;`);
    this.addSql(`drop table if exists plans.plan_rollout_step;`);
    this.addSql(`drop table if exists plans.plan_rollout_member;`);
    this.addSql(`drop table if exists plans.plan_rollout;`);
    this.addSql(`alter table plans.plan_change_request drop constraint plan_change_request_status_check;`);
    this.addSql(`
      alter table plans.plan_change_request add constraint plan_change_request_status_check
        check (status in ('PENDING', 'APPROVED', 'REJECTED', 'SUPERSEDED'));`);
  }
}
