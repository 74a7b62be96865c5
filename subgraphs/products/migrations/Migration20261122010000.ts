import { Migration } from '@mikro-orm/migrations';

/** The whole product model, catalogs with audiences, and the views plans and developers read. */
export class Migration20261122010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table products.product
        add column display_name text not null default '',
        add column tyk_api_ids text[] not null default '{}',
        add column tags text[] not null default '{}',
        add column custom_fields jsonb not null default '[]',
        add column documentation_format text check (documentation_format in ('MARKDOWN', 'URL')),
        add column documentation text,
        add column version integer not null default 1,
        add constraint product_documentation_check check ((documentation_format is null) = (documentation is null));`);
    this.addSql(`update products.product set display_name = name where display_name = '';`);
    this.addSql(`
      create table products.catalog (
        id uuid primary key,
        name text not null,
        description text not null default '',
        visibility text not null check (visibility in ('PUBLIC', 'PRIVATE')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint catalog_name_key unique (name)
      );`);
    this.addSql(`create index catalog_created_at_id_idx on products.catalog (created_at, id);`);
    this.addSql(`
      create table products.catalog_audience (
        id uuid primary key,
        catalog_id uuid not null references products.catalog (id) on delete cascade,
        organization_id uuid,
        team_id uuid,
        created_at timestamptz not null default now(),
        constraint catalog_audience_one_target check ((organization_id is null) <> (team_id is null)),
        constraint catalog_audience_organization_key unique (catalog_id, organization_id),
        constraint catalog_audience_team_key unique (catalog_id, team_id)
      );`);
    this.addSql(
      `create index catalog_audience_organization_idx on products.catalog_audience (organization_id) where organization_id is not null;`,
    );
    this.addSql(`create index catalog_audience_team_idx on products.catalog_audience (team_id) where team_id is not null;`);
    this.addSql(`
      create table products.catalog_product (
        catalog_id uuid not null references products.catalog (id) on delete cascade,
        product_id uuid not null references products.product (id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (catalog_id, product_id)
      );`);
    this.addSql(`create index catalog_product_product_idx on products.catalog_product (product_id);`);
    // Published views (the only surface other subgraphs read). Add columns at the end only.
    this.addSql(`create or replace view products.product_contract as select id, slug, name, status, tyk_api_ids from products.product;`);
    this.addSql(`create view products.catalog_contract as select id, name, visibility from products.catalog;`);
    this.addSql(
      `create view products.catalog_audience_contract as select catalog_id, organization_id, team_id from products.catalog_audience;`,
    );
    this.addSql(`create view products.catalog_product_contract as select catalog_id, product_id from products.catalog_product;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists products.catalog_product_contract, products.catalog_audience_contract, products.catalog_contract;`);
    this.addSql(`drop view if exists products.product_contract;`);
    this.addSql(`create view products.product_contract as select id, slug, name, status from products.product;`);
    this.addSql(`drop table if exists products.catalog_product, products.catalog_audience, products.catalog;`);
    this.addSql(`
      alter table products.product
        drop column display_name, drop column tyk_api_ids, drop column tags, drop column custom_fields,
        drop constraint product_documentation_check,
        drop column documentation_format, drop column documentation, drop column version;`);
  }
}
