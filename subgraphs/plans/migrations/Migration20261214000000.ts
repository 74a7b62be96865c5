import { Migration } from '@mikro-orm/migrations';

/**
 * Temporary quota boosts: a plan's boost allowance (what an ORG_ADMIN may grant itself: extra
 * quota and rate in percent, longest boost, boosts per window; null = portal admins only),
 * published in `plans.plan_contract` (every earlier column, in the same order, plus
 * `boost_allowance`) for the developers subgraph, which owns boosts.
 */
export class Migration20261214000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table plans.plan add column boost_allowance jsonb null
        constraint plan_boost_allowance_check check (boost_allowance is null or jsonb_typeof(boost_allowance) = 'object');`);
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
               endpoint_rules,
               boost_allowance
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
               credential_kind,
               endpoint_rules
        from plans.plan;`);
    this.addSql(`alter table plans.plan drop column if exists boost_allowance;`);
  }
}
