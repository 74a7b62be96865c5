import { Migration } from '@mikro-orm/migrations';

/**
 * Bulk plan migrations: `plan_migration` (one per run or dry run) and `plan_migration_item` (the
 * credentials it covers, fixed at creation, and what happened to each). At most one RUNNING
 * migration per source plan (partial unique index). `plan_migration_contract` publishes which plan
 * a migration moves from and to, for the usage subgraph's impact preview.
 */
export class Migration20261216000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table developers.plan_migration (
      id uuid primary key,
      from_plan_id uuid not null,
      to_plan_id uuid not null,
      status text not null check (status in ('PREVIEW', 'RUNNING', 'COMPLETED')),
      reason text not null,
      started_by text not null,
      created_at timestamptz not null,
      completed_at timestamptz,
      check (from_plan_id <> to_plan_id)
    );`);
    this.addSql(`create unique index plan_migration_one_running on developers.plan_migration (from_plan_id) where status = 'RUNNING';`);
    this.addSql(`create index plan_migration_created on developers.plan_migration (created_at desc, id desc);`);
    this.addSql(`create table developers.plan_migration_item (
      migration_id uuid not null references developers.plan_migration (id) on delete cascade,
      credential_id uuid not null,
      organization_id uuid not null,
      app_id uuid not null,
      status text not null check (status in ('PENDING', 'MOVED', 'FAILED')),
      error_code text,
      error_message text,
      moved_at timestamptz,
      primary key (migration_id, credential_id)
    );`);
    this.addSql(`create index plan_migration_item_status on developers.plan_migration_item (migration_id, status);`);
    this.addSql(
      `create view developers.plan_migration_contract as select id, from_plan_id, to_plan_id, status from developers.plan_migration;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists developers.plan_migration_contract;`);
    this.addSql(`drop table if exists developers.plan_migration_item;`);
    this.addSql(`drop table if exists developers.plan_migration;`);
  }
}
