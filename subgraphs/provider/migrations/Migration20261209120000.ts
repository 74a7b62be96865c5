import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys for `registerProvider`: one row per caller (token subject), operation and key,
 * written in the transaction of the registration, with the sha256 of the normalised input and the
 * id of the provider it registered. Same shape as every subgraph's `idempotency_key`
 * (common/idempotency.ts). No secret is kept here: the admin secret is left out of the input's
 * hash (a retry's secret is compared with the provider's own, sealed in `provider`), and
 * `result_secret_encrypted` stays null.
 */
export class Migration20261209120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table provider.idempotency_key (
        subject text not null,
        operation text not null,
        key text not null check (char_length(key) between 1 and 128),
        request_hash text not null,
        result_id uuid not null,
        result_secret_encrypted text null,
        created_at timestamptz not null,
        primary key (subject, operation, key)
      );`);
    this.addSql(`create index idempotency_key_created_idx on provider.idempotency_key (created_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists provider.idempotency_key;`);
  }
}
