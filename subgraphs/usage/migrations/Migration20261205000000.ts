import { Migration } from '@mikro-orm/migrations';

/**
 * Quota windows from the SET of records (issue "Exact under disorder"): each raw record says which
 * quota counter it counts against, so the ingest can replay a counter's records in time order
 * when one arrives late and recompute its windows whatever the arrival order.
 *
 * - `usage_record.quota_subject_id`: the counter's subject (credential, app or organization, per
 *   the plan's quota scope at ingest) for records that count towards the plan's quota; null for
 *   records that count against no counter (unknown key, plan without quota, 429, 401, access
 *   denials). The counter is (plan_id, quota_subject_id).
 * - An index per counter and time, for the replay (`order by occurred_at`).
 * - Rows stored before this migration get their subject from the plan's current quota scope.
 */
export class Migration20261205000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table usage.usage_record add column if not exists quota_subject_id uuid null;`);
    this.addSql(`
      do $$
      begin
        if to_regclass('plans.plan_contract') is not null then
          update usage.usage_record r
             set quota_subject_id = case p.quota_scope when 'APP' then r.app_id when 'ORGANIZATION' then r.organization_id else r.credential_id end
            from plans.plan_contract p
           where p.id = r.plan_id
             and p.quota_requests is not null and p.quota_period_seconds is not null
             and r.credential_id is not null and r.organization_id is not null
             and r.response_code not in (401, 429);
        end if;
      end $$;`);
    this.addSql(`
      create index if not exists usage_record_quota_counter_idx
        on usage.usage_record (plan_id, quota_subject_id, occurred_at)
        where quota_subject_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists usage.usage_record_quota_counter_idx;`);
    this.addSql(`alter table usage.usage_record drop column if exists quota_subject_id;`);
  }
}
