import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Validation } from '../../common/mutation';
import { refuse } from './grants';

/** How long a key's first result is kept for retries (24 h, as payment APIs do). */
export const IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** 1–128 printable ASCII characters without spaces (e.g. a UUID). */
const KEY = /^[\x21-\x7e]{1,128}$/;

export function checkIdempotencyKey(v: Validation, key: string | null | undefined, field: string): void {
  if (key === null || key === undefined) return;
  v.check(KEY.test(key), field, 'An idempotency key is 1–128 printable ASCII characters without spaces (for example a UUID).');
}

/** sha256 of the normalised input: what "the same request" means for a retry. */
export function requestHash(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/**
 * Looks the key up for this caller and operation inside the mutation's transaction, after taking
 * a transaction lock on it: a concurrent retry waits here until the first call commits (then sees
 * its row) or rolls back (then runs itself). Returns the first result's id, null when the key is
 * new or its row is older than the retention window; a retry with another input is
 * IDEMPOTENCY_KEY_REUSED.
 */
export async function findIdempotentResult(
  em: EntityManager,
  subject: string,
  operation: string,
  key: string,
  hash: string,
  now: Date,
  field: string,
): Promise<string | null> {
  const connection = em.getConnection();
  const ctx = em.getTransactionContext();
  await connection.execute(
    'select pg_advisory_xact_lock(hashtext(?))',
    [`plangraph:idempotency:${JSON.stringify([subject, operation, key])}`],
    'all',
    ctx,
  );
  const rows = await connection.execute<{ request_hash: string; result_id: string }[]>(
    'select request_hash, result_id from developers.idempotency_key where subject = ? and operation = ? and key = ? and created_at > ?',
    [subject, operation, key, new Date(now.getTime() - IDEMPOTENCY_KEY_RETENTION_MS).toISOString()],
    'all',
    ctx,
  );
  if (!rows.length) return null;
  if (rows[0].request_hash !== hash) {
    throw refuse(
      'IDEMPOTENCY_KEY_REUSED',
      field,
      'This idempotency key was used for a different request in the last 24 hours: use a new key for a new request.',
    );
  }
  return rows[0].result_id;
}

/** Stores the key with the result of the first call, in the transaction of its effect. */
export async function storeIdempotentResult(
  em: EntityManager,
  subject: string,
  operation: string,
  key: string,
  hash: string,
  resultId: string,
  now: Date,
): Promise<void> {
  await em.getConnection().execute(
    `insert into developers.idempotency_key (subject, operation, key, request_hash, result_id, created_at) values (?, ?, ?, ?, ?, ?)
     on conflict (subject, operation, key) do update set request_hash = excluded.request_hash, result_id = excluded.result_id, created_at = excluded.created_at`,
    [subject, operation, key, hash, resultId, now.toISOString()],
    'all',
    em.getTransactionContext(),
  );
}
