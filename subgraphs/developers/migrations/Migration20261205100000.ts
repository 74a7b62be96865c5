import { Migration } from '@mikro-orm/migrations';

/**
 * OAuth2 client credentials (issue 13): a credential is an API key (`kind` API_KEY, every existing
 * one) or an OAuth2 client registered at the provider's identity provider (OAUTH_CLIENT). For a
 * client, `client_id` is set once the provider has registered it; its secret arrives encrypted
 * (`reveal_secret_encrypted`) for the one-time reveal, and `secret_hash` is the sha256 of the
 * client secret from then on (`oauth-pending:<id>` until then, which no secret hashes to).
 * `developers.credential_contract` is recreated with every column it had plus `kind` at the end.
 */
export class Migration20261205100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table developers.credential
        add column kind text not null default 'API_KEY',
        add column client_id text null,
        add constraint credential_kind_check check (kind in ('API_KEY', 'OAUTH_CLIENT')),
        add constraint credential_client_id_check check (client_id is null or (kind = 'OAUTH_CLIENT' and char_length(client_id) between 1 and 255));`);
    this.addSql(`
      create or replace view developers.credential_contract as
        select c.id, c.app_id, c.organization_id, c.plan_id, c.product_ids, c.status,
               c.expires_at, c.revokes_at, a.name || ' (' || c.prefix || ')' as alias,
               c.metadata, c.pending_secret_encrypted, c.replaces_credential_id, c.created_at, c.version,
               c.kind
          from developers.credential c
          join developers.app a on a.id = c.app_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists developers.credential_contract;`);
    this.addSql(`
      create view developers.credential_contract as
        select c.id, c.app_id, c.organization_id, c.plan_id, c.product_ids, c.status,
               c.expires_at, c.revokes_at, a.name || ' (' || c.prefix || ')' as alias,
               c.metadata, c.pending_secret_encrypted, c.replaces_credential_id, c.created_at, c.version
          from developers.credential c
          join developers.app a on a.id = c.app_id;`);
    this.addSql(`alter table developers.credential drop column if exists client_id, drop column if exists kind;`);
  }
}
