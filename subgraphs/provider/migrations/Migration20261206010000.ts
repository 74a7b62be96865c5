import { Migration } from '@mikro-orm/migrations';

/**
 * Premium endpoints: the restriction policies (`pg-rules-<plan>-<product>`) the plan sync wrote
 * to the plan's provider, so it can delete the ones a rule no longer needs.
 */
export class Migration20261206010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table provider.policy_link add column rule_policy_ids text[] not null default '{}';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table provider.policy_link drop column if exists rule_policy_ids;`);
  }
}
