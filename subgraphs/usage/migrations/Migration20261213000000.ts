import { Migration } from '@mikro-orm/migrations';

/**
 * `Credential.recentRefusals`: the last 429s and 403s of a credential, newest first. Refusals are
 * a small share of the records, so a partial index per credential and time keeps the read to the
 * rows it returns (created on every day partition, present and future).
 */
export class Migration20261213000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create index if not exists usage_record_refusal_idx
        on usage.usage_record (credential_id, occurred_at)
        where response_code in (403, 429) and credential_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists usage.usage_record_refusal_idx;`);
  }
}
