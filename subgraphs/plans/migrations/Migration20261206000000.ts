import { Migration } from '@mikro-orm/migrations';

/**
 * Premium endpoints: a plan's endpoint rules (per product: allowed paths/methods, GraphQL
 * allowed/restricted types; see settings.ts for the limits), published in `plans.plan_contract`
 * (every earlier column, in the same order, plus `endpoint_rules`) for the provider sync.
 */
export class Migration20261206000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table plans.plan add column endpoint_rules jsonb not null default '[]'
        constraint plan_endpoint_rules_check check (jsonb_typeof(endpoint_rules) = 'array' and jsonb_array_length(endpoint_rules) <= 20);`);
    // Every column the view has (credential_kind: Migration20261205100000), in order, plus endpoint_rules.
    this.addSql(`
      create or replace view plans.plan_contract as
        select id, name, status, catalog_ids, auto_approve,
               access_request_allowance, access_request_renewal_seconds,
               key_expires_after_seconds, quota_scope,
               quota_requests, quota_period_seconds, rate_requests, rate_per_seconds,
               jwt_scopes,
               (select coalesce(jsonb_object_agg(entry ->> 'key', entry ->> 'value'), '{}'::jsonb)
                  from jsonb_array_elements(credential_metadata) as entry) as credential_metadata,
               tier, trial_days, version,
               credential_kind,
               endpoint_rules
        from plans.plan;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists plans.plan_contract;`);
    this.addSql(`
      create view plans.plan_contract as
        select id, name, status, catalog_ids, auto_approve,
               access_request_allowance, access_request_renewal_seconds,
               key_expires_after_seconds, quota_scope,
               quota_requests, quota_period_seconds, rate_requests, rate_per_seconds,
               jwt_scopes,
               (select coalesce(jsonb_object_agg(entry ->> 'key', entry ->> 'value'), '{}'::jsonb)
                  from jsonb_array_elements(credential_metadata) as entry) as credential_metadata,
               tier, trial_days, version,
               credential_kind
        from plans.plan;`);
    this.addSql(`alter table plans.plan drop column if exists endpoint_rules;`);
  }
}
