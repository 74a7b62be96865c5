import { Migration } from '@mikro-orm/migrations';

/**
 * Drift repair made visible: how often the periodic provider sync found a portal-owned policy
 * edited or deleted in Tyk (out of band), when it last did and what differed, so `Plan.sync` /
 * `Product.sync` show the repair instead of only a log line.
 */
export class Migration20261207000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table provider.policy_link
      add column repairs integer not null default 0,
      add column last_repair_at timestamptz,
      add column last_repair_reason text;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table provider.policy_link
      drop column if exists repairs,
      drop column if exists last_repair_at,
      drop column if exists last_repair_reason;`);
  }
}
