import { Migration } from '@mikro-orm/migrations';

/** Plans and their published view for other subgraphs. */
export class Migration20261121000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists plans;`);
    // Limits are integers; both columns of a pair are null together (= unlimited). The checks
    // repeat the API's validation so no other writer can store a plan the API would refuse.
    this.addSql(`
      create table plans.plan (
        id uuid primary key,
        name text not null,
        display_name text not null,
        description text not null default '',
        product_ids uuid[] not null,
        quota_requests integer null,
        quota_period_seconds integer null,
        rate_requests integer null,
        rate_per_seconds integer null,
        status text not null default 'DRAFT' check (status in ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
        version integer not null default 1 check (version >= 1),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint plan_name_key unique (name),
        constraint plan_name_check check (name ~ '^[A-Za-z0-9 _-]{1,100}$' and name = btrim(name)),
        constraint plan_display_name_check check (char_length(display_name) between 1 and 120),
        constraint plan_description_check check (char_length(description) <= 20000),
        constraint plan_product_ids_check check (cardinality(product_ids) >= 1 and array_position(product_ids, null) is null),
        constraint plan_quota_check check (
          (quota_requests is null and quota_period_seconds is null)
          or (quota_requests >= 1 and quota_period_seconds between 1 and 31536000)),
        constraint plan_rate_check check (
          (rate_requests is null and rate_per_seconds is null)
          or (rate_requests >= 1 and rate_per_seconds >= 1))
      );`);
    this.addSql(`create index plan_created_at_id_idx on plans.plan (created_at, id);`);
    // Product.availablePlans and filter.productId search the array (&&, @>).
    this.addSql(`create index plan_product_ids_idx on plans.plan using gin (product_ids);`);
    // Published view: the only surface other subgraphs read. Keep its columns stable
    // (add columns at the end; never rename or drop them).
    this.addSql(`
      create view plans.plan_contract as
        select id, name, status, product_ids, quota_requests, quota_period_seconds,
               rate_requests, rate_per_seconds, version
        from plans.plan;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists plans.plan_contract;`);
    this.addSql(`drop table if exists plans.plan;`);
  }
}
