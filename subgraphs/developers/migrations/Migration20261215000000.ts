import { Migration } from '@mikro-orm/migrations';

/**
 * Temporary quota boosts and consent-based upgrade offers.
 *
 * `quota_boost`: extra quota and/or rate on one credential for a period, granted by a portal
 * admin or (within the plan's boost allowance) an ORG_ADMIN; at most one ACTIVE boost per
 * credential. The limits the key gets while it is ACTIVE (`quota_max`, `rate_requests`, …) are
 * fixed at grant (the plan's limits plus the extra) and published in
 * `developers.quota_boost_contract` for the provider, which writes them to Tyk as a policy of the
 * key (removed again when the boost ends).
 *
 * `upgrade_offer`: the next tier offered to an organization for an app whose usage is projected to
 * pass its plan's quota; at most one OPEN offer per (app, plan). Nothing changes until an
 * ORG_ADMIN accepts it (a plan change of the credential through an access request).
 */
export class Migration20261215000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table developers.quota_boost (
        id uuid primary key,
        credential_id uuid not null references developers.credential (id) on delete cascade,
        organization_id uuid not null,
        app_id uuid not null,
        plan_id uuid not null,
        extra_quota_requests integer null check (extra_quota_requests > 0),
        extra_rate_requests integer null check (extra_rate_requests > 0),
        quota_max integer null,
        quota_period_seconds integer null,
        rate_requests integer null,
        rate_per_seconds integer null,
        starts_at timestamptz not null,
        expires_at timestamptz not null,
        status text not null check (status in ('ACTIVE', 'EXPIRED', 'REVOKED')),
        reason text not null,
        granted_by text not null,
        granted_by_portal_admin boolean not null,
        ended_at timestamptz null,
        revoked_by text null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        check (expires_at > starts_at),
        check (extra_quota_requests is not null or extra_rate_requests is not null)
      );`);
    this.addSql(`create unique index quota_boost_one_active_idx on developers.quota_boost (credential_id) where status = 'ACTIVE';`);
    this.addSql(`create index quota_boost_credential_idx on developers.quota_boost (credential_id, created_at desc, id);`);
    this.addSql(`
      create view developers.quota_boost_contract as
        select id, credential_id, organization_id, app_id, plan_id, status,
               quota_max, quota_period_seconds, rate_requests, rate_per_seconds,
               starts_at, expires_at
          from developers.quota_boost;`);
    this.addSql(`
      create table developers.upgrade_offer (
        id uuid primary key,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        app_id uuid not null references developers.app (id) on delete cascade,
        credential_id uuid not null references developers.credential (id) on delete cascade,
        from_plan_id uuid not null,
        to_plan_id uuid not null,
        status text not null check (status in ('OPEN', 'ACCEPTED', 'DECLINED', 'EXPIRED')),
        projected_used integer not null,
        quota_limit integer not null,
        window_resets_at timestamptz not null,
        expires_at timestamptz not null,
        decided_by text null,
        decided_at timestamptz null,
        access_request_id uuid null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create unique index upgrade_offer_one_open_idx on developers.upgrade_offer (app_id, from_plan_id) where status = 'OPEN';`);
    this.addSql(`create index upgrade_offer_organization_idx on developers.upgrade_offer (organization_id, created_at, id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists developers.upgrade_offer;`);
    this.addSql(`drop view if exists developers.quota_boost_contract;`);
    this.addSql(`drop table if exists developers.quota_boost;`);
  }
}
