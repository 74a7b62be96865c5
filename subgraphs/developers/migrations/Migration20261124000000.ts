import { Migration } from '@mikro-orm/migrations';

/**
 * Access requests and credentials, and their published views `developers.credential_contract`
 * (read by the provider subgraph to create Tyk keys) and `developers.access_request_contract`.
 *
 * Secrets: a credential keeps `secret_hash` (sha256 hex of the secret) for good. Two encrypted
 * copies exist for a while only:
 * - `pending_secret_encrypted`: the provider's copy, until it has created the Tyk key
 *   (`developers.keyIssued` clears it);
 * - `reveal_secret_encrypted`: the organization's copy after a manual approval, until a member
 *   reveals it once (`revealCredentialSecret` clears it; so does revocation). Never set when the
 *   secret was shown in the mutation's payload (auto-approval, rotation).
 */
export class Migration20261124000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table developers.credential (
        id uuid primary key,
        app_id uuid not null references developers.app (id) on delete cascade,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        plan_id uuid not null,
        product_ids uuid[] not null,
        prefix text not null,
        secret_hash text not null,
        pending_secret_encrypted text,
        pending_secret_version integer,
        reveal_secret_encrypted text,
        secret_revealed boolean not null default false,
        status text not null default 'ACTIVE' check (status in ('ACTIVE', 'REVOKED')),
        expires_at timestamptz,
        revokes_at timestamptz,
        revoked_at timestamptz,
        revoked_by text,
        replaces_credential_id uuid references developers.credential (id) on delete set null,
        metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
        requested_by text not null,
        approved_by text,
        created_by text not null,
        access_request_id uuid,
        expiry_warned_for timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        version integer not null default 1 check (version >= 1),
        constraint credential_secret_hash_key unique (secret_hash),
        constraint credential_product_ids_check check (cardinality(product_ids) >= 1 and array_position(product_ids, null) is null),
        constraint credential_revoked_check check ((status = 'REVOKED') = (revoked_at is not null))
      );`);
    this.addSql(`create index credential_organization_created_idx on developers.credential (organization_id, created_at, id);`);
    this.addSql(`create index credential_app_created_idx on developers.credential (app_id, created_at, id);`);
    this.addSql(
      `create index credential_replaces_idx on developers.credential (replaces_credential_id) where replaces_credential_id is not null;`,
    );

    this.addSql(`
      create table developers.access_request (
        id uuid primary key,
        app_id uuid references developers.app (id) on delete set null,
        organization_id uuid not null references developers.organization (id) on delete cascade,
        plan_id uuid not null,
        product_ids uuid[] not null,
        kind text not null check (kind in ('NEW_ACCESS', 'PLAN_CHANGE')),
        status text not null default 'PENDING' check (status in ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
        requested_by text not null,
        change_credential_id uuid references developers.credential (id) on delete set null,
        credential_id uuid references developers.credential (id) on delete set null,
        decided_by text,
        decided_at timestamptz,
        decision_reason text,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        constraint access_request_product_ids_check check (cardinality(product_ids) >= 1 and array_position(product_ids, null) is null)
      );`);
    // One PENDING request per app and plan (requestAccess checks first; this is the backstop).
    this.addSql(`create unique index access_request_pending_key on developers.access_request (app_id, plan_id) where status = 'PENDING';`);
    // The access-request limit counts an organization's requests for a plan inside a window.
    this.addSql(`create index access_request_limit_idx on developers.access_request (organization_id, plan_id, created_at);`);
    this.addSql(`create index access_request_organization_created_idx on developers.access_request (organization_id, created_at, id);`);
    this.addSql(
      `create index access_request_app_created_idx on developers.access_request (app_id, created_at, id) where app_id is not null;`,
    );
    this.addSql(`create index access_request_created_idx on developers.access_request (created_at, id);`);

    // Published view for the provider subgraph (see the access/provider contract). Columns in
    // this order; add new ones at the end only. `status` is the stored one: a credential whose
    // `expires_at` has passed is expired whatever it says.
    this.addSql(`
      create view developers.credential_contract as
        select c.id, c.app_id, c.organization_id, c.plan_id, c.product_ids, c.status,
               c.expires_at, c.revokes_at, a.name || ' (' || c.prefix || ')' as alias,
               c.metadata, c.pending_secret_encrypted, c.replaces_credential_id, c.created_at, c.version
          from developers.credential c
          join developers.app a on a.id = c.app_id;`);
    // Published view: access requests (usage and reporting). Requests of deleted apps have no app.
    this.addSql(`
      create view developers.access_request_contract as
        select id, app_id, organization_id, plan_id, product_ids, status, created_at
          from developers.access_request;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists developers.access_request_contract;`);
    this.addSql(`drop view if exists developers.credential_contract;`);
    this.addSql(`drop table if exists developers.access_request;`);
    this.addSql(`drop table if exists developers.credential;`);
  }
}
