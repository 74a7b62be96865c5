import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { userError, UserErrorException } from './errors';
import { Validation } from './mutation';
import { relationExists, transactionLock } from './sql';

/**
 * Idempotency keys for mutations a client may retry after losing a response (a create, an
 * approval, a rotation): a retry with the same key returns the first call's result instead of a
 * conflict or a second effect, as payment and key-management APIs do.
 *
 * Each subgraph that uses it has its own `<schema>.idempotency_key` table (a subgraph writes only
 * its own schema), created by its own migration with this shape:
 *
 *   subject text, operation text, key text (1–128 chars), request_hash text, result_id uuid,
 *   created_at timestamptz, result_secret_encrypted text null; primary key (subject, operation, key)
 *
 * A key is scoped per caller (token subject) and operation. Its row is written in the transaction
 * of the effect, so it exists exactly when the effect committed: a call that failed or rolled back
 * leaves nothing and its retry runs again.
 */

/** How long a key's first result is kept for retries (24 h, as payment APIs do). */
export const IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The input field every covered mutation takes. */
export const IDEMPOTENCY_KEY_FIELD = 'input.idempotencyKey';

/** Every mutation that takes `idempotencyKey`, for descriptions and docs (keep in step with docs/CLIENTS.md). */
export const IDEMPOTENT_MUTATIONS = [
  'createOrganization',
  'requestOrganization',
  'createTeam',
  'createApp',
  'requestAccess',
  'approveAccessRequest',
  'rejectAccessRequest',
  'rotateCredential',
  'createProduct',
  'createCatalog',
  'createPlan',
  'proposePlanChange',
  'approvePlanChange',
  'rejectPlanChange',
  'inviteMember',
  'approveOrganization',
  'rejectOrganization',
  'registerProvider',
  'grantQuotaBoost',
  'acceptUpgradeOffer',
  'migratePlanSubscribers',
] as const;

/** 1–128 printable ASCII characters without spaces (e.g. a UUID). */
const KEY = /^[\x21-\x7e]{1,128}$/;

/** A subgraph's schema name, put into SQL as an identifier. */
const SCHEMA = /^[a-z_][a-z0-9_]*$/;

/**
 * The description of `idempotencyKey` on every covered input, in one wording: what a retry
 * returns (`replay`) is the only part that differs between mutations.
 */
export function idempotencyKeyDescription(replay: string): string {
  return (
    `Makes a retry safe (1–128 printable ASCII characters without spaces, e.g. a UUID you generate per request). ` +
    `Within 24 hours, the same key from the same caller (token subject) with the same input returns the first result — ${replay} — ` +
    `instead of a conflict or a second effect; with other input it is IDEMPOTENCY_KEY_REUSED. Keys are scoped per caller and mutation. ` +
    `A concurrent retry waits for the first call. A call that failed stored nothing: its retry runs again. ` +
    `Covered mutations: ${IDEMPOTENT_MUTATIONS.map((m) => `\`${m}\``).join(', ')}.`
  );
}

export function checkIdempotencyKey(v: Validation, key: string | null | undefined, field: string = IDEMPOTENCY_KEY_FIELD): void {
  if (key === null || key === undefined) return;
  v.check(KEY.test(key), field, 'An idempotency key is 1–128 printable ASCII characters without spaces (for example a UUID).');
}

/** sha256 of the normalised input: what "the same request" means for a retry. */
export function requestHash(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/**
 * An input as a retry must repeat it, without the key itself: object keys sorted, null and
 * omitted fields alike (GraphQL clients differ in sending `null` or leaving a field out).
 */
export function canonicalInput(input: unknown): unknown {
  if (Array.isArray(input)) return input.map((item) => canonicalInput(item) ?? null);
  if (input instanceof Date) return input.toISOString();
  if (input !== null && typeof input === 'object') {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(input).sort()) {
      const value = (input as Record<string, unknown>)[name];
      if (name === 'idempotencyKey' || value === null || value === undefined) continue;
      out[name] = canonicalInput(value);
    }
    return out;
  }
  return input;
}

/** What the first call of a key left: the id of its result and, for rotations, its sealed secret. */
export interface FirstResult {
  resultId: string;
  resultSecretEncrypted: string | null;
  createdAt: Date;
}

/** One call of a mutation with an idempotency key. */
export class IdempotentCall {
  constructor(
    readonly schema: string,
    readonly subject: string,
    readonly operation: string,
    readonly key: string,
    readonly hash: string,
    readonly field: string = IDEMPOTENCY_KEY_FIELD,
  ) {
    if (!SCHEMA.test(schema)) throw new Error(`not a schema name: ${schema}`);
  }

  /**
   * Looks the key up for this caller and operation inside the mutation's transaction, after
   * taking a transaction lock on it: a concurrent retry waits here until the first call commits
   * (then sees its row) or rolls back (then runs itself). Returns the first result, null when the
   * key is new or its row is older than the retention window; a retry with another input is
   * IDEMPOTENCY_KEY_REUSED.
   */
  async find(em: EntityManager, now: Date): Promise<FirstResult | null> {
    await transactionLock(em, `plangraph:idempotency:${JSON.stringify([this.schema, this.subject, this.operation, this.key])}`);
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    const rows = await connection.execute<
      { request_hash: string; result_id: string; result_secret_encrypted: string | null; created_at: Date | string }[]
    >(
      `select request_hash, result_id, result_secret_encrypted, created_at from ${this.schema}.idempotency_key
        where subject = ? and operation = ? and key = ? and created_at > ?`,
      [this.subject, this.operation, this.key, new Date(now.getTime() - IDEMPOTENCY_KEY_RETENTION_MS).toISOString()],
      'all',
      ctx,
    );
    if (!rows.length) return null;
    if (rows[0].request_hash !== this.hash) throw keyReused(this.field);
    return {
      resultId: rows[0].result_id,
      resultSecretEncrypted: rows[0].result_secret_encrypted,
      createdAt: new Date(rows[0].created_at),
    };
  }

  /** Stores the key with the result of the first call, in the transaction of its effect. */
  async store(em: EntityManager, resultId: string, now: Date, resultSecretEncrypted: string | null = null): Promise<void> {
    await em.getConnection().execute(
      `insert into ${this.schema}.idempotency_key (subject, operation, key, request_hash, result_id, result_secret_encrypted, created_at)
         values (?, ?, ?, ?, ?, ?, ?)
       on conflict (subject, operation, key) do update set request_hash = excluded.request_hash, result_id = excluded.result_id,
         result_secret_encrypted = excluded.result_secret_encrypted, created_at = excluded.created_at`,
      [this.subject, this.operation, this.key, this.hash, resultId, resultSecretEncrypted, now.toISOString()],
      'all',
      em.getTransactionContext(),
    );
  }
}

/**
 * The call to look up, or null without a key. Throws VALIDATION_FAILED for a malformed key (use
 * `checkIdempotencyKey` instead to report it with the input's other validation failures).
 * `input` is what makes two calls "the same request": pass it normalised where the mutation
 * treats several spellings alike (trimmed names, lower-cased ids, sorted sets).
 */
export function idempotentCall(
  schema: string,
  subject: string,
  operation: string,
  key: string | null | undefined,
  input: unknown,
  field: string = IDEMPOTENCY_KEY_FIELD,
): IdempotentCall | null {
  if (key === null || key === undefined) return null;
  const v = new Validation();
  checkIdempotencyKey(v, key, field);
  v.done();
  return new IdempotentCall(schema, subject, operation, key, requestHash(input), field);
}

/**
 * The same key with other input. Thrown by `IdempotentCall.find` when the input's hash differs, and
 * by a replay that compares a part of the input kept out of the hash (a secret) with the result.
 */
export function keyReused(field: string = IDEMPOTENCY_KEY_FIELD): UserErrorException {
  return new UserErrorException([
    userError(
      'IDEMPOTENCY_KEY_REUSED',
      field,
      'This idempotency key was used for a different request in the last 24 hours: use a new key for a new request.',
    ),
  ]);
}

/**
 * For a retry whose first result was deleted since (an app, team or plan removed after it was
 * created): there is nothing to return, and running again would be the second effect the key
 * exists to prevent.
 */
export function firstResultGone(what: string, field: string = IDEMPOTENCY_KEY_FIELD): UserErrorException {
  return new UserErrorException([
    userError('NOT_FOUND', field, `The ${what} this idempotency key created was deleted since: use a new key to create another one.`),
  ]);
}

/**
 * Runs `run` once per key: without a call it just runs; with one, a retry within the window gets
 * `replay(first)` and a first call stores `resultOf(payload)` in the same transaction. `resultOf`
 * returns null for a payload that reports errors but commits (a request marked SUPERSEDED): such a
 * call stores no key, like any failed call, and its retry runs again.
 */
export async function runIdempotent<P>(
  em: EntityManager,
  call: IdempotentCall | null,
  now: Date,
  steps: {
    replay: (first: FirstResult) => Promise<P>;
    run: () => Promise<P>;
    resultOf: (payload: P) => { id: string; secretEncrypted?: string | null } | null;
  },
): Promise<P> {
  if (!call) return steps.run();
  const first = await call.find(em, now);
  if (first) return steps.replay(first);
  const payload = await steps.run();
  const result = steps.resultOf(payload);
  if (result) await call.store(em, result.id, now, result.secretEncrypted ?? null);
  return payload;
}

/** The job every subgraph with an `idempotency_key` table runs every hour (`common/server.ts`). */
export const purgeTaskName = (schema: string): string => `${schema}.purgeIdempotencyKeys`;

/** Purge schedule: minute 17 of every hour. */
export const purgeSchedule = (schema: string): { task: string; match: string } => ({ task: purgeTaskName(schema), match: '17 * * * *' });

/**
 * Deletes the keys of `schema` older than the retention window (their retries would run again
 * anyway: `find` ignores them), with any secret kept for a replay. Returns how many went.
 */
export async function purgeExpiredIdempotencyKeys(em: EntityManager, schema: string, now: Date): Promise<number> {
  if (!SCHEMA.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const rows = await em
    .getConnection()
    .execute<{ n: string | number }[]>(
      `with gone as (delete from ${schema}.idempotency_key where created_at <= ? returning 1) select count(*) as n from gone`,
      [new Date(now.getTime() - IDEMPOTENCY_KEY_RETENTION_MS).toISOString()],
      'all',
      em.getTransactionContext(),
    );
  return Number(rows[0]?.n ?? 0);
}

/** Whether `schema` keeps idempotency keys (has the table). */
export async function hasIdempotencyKeys(em: EntityManager, schema: string): Promise<boolean> {
  if (!SCHEMA.test(schema)) return false;
  return relationExists(em, `${schema}.idempotency_key`);
}
