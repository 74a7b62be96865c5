import { Migration } from '@mikro-orm/migrations';

/**
 * What approved access under a plan receives (issue 13, OAuth2 clients): `credential_kind`
 * API_KEY (default; every existing plan) or OAUTH_CLIENT, published in `plans.plan_contract`
 * for the developers and provider subgraphs. The view is recreated with every column it had
 * plus the new one at the end (its columns are never renamed or dropped).
 */
export class Migration20261205100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table plans.plan
        add column credential_kind text not null default 'API_KEY',
        add constraint plan_credential_kind_check check (credential_kind in ('API_KEY', 'OAUTH_CLIENT')),
        add constraint plan_oauth_client_scopes_check check (credential_kind <> 'OAUTH_CLIENT' or cardinality(jwt_scopes) >= 1);`);
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
               credential_kind
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
               tier, trial_days, version
        from plans.plan;`);
    this.addSql(`alter table plans.plan drop column if exists credential_kind;`);
  }
}
