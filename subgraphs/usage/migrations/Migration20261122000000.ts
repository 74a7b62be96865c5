import { Migration } from '@mikro-orm/migrations';

/**
 * Quota warnings (fired once per threshold per quota window and scope) and per-organization /
 * per-app alert thresholds. Raw usage, rollups and quota windows arrive with the ingest.
 */
export class Migration20261122000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists usage;`);
    this.addSql(`
      create table usage.quota_warning (
        id uuid primary key,
        organization_id uuid not null,
        app_id uuid null,
        credential_id uuid null,
        plan_id uuid null,
        kind text not null check (kind in ('SOFT', 'HARD', 'PROJECTED')),
        threshold_percent integer not null check (threshold_percent between 1 and 100),
        used integer not null check (used >= 0),
        quota_limit integer not null check (quota_limit >= 0),
        window_start timestamptz(3) not null,
        resets_at timestamptz(3) not null,
        created_at timestamptz(3) not null default now()
      );`);
    // A warning fires once per scope (organization / app / credential), kind, threshold and
    // quota window: raising it again is a no-op (insert ... on conflict do nothing).
    this.addSql(`
      create unique index quota_warning_once_key on usage.quota_warning (
        organization_id,
        coalesce(app_id, '00000000-0000-0000-0000-000000000000'::uuid),
        coalesce(credential_id, '00000000-0000-0000-0000-000000000000'::uuid),
        kind,
        threshold_percent,
        window_start
      );`);
    this.addSql(`create index quota_warning_org_created_idx on usage.quota_warning (organization_id, created_at, id);`);
    this.addSql(`create index quota_warning_app_created_idx on usage.quota_warning (app_id, created_at, id) where app_id is not null;`);
    this.addSql(`
      create table usage.quota_alert_rule (
        id uuid primary key,
        organization_id uuid not null,
        app_id uuid null,
        thresholds integer[] not null
          check (cardinality(thresholds) between 1 and 10 and 1 <= all (thresholds) and 100 >= all (thresholds)),
        updated_by text not null,
        created_at timestamptz(3) not null default now(),
        updated_at timestamptz(3) not null default now()
      );`);
    // One rule set per organization (app_id null = the organization's default) and per app.
    this.addSql(`
      create unique index quota_alert_rule_scope_key on usage.quota_alert_rule (
        organization_id,
        coalesce(app_id, '00000000-0000-0000-0000-000000000000'::uuid)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists usage.quota_alert_rule;`);
    this.addSql(`drop table if exists usage.quota_warning;`);
  }
}
