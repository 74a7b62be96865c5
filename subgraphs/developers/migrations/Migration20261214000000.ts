import { Migration } from '@mikro-orm/migrations';

/**
 * Access review.
 *
 * - A credential's scheduled revocation for want of use (`revokeUnusedCredentials`): when it is
 *   due, when and by whom it was scheduled, and why. Cleared when the credential is kept
 *   (`keepCredential`), used in the meantime, or revoked.
 * - `access_review_report`: the daily report for portal admins (at most one per UTC day): the
 *   ACTIVE credentials unused for `unused_for_days` days, as `entries` (ids and times, the first
 *   1000), with their total count.
 */
export class Migration20261214000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table developers.credential
        add column unused_revocation_due_at timestamptz,
        add column unused_revocation_scheduled_at timestamptz,
        add column unused_revocation_scheduled_by text,
        add column unused_revocation_reason text;`);
    this.addSql(`
      create table developers.access_review_report (
        id uuid primary key,
        report_date date not null unique,
        generated_at timestamptz not null,
        unused_for_days integer not null check (unused_for_days between 1 and 730),
        credential_count integer not null check (credential_count >= 0),
        organization_count integer not null check (organization_count >= 0),
        entries jsonb not null
      );`);
    this.addSql(`create index access_review_report_generated_idx on developers.access_review_report (generated_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists developers.access_review_report;`);
    this.addSql(`
      alter table developers.credential
        drop column unused_revocation_due_at,
        drop column unused_revocation_scheduled_at,
        drop column unused_revocation_scheduled_by,
        drop column unused_revocation_reason;`);
  }
}
