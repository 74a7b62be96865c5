/**
 * What provider sync needs from its surroundings (a job runtime or a request), its settings,
 * provider lookups, Tyk clients with health bookkeeping, and small SQL helpers.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../../common/clock';
import { providerHttpTimeoutMs, providerSyncIntervalSeconds, providerTykReload } from '../../../common/config';
import { decryptSecret, keyRingFromEnv } from '../../../common/crypto';
import type { Logger } from '../../../common/logger';
import { query, transactionLock } from '../../../common/sql';
import { Provider } from '../entities/provider';
import { auditedClient, type AuditTrail } from '../tyk/audited-client';
import type { PolicyTarget } from '../tyk/bodies';
import { createTykClient, type ReloadMode, type TykClient } from '../tyk/client';
import type { CallOutcome } from '../tyk/http';

export interface SyncDeps {
  /** A fresh EntityManager (own identity map, no transaction): `orm.em.fork()` in jobs, `context.em.fork()` in requests. */
  fork(): EntityManager;
  log: Logger;
  clock: Clock;
  env: NodeJS.ProcessEnv;
}

export interface ProviderSettings {
  /** Timeout of one HTTP call to a provider (`PROVIDER_HTTP_TIMEOUT_MS`, default 10000). */
  timeoutMs: number;
  /** Seconds between dashboard-first imports of each provider (`PROVIDER_SYNC_INTERVAL_SECONDS`, default 600). */
  syncIntervalSeconds: number;
  /** How the Gateway is told to load policies (`PROVIDER_TYK_RELOAD`: node, group or both; default both). */
  reloadMode: ReloadMode;
}

/** The provider settings of an environment (read by `common/config`). */
export function providerSettings(env: NodeJS.ProcessEnv): ProviderSettings {
  return {
    timeoutMs: providerHttpTimeoutMs(env),
    syncIntervalSeconds: providerSyncIntervalSeconds(env),
    reloadMode: providerTykReload(env),
  };
}

/** Serialises work on one thing (a plan's policy, a credential's key) across processes, until commit. */
export async function lock(em: EntityManager, key: string): Promise<void> {
  await transactionLock(em, `plangraph:provider:${key}`);
}

export async function defaultProviderId(em: EntityManager): Promise<string | null> {
  const rows = await query<{ id: string }>(em, 'select id from provider.provider where is_default limit 1');
  return rows[0]?.id ?? null;
}

export function targetOf(provider: Provider): PolicyTarget {
  return { orgId: provider.tykOrgId, tags: provider.policyTags };
}

// ------------------------------------------------------------------ health

interface HealthState {
  /** `performance.now()` of the last write: the throttle measures elapsed time, not a rule's "now". */
  lastWriteAt: number;
  successAt: Date | null;
  error: { at: Date; message: string } | null;
  timer: NodeJS.Timeout | null;
}

const HEALTH_WRITE_INTERVAL_MS = 1000;
const health = new Map<string, HealthState>();

/**
 * Records every call's outcome on the provider row (`last_success_at`, `last_error_at`,
 * `last_error`), at most one write per second per provider: outcomes in between are kept and
 * written by a trailing write, so the row always ends with the latest ones. Writes use their own
 * connection (never the caller's transaction), and a failed write is only logged.
 */
export function healthRecorder(providerId: string, fork: () => EntityManager, clock: Clock, log: Logger): (outcome: CallOutcome) => void {
  const write = async () => {
    const state = health.get(providerId)!;
    state.timer = null;
    state.lastWriteAt = performance.now();
    const { successAt, error } = state;
    state.successAt = null;
    state.error = null;
    if (!successAt && !error) return;
    try {
      await fork()
        .getConnection()
        .execute(
          `update provider.provider
            set last_success_at = coalesce(?::timestamptz, last_success_at),
                last_error_at = coalesce(?::timestamptz, last_error_at),
                last_error = case when ?::boolean then ? else last_error end
          where id = ?`,
          [successAt?.toISOString() ?? null, error?.at.toISOString() ?? null, error !== null, error?.message ?? null, providerId],
        );
    } catch (failure) {
      log.debug({ err: failure, providerId }, 'could not record provider health');
    }
  };
  return (outcome) => {
    let state = health.get(providerId);
    if (!state) {
      state = { lastWriteAt: -Infinity, successAt: null, error: null, timer: null };
      health.set(providerId, state);
    }
    const now = clock.now();
    if (outcome.ok) state.successAt = now;
    else state.error = { at: now, message: outcome.error.message };
    if (state.timer) return;
    const wait = state.lastWriteAt + HEALTH_WRITE_INTERVAL_MS - performance.now();
    if (wait <= 0) void write();
    else state.timer = setTimeout(() => void write(), wait);
    state.timer?.unref?.();
  };
}

/**
 * A Tyk client for a provider (its secret decrypted here, only in memory). Every write it makes is
 * audited: into `trail` when given (append it with `appendProviderAudits` in the transaction that
 * records the outcome), else at once.
 */
export function clientFor(provider: Provider, deps: SyncDeps, trail: AuditTrail | null = null): TykClient {
  const settings = providerSettings(deps.env);
  const client = createTykClient({
    kind: provider.kind,
    baseUrl: provider.baseUrl,
    secret: decryptSecret(keyRingFromEnv(deps.env), provider.secretEncrypted),
    timeoutMs: settings.timeoutMs,
    reloadMode: settings.reloadMode,
    onOutcome: healthRecorder(provider.id, deps.fork, deps.clock, deps.log),
  });
  // The one place every write to a provider goes through: each is recorded in the audit log.
  return auditedClient(client, { providerId: provider.id, fork: deps.fork, log: deps.log, trail });
}

/** An expected sync failure that is not the provider's answer (e.g. a plan and product on different providers). */
export class SyncConflict extends Error {
  override readonly name = 'SyncConflict';
}
