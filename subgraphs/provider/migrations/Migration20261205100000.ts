import { Migration } from '@mikro-orm/migrations';

/**
 * OAuth2 clients through Dynamic Client Registration (issue 13):
 * - `identity_provider`: the OpenID Connect issuer a provider names (one per provider), with the
 *   initial access token its registration endpoint needs, AES-256-GCM encrypted like the
 *   provider secret (never returned, never logged);
 * - `oauth_client`: the client registered for a credential (RFC 7591), with its RFC 7592
 *   management URI and registration access token (encrypted), the scope it was given, and the
 *   outcome of the latest attempt.
 */
export class Migration20261205100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table provider.identity_provider (
        provider_id uuid primary key references provider.provider (id) on delete cascade,
        issuer text not null check (char_length(issuer) between 1 and 2048),
        initial_access_token_encrypted text null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table provider.oauth_client (
        credential_id uuid primary key,
        provider_id uuid null references provider.provider (id) on delete set null,
        issuer text null,
        client_id text null,
        registration_client_uri text null,
        registration_access_token_encrypted text null,
        scope text null,
        status text not null default 'PENDING' check (status in ('PENDING', 'ACTIVE', 'DELETED', 'FAILED')),
        attempts integer not null default 0,
        last_error text null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists provider.oauth_client;`);
    this.addSql(`drop table if exists provider.identity_provider;`);
  }
}
