import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys (issue 21 item 3) for this subgraph's create mutations: one row per caller
 * (token subject), operation and key, written in the transaction of the effect, with the sha256 of
 * the normalised input and the id of what the first call created. A retry within the retention
 * window (IDEMPOTENCY_KEY_RETENTION_MS in common/idempotency.ts) returns that result; a row older
 * than the window is replaced by the next use of its key. Same shape as every subgraph's
 * `idempotency_key` (common/idempotency.ts); `result_secret_encrypted` stays null here.
 */
export class Migration20261208120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table plans.idempotency_key (
        subject text not null,
        operation text not null,
        key text not null check (char_length(key) between 1 and 128),
        request_hash text not null,
        result_id uuid not null,
        result_secret_encrypted text null,
        created_at timestamptz not null,
        primary key (subject, operation, key)
      );`);
    this.addSql(`create index idempotency_key_created_idx on plans.idempotency_key (created_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists plans.idempotency_key;`);
  }
}
