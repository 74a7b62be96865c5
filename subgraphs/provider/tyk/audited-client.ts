/**
 * The audit trail of every write the portal makes to a provider. `clientFor` (services/deps.ts) hands
 * out every Tyk client wrapped in this, so each policy create/update/delete, key
 * create/update/delete and gateway reload that HAPPENED (succeeded) produces one
 * `platform.audit_log` entry (`action: 'tyk.<operation>'`, `change: 'CALL'`). Reads (list/get)
 * are not recorded.
 *
 * Failed writes are recorded only when the failure is final, not for every retry (an unreachable
 * provider would otherwise add an entry per job attempt; the attempts live in `sync`:
 * `attempts`, `lastError`). Final means:
 * - the first failure after the subject was in sync (its sync state turns FAILED: the row's
 *   `attempts` since the last success is 1), or
 * - the job's last attempt (graphile-worker `attempts >= max_attempts`: retries are exhausted), or
 * - a call outside any job (nothing retries it).
 * Sync code passes the row's attempt count to `appendProviderAudits` (`streakAttempts`), the job
 * handlers run inside `withJobAttempt` (jobs/index.ts).
 *
 * - Targets: `TykPolicy` (policy id), `TykApi` (API id, for scope-mapping writes), `TykKey` (Tyk's key HASH — never the key id, which is the
 *   credential's secret), `TykGateway` (the provider id, for reloads).
 * - `after`: `{ providerId, body, result }` — the request body as sent (redacted by `appendAudit`
 *   like every entry) and `ok` / `deleted` / `absent` or `{ error, status }`.
 * - `organizationId`: the key's organization when known (the session's `OrganisationID` on create;
 *   the credential's organization, through `credential_key` and developers' published view, later).
 * - Where entries go: sync code passes a buffer (`AuditTrail`) and appends it with
 *   `appendProviderAudits` in the transaction that records the outcome (after its flush, right
 *   before commit), so a job needs no extra connection and the audit log's lock is held only for
 *   an instant, never across a call to Tyk. Without a buffer an entry is written at once on a
 *   connection of its own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import { relationExists } from '../../../common/sql';
import { appendAudit, type AuditEntryInput } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import type { Logger } from '../../../common/logger';
import { ProviderError } from './errors';
import type { TykClient } from './client';
import type { TykApiDefinition, TykPolicy, TykSession } from './types';

type Target = Pick<AuditEntryInput, 'targetType' | 'targetId' | 'organizationId'>;

/** Entries of provider writes waiting to be appended in the caller's transaction. */
export type AuditTrail = AuditEntryInput[];

export interface AuditedClientOptions {
  providerId: string;
  /** A fresh EntityManager outside any transaction (carries the request's audit identity, if any); used only without a trail. */
  fork(): EntityManager;
  log: Logger;
  /** Collect entries here instead of writing them at once. */
  trail?: AuditTrail | null;
}

function failure(error: unknown): Record<string, unknown> {
  if (error instanceof ProviderError) return { error: error.message, status: error.status };
  return { error: error instanceof Error ? error.message : String(error), status: null };
}

const jobAttempt = new AsyncLocalStorage<{ attempts: number; maxAttempts: number }>();

/** Runs a job handler with its attempt number known to the audit trail. */
export function withJobAttempt<T>(job: { attempts: number; max_attempts: number } | null | undefined, run: () => Promise<T>): Promise<T> {
  return job ? jobAttempt.run({ attempts: job.attempts, maxAttempts: job.max_attempts }, run) : run();
}

/** True when a failure now is final (see the header): not retried by a job any more, or the first of a streak. */
export function failureIsFinal(streakAttempts: number): boolean {
  const job = jobAttempt.getStore();
  return !job || streakAttempts <= 1 || job.attempts >= job.maxAttempts;
}

/** True for the entry of a call that failed. */
export function isFailedCall(entry: AuditEntryInput): boolean {
  const result = (entry.after as { result?: unknown } | null)?.result;
  return typeof result === 'object' && result !== null && 'error' in result;
}

/**
 * Appends buffered entries in the caller's transaction (call it after the transaction's last
 * flush). Entries of failed calls are dropped unless the failure is final (`streakAttempts`: the
 * sync row's attempts since its last success, this run included; see the header). Key entries
 * without an organization get the credential's organization, looked up by key hash in one
 * statement.
 */
export async function appendProviderAudits(em: EntityManager, all: AuditTrail, streakAttempts = 1): Promise<void> {
  const entries = failureIsFinal(streakAttempts) ? all : all.filter((entry) => !isFailedCall(entry));
  if (!entries.length) return;
  const hashes = [...new Set(entries.filter((e) => e.targetType === 'TykKey' && !e.organizationId && e.targetId).map((e) => e.targetId!))];
  const organizations = new Map<string, string>();
  if (hashes.length) {
    const connection = em.getConnection();
    if (await relationExists(em, 'developers.credential_contract')) {
      const rows = await connection.execute<{ key_hash: string; organization_id: string | null }[]>(
        `select k.key_hash, c.organization_id::text as organization_id
           from provider.credential_key k join developers.credential_contract c on c.id = k.credential_id
          where k.key_hash in (?)`,
        [hashes],
        'all',
        em.getTransactionContext(),
      );
      for (const row of rows) if (row.organization_id) organizations.set(row.key_hash, row.organization_id);
    }
  }
  for (const entry of entries) {
    const organizationId =
      entry.organizationId ?? (entry.targetType === 'TykKey' && entry.targetId ? (organizations.get(entry.targetId) ?? null) : null);
    await appendAudit(em, 'provider', { ...entry, organizationId });
  }
}

export function auditedClient(inner: TykClient, options: AuditedClientOptions): TykClient {
  const { providerId, fork, log } = options;

  async function record(operation: string, target: Target, body: unknown, result: unknown, failed: boolean): Promise<void> {
    const entry: AuditEntryInput = {
      action: `tyk.${operation}`,
      change: 'CALL',
      ...target,
      before: null,
      after: { providerId, body: body ?? null, result },
    };
    if (options.trail) {
      options.trail.push(entry);
      return;
    }
    try {
      await appendProviderAudits(fork(), [entry]);
    } catch (error) {
      // A failed call is rethrown as it is (the caller records it); a successful write that cannot be audited fails the caller (retried).
      if (failed) log.error({ err: error, providerId, action: entry.action }, 'could not audit a failed provider call');
      else throw error;
    }
  }

  /** Runs one write and records it (also when it fails). */
  async function audited<T>(
    operation: string,
    target: (result: T | null) => Target,
    body: unknown,
    call: () => Promise<T>,
    outcome: (result: T) => unknown = () => 'ok',
  ): Promise<T> {
    let result: T;
    try {
      result = await call();
    } catch (error) {
      await record(operation, target(null), body, failure(error), true);
      throw error;
    }
    await record(operation, target(result), body, outcome(result), false);
    return result;
  }

  const policyTarget = (id: string): Target => ({ targetType: 'TykPolicy', targetId: id, organizationId: null });
  const keyTarget = (keyHash: string | null): Target => ({ targetType: 'TykKey', targetId: keyHash, organizationId: null });

  return {
    kind: inner.kind,
    listPolicies: () => inner.listPolicies(),
    getPolicy: (id) => inner.getPolicy(id),
    getKey: (keyHash) => inner.getKey(keyHash),
    createPolicy: (policy: TykPolicy) =>
      audited(
        'createPolicy',
        () => policyTarget(policy.id),
        policy,
        () => inner.createPolicy(policy),
      ),
    updatePolicy: (policy: TykPolicy) =>
      audited(
        'updatePolicy',
        () => policyTarget(policy.id),
        policy,
        () => inner.updatePolicy(policy),
      ),
    deletePolicy: (id: string) =>
      audited(
        'deletePolicy',
        () => policyTarget(id),
        null,
        () => inner.deletePolicy(id),
        (outcome) => outcome,
      ),
    reload: () =>
      // The Dashboard reloads its gateways itself: nothing is sent, nothing to record.
      inner.kind === 'TYK_GATEWAY'
        ? audited(
            'reload',
            () => ({ targetType: 'TykGateway', targetId: providerId, organizationId: null }),
            null,
            () => inner.reload(),
          )
        : inner.reload(),
    createKey: (customKeyId: string, session: TykSession) => {
      // The key id is the credential's secret: it goes to Tyk in the path and nowhere else.
      const organizationId = session.meta_data?.OrganisationID;
      return audited(
        'createKey',
        (created: { keyHash: string } | null) => ({
          targetType: 'TykKey',
          targetId: created?.keyHash ?? null,
          organizationId: isUuid(organizationId) ? organizationId : null,
        }),
        session,
        () => inner.createKey(customKeyId, session),
      );
    },
    setKeyPolicies: (keyHash: string, policyIds: string[]) =>
      audited(
        'updateKey',
        () => keyTarget(keyHash),
        { apply_policies: policyIds },
        () => inner.setKeyPolicies(keyHash, policyIds),
      ),
    deleteKey: (keyHash: string) =>
      audited(
        'deleteKey',
        () => keyTarget(keyHash),
        null,
        () => inner.deleteKey(keyHash),
        (outcome) => outcome,
      ),
    getApi: (apiId) => inner.getApi(apiId),
    updateApi: (api: TykApiDefinition) =>
      audited(
        'updateApi',
        () => ({ targetType: 'TykApi', targetId: api.apiId, organizationId: null }),
        api.definition,
        () => inner.updateApi(api),
      ),
  };
}
