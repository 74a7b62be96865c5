import { Migration } from '@mikro-orm/migrations';

/** Providers (Tyk Gateway / Dashboard connections, secrets encrypted) and their published view. */
export class Migration20261121000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists provider;`);
    this.addSql(`
      create table provider.provider (
        id uuid primary key,
        name text not null check (char_length(name) between 1 and 80),
        kind text not null check (kind in ('TYK_GATEWAY', 'TYK_DASHBOARD')),
        base_url text not null check (base_url ~ '^https?://' and base_url !~ '[?#]' and base_url !~ '/$'),
        tyk_org_id text not null check (tyk_org_id ~ '^[A-Za-z0-9._-]{1,128}$'),
        policy_tags text[] not null default array['plangraph']::text[]
          check (cardinality(policy_tags) between 1 and 20 and array_position(policy_tags, null) is null),
        secret_encrypted text not null check (secret_encrypted like 'v1:%'),
        secret_key_id text not null,
        is_default boolean not null default false,
        last_success_at timestamptz,
        last_error_at timestamptz,
        last_error text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint provider_name_key unique (name)
      );`);
    // At most one default provider.
    this.addSql(`create unique index provider_single_default_key on provider.provider (is_default) where is_default;`);
    this.addSql(`create index provider_created_at_id_idx on provider.provider (created_at, id);`);
    // Published view: the only surface other subgraphs read. No secrets, no URLs. Keep its columns stable.
    this.addSql(`create view provider.provider_contract as select id, name, kind, is_default from provider.provider;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists provider.provider_contract;`);
    this.addSql(`drop table if exists provider.provider;`);
  }
}
