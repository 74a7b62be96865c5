import { Migration } from '@mikro-orm/migrations';

/**
 * Plans (the whole plan model), their append-only version history, and the published view the
 * developers subgraph reads to decide access requests.
 */
export class Migration20261121000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists plans;`);
    // Limits are integers and durations seconds. A limit's columns are null together (= unlimited).
    // The checks repeat the API's validation so no other writer can store a plan the API refuses.
    this.addSql(`
      create table plans.plan (
        id uuid primary key,
        name text not null,
        display_name text not null,
        description text not null default '',
        quota_requests integer null,
        quota_period text null,
        quota_period_seconds integer null,
        rate_requests integer null,
        rate_per_seconds integer null,
        quota_scope text not null default 'CREDENTIAL',
        key_expires_after_seconds integer null,
        jwt_scopes text[] not null default '{}',
        credential_metadata jsonb not null default '[]',
        catalog_ids uuid[] not null default '{}',
        auto_approve boolean not null default false,
        access_request_allowance integer null,
        access_request_renewal_seconds integer null,
        tier integer not null default 0,
        trial_days integer null,
        status text not null default 'DRAFT',
        version integer not null default 1,
        published_at timestamptz null,
        archived_at timestamptz null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint plan_name_key unique (name),
        constraint plan_name_check check (name ~ '^[A-Za-z0-9 _-]{1,100}$' and name = btrim(name)),
        constraint plan_display_name_check check (char_length(display_name) between 1 and 120),
        constraint plan_description_check check (char_length(description) <= 20000),
        constraint plan_quota_check check (
          (quota_requests is null and quota_period is null and quota_period_seconds is null)
          or (quota_requests between 1 and 1000000000 and (
               (quota_period = 'HOUR' and quota_period_seconds = 3600)
            or (quota_period = 'DAY' and quota_period_seconds = 86400)
            or (quota_period = 'WEEK' and quota_period_seconds = 604800)
            or (quota_period = 'MONTH' and quota_period_seconds = 2592000)
            or (quota_period = 'CUSTOM' and quota_period_seconds between 60 and 31536000)))),
        constraint plan_rate_check check (
          (rate_requests is null and rate_per_seconds is null)
          or (rate_requests between 1 and 1000000 and rate_per_seconds between 1 and 86400)),
        constraint plan_quota_scope_check check (quota_scope in ('CREDENTIAL', 'APP', 'ORGANIZATION')),
        constraint plan_key_expires_check check (key_expires_after_seconds is null or key_expires_after_seconds between 60 and 157680000),
        constraint plan_jwt_scopes_check check (cardinality(jwt_scopes) <= 50 and array_position(jwt_scopes, null) is null),
        constraint plan_credential_metadata_check check (jsonb_typeof(credential_metadata) = 'array' and jsonb_array_length(credential_metadata) <= 20),
        constraint plan_catalog_ids_check check (array_position(catalog_ids, null) is null),
        constraint plan_access_request_limit_check check (
          (access_request_allowance is null and access_request_renewal_seconds is null)
          or (access_request_allowance between 1 and 1000 and access_request_renewal_seconds between 3600 and 31536000)),
        constraint plan_tier_check check (tier between 0 and 1000),
        constraint plan_trial_days_check check (trial_days is null or trial_days between 1 and 365),
        constraint plan_status_check check (status in ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
        constraint plan_published_needs_catalog check (status <> 'PUBLISHED' or cardinality(catalog_ids) >= 1),
        constraint plan_version_check check (version >= 1)
      );`);
    this.addSql(`create index plan_created_at_id_idx on plans.plan (created_at, id);`);
    this.addSql(`create index plan_tier_name_idx on plans.plan (tier, name);`);
    // Catalog.plans, Product.availablePlans and the visibility rule search the array (&&).
    this.addSql(`create index plan_catalog_ids_idx on plans.plan using gin (catalog_ids);`);

    // Every change of a plan, with the full settings after it and the diff against the version
    // before. No foreign key on purpose: the history of a deleted (never published) plan stays.
    this.addSql(`
      create table plans.plan_version (
        id uuid primary key,
        plan_id uuid not null,
        version integer not null,
        action text not null,
        status text not null,
        settings jsonb not null,
        changes jsonb not null default '[]',
        changed_by text not null,
        changed_at timestamptz not null default now(),
        rolled_back_to integer null,
        constraint plan_version_plan_id_version_key unique (plan_id, version),
        constraint plan_version_version_check check (version >= 1),
        constraint plan_version_action_check check (action in ('CREATED', 'UPDATED', 'PUBLISHED', 'ARCHIVED', 'ROLLED_BACK')),
        constraint plan_version_status_check check (status in ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
        constraint plan_version_settings_check check (jsonb_typeof(settings) = 'object'),
        constraint plan_version_changes_check check (jsonb_typeof(changes) = 'array'),
        constraint plan_version_rolled_back_to_check check ((action = 'ROLLED_BACK') = (rolled_back_to is not null))
      );`);
    // Append-only: the history is evidence, so no writer (this API included) may change it.
    this.addSql(`
      create function plans.plan_version_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'plans.plan_version is append-only: % is not allowed', tg_op
          using errcode = 'insufficient_privilege';
      end;
      $$;`);
    this.addSql(`
      create trigger plan_version_append_only before update or delete on plans.plan_version
        for each row execute function plans.plan_version_append_only();`);
    this.addSql(`
      create trigger plan_version_no_truncate before truncate on plans.plan_version
        for each statement execute function plans.plan_version_append_only();`);

    // Published view: the only surface other subgraphs read (the developers subgraph decides
    // access requests with it). Keep its columns stable: add columns at the end, never rename or
    // drop them. quota_period_seconds is filled for every period (HOUR → 3600 …); null = unlimited.
    // credential_metadata is a JSON object { key: value } (keys are unique, case-insensitively).
    this.addSql(`
      create view plans.plan_contract as
        select id, name, status, catalog_ids, auto_approve,
               access_request_allowance, access_request_renewal_seconds,
               key_expires_after_seconds, quota_scope,
               quota_requests, quota_period_seconds, rate_requests, rate_per_seconds,
               jwt_scopes,
               (select coalesce(jsonb_object_agg(entry ->> 'key', entry ->> 'value'), '{}'::jsonb)
                  from jsonb_array_elements(credential_metadata) as entry) as credential_metadata,
               tier, trial_days, version
        from plans.plan;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists plans.plan_contract;`);
    this.addSql(`drop table if exists plans.plan_version;`);
    this.addSql(`drop function if exists plans.plan_version_append_only();`);
    this.addSql(`drop table if exists plans.plan;`);
  }
}
