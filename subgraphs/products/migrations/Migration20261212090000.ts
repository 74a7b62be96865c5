import { Migration } from '@mikro-orm/migrations';

/**
 * Catalogue-as-code (issue 17): a stable, caller-chosen `key` for catalogs (products are keyed by
 * their slug), the same in every environment, and `managed_by` on products and catalogs, naming
 * the tool that owns the row (a catalogue apply retires only what it manages). Rules as in
 * common/catalog-labels.ts.
 */
export class Migration20261212090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table products.catalog
        add column key text null constraint catalog_key_check check (key ~ '^[a-z0-9]+([-_.][a-z0-9]+)*$' and char_length(key) <= 64),
        add column managed_by text null constraint catalog_managed_by_check check (char_length(managed_by) between 1 and 64);`);
    this.addSql(`alter table products.catalog add constraint catalog_key_key unique (key);`);
    this.addSql(`
      alter table products.product
        add column managed_by text null constraint product_managed_by_check check (char_length(managed_by) between 1 and 64);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table products.product drop column if exists managed_by;`);
    this.addSql(`alter table products.catalog drop column if exists managed_by, drop column if exists key;`);
  }
}
