import { Migration } from '@mikro-orm/migrations';

/**
 * JWT scope mappings: one row per (provider, Tyk API) the portal writes scope → policy entries
 * into, with the entries it owns there and how the last sync went.
 */
export class Migration20261201000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table provider.api_scope_link (
        provider_id uuid not null references provider.provider (id) on delete cascade,
        api_id text not null check (char_length(api_id) between 1 and 255),
        mapping jsonb not null default '{}' check (jsonb_typeof(mapping) = 'object'),
        status text not null default 'PENDING' check (status in ('PENDING', 'SYNCED', 'FAILED', 'MISSING')),
        attempts integer not null default 0 check (attempts >= 0),
        last_error text null,
        last_attempt_at timestamptz null,
        synced_at timestamptz null,
        writes integer not null default 0 check (writes >= 0),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (provider_id, api_id)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists provider.api_scope_link;`);
  }
}
