import { Migration } from '@mikro-orm/migrations';

/**
 * Separation of duties: who approved a plan version, and proposed plan changes waiting for (or
 * decided by) a second portal admin.
 */
export class Migration20261125000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table plans.plan_version add column approved_by text null;`);
    // No foreign key on purpose: requests stay listed after a never-published plan is deleted.
    this.addSql(`
      create table plans.plan_change_request (
        id uuid primary key,
        plan_id uuid not null,
        proposed_by text not null,
        created_at timestamptz not null default now(),
        base_version integer not null,
        proposed jsonb not null,
        changes jsonb not null,
        reason text not null,
        status text not null default 'PENDING',
        decided_by text null,
        decided_at timestamptz null,
        decision_reason text null,
        applied_version integer null,
        updated_at timestamptz not null default now(),
        constraint plan_change_request_status_check check (status in ('PENDING', 'APPROVED', 'REJECTED', 'SUPERSEDED')),
        constraint plan_change_request_base_version_check check (base_version >= 1),
        constraint plan_change_request_reason_check check (char_length(reason) between 1 and 1000),
        constraint plan_change_request_proposed_check check (jsonb_typeof(proposed) = 'object'),
        constraint plan_change_request_changes_check check (jsonb_typeof(changes) = 'array'),
        constraint plan_change_request_decided_check check ((status = 'PENDING') = (decided_at is null)),
        -- The second pair of eyes: nobody decides their own proposal.
        constraint plan_change_request_four_eyes check (decided_by is null or decided_by <> proposed_by),
        constraint plan_change_request_applied_check check ((status = 'APPROVED') = (applied_version is not null))
      );`);
    this.addSql(`create index plan_change_request_created_at_id_idx on plans.plan_change_request (created_at, id);`);
    this.addSql(`create index plan_change_request_plan_idx on plans.plan_change_request (plan_id, created_at, id);`);
    this.addSql(`create index plan_change_request_pending_idx on plans.plan_change_request (plan_id) where status = 'PENDING';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists plans.plan_change_request;`);
    this.addSql(`alter table plans.plan_version drop column if exists approved_by;`);
  }
}
