import { Migration } from '@mikro-orm/migrations';

/**
 * Provider sync: plan/product ↔ provider ↔ policy links, credential ↔ key links, and the
 * policies imported from providers (dashboard-first).
 */
export class Migration20261124000000 extends Migration {
  override async up(): Promise<void> {
    // One row per plan or product the portal has tried to sync (or imported): which provider
    // enforces it, under which policy id, and how the last attempt went.
    this.addSql(`
      create table provider.policy_link (
        id uuid primary key,
        kind text not null check (kind in ('PLAN', 'PRODUCT')),
        subject_id uuid not null,
        provider_id uuid null references provider.provider (id),
        policy_id text not null check (policy_id ~ '^[A-Za-z0-9._~-]{1,255}$'),
        origin text not null default 'PORTAL' check (origin in ('PORTAL', 'PROVIDER')),
        status text not null default 'PENDING' check (status in ('PENDING', 'SYNCED', 'FAILED', 'MISSING')),
        attempts integer not null default 0 check (attempts >= 0),
        last_error text null,
        last_attempt_at timestamptz null,
        synced_at timestamptz null,
        synced_version integer null,
        synced_provider_id uuid null references provider.provider (id),
        policy_present boolean not null default false,
        writes integer not null default 0 check (writes >= 0),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint policy_link_subject_key unique (kind, subject_id)
      );`);
    this.addSql(`create index policy_link_provider_idx on provider.policy_link (provider_id, policy_id);`);

    // One row per credential the portal has tried to issue a key for.
    this.addSql(`
      create table provider.credential_key (
        credential_id uuid primary key,
        provider_id uuid null references provider.provider (id),
        key_hash text null,
        status text not null default 'PENDING' check (status in ('PENDING', 'ACTIVE', 'REVOKED')),
        sync_status text not null default 'PENDING' check (sync_status in ('PENDING', 'SYNCED', 'FAILED', 'MISSING')),
        plan_id uuid null,
        product_ids uuid[] not null default '{}',
        policy_ids text[] not null default '{}',
        attempts integer not null default 0 check (attempts >= 0),
        last_error text null,
        last_attempt_at timestamptz null,
        synced_at timestamptz null,
        synced_version integer null,
        issued_at timestamptz null,
        revoked_at timestamptz null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint credential_key_active_has_hash check (status <> 'ACTIVE' or key_hash is not null)
      );`);
    this.addSql(
      `create unique index credential_key_hash_key on provider.credential_key (provider_id, key_hash) where key_hash is not null;`,
    );
    // "Does a live key use this policy?" (before a policy is deleted).
    this.addSql(`create index credential_key_live_policies_idx on provider.credential_key using gin (policy_ids) where status = 'ACTIVE';`);

    // Partitioned, tagged policies found in a provider (dashboard-first import).
    this.addSql(`
      create table provider.imported_policy (
        id uuid primary key,
        provider_id uuid not null references provider.provider (id),
        policy_id text not null,
        kind text not null check (kind in ('PLAN', 'PRODUCT')),
        subject_id uuid not null,
        name text not null,
        previous_name text null,
        state text not null check (state in ('NEW', 'LINKED', 'RENAMED', 'MISSING')),
        content_hash text not null,
        first_seen_at timestamptz not null,
        last_seen_at timestamptz not null,
        missing_since timestamptz null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint imported_policy_provider_policy_key unique (provider_id, policy_id),
        constraint imported_policy_subject_key unique (kind, subject_id)
      );`);
    this.addSql(`create index imported_policy_provider_created_idx on provider.imported_policy (provider_id, created_at, id);`);

    // Published views (the only surface other subgraphs read; add columns at the end only).
    // Usage matches analytics records to credentials by key hash (`api_key`) and to plans and
    // products by policy id (tag `pol-<policy id>`).
    this.addSql(`
      create view provider.credential_key_contract as
        select credential_id, provider_id, key_hash, status, plan_id, product_ids, policy_ids, issued_at, revoked_at
          from provider.credential_key;`);
    this.addSql(`
      create view provider.policy_link_contract as
        select kind, subject_id, provider_id, policy_id, status, policy_present
          from provider.policy_link;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists provider.policy_link_contract;`);
    this.addSql(`drop view if exists provider.credential_key_contract;`);
    this.addSql(`drop table if exists provider.imported_policy;`);
    this.addSql(`drop table if exists provider.credential_key;`);
    this.addSql(`drop table if exists provider.policy_link;`);
  }
}
