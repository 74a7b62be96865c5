import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys (issue 21 item 3): one row per caller (token subject), operation and key,
 * written in the transaction of the effect, with the sha256 of the normalised input and the id of
 * what the first call created. A retry within the retention window (IDEMPOTENCY_KEY_RETENTION in
 * subgraphs/developers/idempotency.ts) returns that result; a row older than the window is
 * replaced by the next use of its key.
 */
export class Migration20261207000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table developers.idempotency_key (
        subject text not null,
        operation text not null,
        key text not null check (char_length(key) between 1 and 128),
        request_hash text not null,
        result_id uuid not null,
        created_at timestamptz not null,
        primary key (subject, operation, key)
      );`);
    this.addSql(`create index idempotency_key_created_idx on developers.idempotency_key (created_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists developers.idempotency_key;`);
  }
}
