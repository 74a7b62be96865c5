import { Migration } from '@mikro-orm/migrations';

/**
 * Plan-change impact preview: `plans.plan_change_request_contract` publishes, for each change
 * request, the limits the plan would have once the change is applied (the proposed value where the
 * request changes it, the plan's current value otherwise), so the usage subgraph can replay past
 * traffic against them. Read through `common/contracts/plan-changes.ts`.
 */
export class Migration20261212000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create view plans.plan_change_request_contract as
        select r.id, r.plan_id, r.status,
               case when jsonb_exists(r.proposed -> 'settings', 'quota')
                    then (r.proposed -> 'settings' -> 'quota' ->> 'requests')::integer else p.quota_requests end as quota_requests,
               case when jsonb_exists(r.proposed -> 'settings', 'quota')
                    then (r.proposed -> 'settings' -> 'quota' ->> 'periodSeconds')::integer else p.quota_period_seconds end as quota_period_seconds,
               case when jsonb_exists(r.proposed -> 'settings', 'rateLimit')
                    then (r.proposed -> 'settings' -> 'rateLimit' ->> 'requests')::integer else p.rate_requests end as rate_requests,
               case when jsonb_exists(r.proposed -> 'settings', 'rateLimit')
                    then (r.proposed -> 'settings' -> 'rateLimit' ->> 'perSeconds')::integer else p.rate_per_seconds end as rate_per_seconds,
               coalesce(r.proposed -> 'settings' ->> 'quotaScope', p.quota_scope) as quota_scope
          from plans.plan_change_request r
          left join plans.plan p on p.id = r.plan_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists plans.plan_change_request_contract;`);
  }
}
