import { Migration } from '@mikro-orm/migrations';

/**
 * Publishes when each credential was last used, for the developers subgraph's access review:
 * `usage.credential_activity_contract (credential_id, last_used_at)`. `last_used_at` is the start
 * of the latest rollup bucket with a request of the credential, whatever its outcome: the minute
 * of the last request (the hour or day once finer buckets are gone). A credential without any
 * recorded request has no row. Read it filtered by `credential_id` (a lateral join): the filter
 * reaches the rollups' primary key, one index probe per credential.
 */
export class Migration20261214000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace view usage.credential_activity_contract as
        select scope_id as credential_id, max(bucket) as last_used_at
          from usage.usage_rollup
         where scope = 'CREDENTIAL' and granularity in ('MINUTE', 'HOUR', 'DAY') and requests > 0
         group by scope_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists usage.credential_activity_contract;`);
  }
}
