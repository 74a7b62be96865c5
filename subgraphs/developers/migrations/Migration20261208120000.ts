import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotent rotations (issue 21 item 3): a retried `rotateCredential` returns the first call's
 * new secret to the same caller, so its idempotency row keeps that secret AES-256-GCM-sealed
 * (common/crypto.ts) for a short window (ROTATION_REPLAY_SECRET_MS in ../settings.ts), after which
 * the `developers.forgetReplaySecret` job erases it. The table's shape is the one every subgraph's
 * `idempotency_key` has (common/idempotency.ts).
 */
export class Migration20261208120000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table developers.idempotency_key add column result_secret_encrypted text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table developers.idempotency_key drop column if exists result_secret_encrypted;`);
  }
}
