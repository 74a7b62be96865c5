import { Migration } from '@mikro-orm/migrations';

/** Products and their published view for other subgraphs. */
export class Migration20261121000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists products;`);
    this.addSql(`
      create table products.product (
        id uuid primary key,
        slug text not null,
        name text not null,
        description text not null default '',
        status text not null default 'DRAFT' check (status in ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint product_slug_key unique (slug)
      );`);
    this.addSql(`create index product_created_at_id_idx on products.product (created_at, id);`);
    // Published view: the only surface other subgraphs read. Keep its columns stable.
    this.addSql(`create view products.product_contract as select id, slug, name, status from products.product;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists products.product_contract;`);
    this.addSql(`drop table if exists products.product;`);
  }
}
