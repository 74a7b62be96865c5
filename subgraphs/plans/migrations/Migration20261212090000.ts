import { Migration } from '@mikro-orm/migrations';

/**
 * Catalogue-as-code (issue 17): a stable, caller-chosen `key` for plans, the same in every
 * environment, and `managed_by`, naming the tool that owns the plan (a catalogue apply archives
 * only what it manages). Labels, not settings: they are not part of `plan_version`. Rules as in
 * common/catalog-labels.ts.
 */
export class Migration20261212090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table plans.plan
        add column key text null constraint plan_key_check check (key ~ '^[a-z0-9]+([-_.][a-z0-9]+)*$' and char_length(key) <= 64),
        add column managed_by text null constraint plan_managed_by_check check (char_length(managed_by) between 1 and 64);`);
    this.addSql(`alter table plans.plan add constraint plan_key_key unique (key);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table plans.plan drop column if exists managed_by, drop column if exists key;`);
  }
}
