import { Migration } from '@mikro-orm/migrations';

/**
 * The expiring-credential countdown: `credential.expiry_warned_lead_seconds` is the lead time
 * (seconds before `expiry_warned_for`) of the last CREDENTIAL_EXPIRING event published, so each
 * stage of the countdown goes out once, in order.
 */
export class Migration20261210010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table developers.credential add column expiry_warned_lead_seconds integer;`);
    // A warning published before the countdown existed stands for its last stage.
    this.addSql(`update developers.credential set expiry_warned_lead_seconds = 0 where expiry_warned_for is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table developers.credential drop column expiry_warned_lead_seconds;`);
  }
}
