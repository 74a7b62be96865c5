import { Migration } from '@mikro-orm/migrations';

/**
 * `usage.credential_usage_contract`: each credential's traffic per minute (requests, server
 * errors, summed latency) from the rollups, published for the developers subgraph's staged plan
 * migrations, which compare the credentials already moved with the rest.
 */
export class Migration20261216000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create view usage.credential_usage_contract as
      select scope_id as credential_id, bucket as minute, requests, errors_5xx, latency_sum_ms
        from usage.usage_rollup where scope = 'CREDENTIAL' and granularity = 'MINUTE';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists usage.credential_usage_contract;`);
  }
}
