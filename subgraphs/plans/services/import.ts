/**
 * The import of a provider policy (job `plans.importPolicy`, sent by the provider's dashboard-first
 * import; handled by `../jobs/import-policy.ts`): a consumption-limit policy found in Tyk becomes a
 * bare DRAFT plan with the id the provider chose, and later renames or limit changes in Tyk update
 * that plan (a new version by `system:import`).
 *
 * - Upsert by `planId`, in one transaction holding the plan's row lock: running the job twice
 *   changes nothing the second time (no diff → no version).
 * - Values are brought within the plan rules: counts and seconds rounded; a quota period of
 *   exactly an hour, day, week or 30 days maps to HOUR/DAY/WEEK/MONTH, other lengths within
 *   60 s – 1 year to CUSTOM; anything out of range (or a quota that never renews) becomes
 *   unlimited, and a log line says so. Metadata entries the plan rules refuse are dropped (logged).
 * - The plan name must be unique and match the name rules: characters outside them become `-`,
 *   and a name another plan holds gets a suffix (` 2`, ` 3`, …). The display name is the
 *   policy's name; on a rename it follows only if nobody edited it in the portal.
 * - No provider sync is enqueued: the change came from the provider.
 * - A plan deleted in the portal (its history remains) is not re-created; an ARCHIVED plan is
 *   not changed (archived settings are frozen). Both are logged.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlanImportPayload } from '../../../common/job-payloads';
import type { Logger } from '../../../common/logger';
import { Validation } from '../../../common/mutation';
import { transactionLock } from '../../../common/sql';
import { PERIOD_SECONDS, PlanChangeAction, PlanStatus, QuotaPeriod } from '../entities/enums';
import { Plan } from '../entities/plan';
import { PlanVersion } from '../entities/plan-version';
import { recordChange, snapshot } from './change-rules';
import {
  MAX_CUSTOM_PERIOD,
  MAX_DISPLAY_NAME,
  MAX_KEY_EXPIRY,
  MAX_QUOTA_REQUESTS,
  MAX_RATE_REQUESTS,
  MAX_RATE_WINDOW,
  MIN_CUSTOM_PERIOD,
  MIN_KEY_EXPIRY,
  PLAN_NAME_PATTERN,
} from './limits';
import {
  applySettings,
  defaultSettings,
  diffSettings,
  normalizeSettings,
  type PlanSettingsData,
  type QuotaSetting,
  type RateLimitSetting,
} from './settings';
import { validateSettings } from './validation';

/** Who import changes are recorded as (plan versions and audit entries). */
export const IMPORT_ACTOR = 'system:import';

// ---------------------------------------------------------------------------------------------
// Clamping to the plan rules.

export interface ClampedLimits {
  quota: QuotaSetting | null;
  rateLimit: RateLimitSetting | null;
  keyExpiresAfterSeconds: number | null;
  credentialMetadata: { key: string; value: string }[];
  /** One line per value that was changed to fit (for the log). */
  notes: string[];
}

const NAMED_PERIODS = Object.entries(PERIOD_SECONDS) as [QuotaPeriod, number][];

export function clampLimits(
  payload: Pick<PlanImportPayload, 'quota' | 'rateLimit' | 'keyExpiresAfterSeconds' | 'credentialMetadata'>,
): ClampedLimits {
  const notes: string[] = [];
  let quota: QuotaSetting | null = null;
  if (payload.quota) {
    const requests = Math.round(payload.quota.requests);
    const seconds = payload.quota.periodSeconds === null ? null : Math.round(payload.quota.periodSeconds);
    if (requests < 1 || requests > MAX_QUOTA_REQUESTS)
      notes.push(`quota of ${payload.quota.requests} requests is outside 1–${MAX_QUOTA_REQUESTS}: unlimited`);
    else if (seconds === null || seconds <= 0) notes.push('quota never renews (no renewal period), which plans cannot express: unlimited');
    else {
      const named = NAMED_PERIODS.find(([, length]) => length === seconds);
      if (named) quota = { requests, period: named[0], periodSeconds: seconds };
      else if (seconds >= MIN_CUSTOM_PERIOD && seconds <= MAX_CUSTOM_PERIOD)
        quota = { requests, period: QuotaPeriod.CUSTOM, periodSeconds: seconds };
      else notes.push(`quota period of ${payload.quota.periodSeconds} s is outside ${MIN_CUSTOM_PERIOD}–${MAX_CUSTOM_PERIOD} s: unlimited`);
    }
  }
  let rateLimit: RateLimitSetting | null = null;
  if (payload.rateLimit) {
    const requests = Math.round(payload.rateLimit.requests);
    const perSeconds = Math.round(payload.rateLimit.perSeconds);
    if (requests < 1 || requests > MAX_RATE_REQUESTS || perSeconds < 1 || perSeconds > MAX_RATE_WINDOW) {
      notes.push(
        `rate limit of ${payload.rateLimit.requests} per ${payload.rateLimit.perSeconds} s is outside 1–${MAX_RATE_REQUESTS} per 1–${MAX_RATE_WINDOW} s: unlimited`,
      );
    } else rateLimit = { requests, perSeconds };
  }
  let keyExpiresAfterSeconds: number | null = null;
  if (payload.keyExpiresAfterSeconds !== null) {
    const seconds = Math.round(payload.keyExpiresAfterSeconds);
    if (seconds < MIN_KEY_EXPIRY || seconds > MAX_KEY_EXPIRY)
      notes.push(`key lifetime of ${payload.keyExpiresAfterSeconds} s is outside ${MIN_KEY_EXPIRY}–${MAX_KEY_EXPIRY} s: keys never expire`);
    else keyExpiresAfterSeconds = seconds;
  }
  // Metadata: each entry on its own against the plan rules (reserved and secret-looking keys, lengths, duplicates).
  const credentialMetadata: { key: string; value: string }[] = [];
  for (const entry of payload.credentialMetadata) {
    const v = new Validation();
    validateSettings(v, { credentialMetadata: [...credentialMetadata, entry] });
    if (v.errors.length) notes.push(`metadata key ${JSON.stringify(entry.key.slice(0, 64))} is refused by the plan rules: dropped`);
    else credentialMetadata.push(entry);
  }
  return { quota, rateLimit, keyExpiresAfterSeconds, credentialMetadata, notes };
}

/** A plan name from a policy name: characters outside the name rules become `-`, trimmed, at most `max` characters. */
export function baseName(policyName: string, fallback: string, max = 90): string {
  const cleaned = (text: string) =>
    text
      .replace(/[^A-Za-z0-9 _-]+/g, '-')
      .replace(/\s+/g, ' ')
      .replace(/-{2,}/g, '-')
      .slice(0, max)
      .trim();
  return cleaned(policyName) || cleaned(fallback) || 'imported-plan';
}

export function displayNameOf(policyName: string): string {
  const text = policyName
    .replace(/[\u0000-\u001F\u007F]/g, ' ')
    .trim()
    .slice(0, MAX_DISPLAY_NAME)
    .trim();
  return text || 'Imported plan';
}

/** `base`, or `base 2`, `base 3`, … : the first one no other plan holds. */
async function uniqueName(em: EntityManager, base: string, planId: string): Promise<string> {
  const taken = new Set(
    (
      await em
        .getConnection()
        .execute<{ name: string }[]>(
          `select name from plans.plan where id <> ? and (name = ? or name like ? escape '\\')`,
          [planId, base, `${base.replace(/[\\%_]/g, (c) => `\\${c}`)} %`],
          'all',
          em.getTransactionContext(),
        )
    ).map((row) => row.name),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base} ${n}`;
    if (!taken.has(candidate) && PLAN_NAME_PATTERN.test(candidate)) return candidate;
  }
}

/** Applies one import job. Returns what it did (for tests and logs). */
export async function importPlan(
  em: EntityManager,
  payload: PlanImportPayload,
  log: Logger,
): Promise<'created' | 'updated' | 'unchanged' | 'skipped'> {
  return em.transactional(async (tx) => {
    const t = tx as EntityManager;
    // Serialises imports of one plan id (the row lock alone cannot cover a plan that does not exist yet).
    await transactionLock(t, `plangraph:plans:import:${payload.planId}`);
    const context = { providerId: payload.providerId, policyId: payload.policyId, planId: payload.planId, reason: payload.reason };
    const limits = clampLimits(payload);
    if (limits.notes.length)
      log.warn({ ...context, adjustments: limits.notes }, 'imported policy has values outside the plan rules; adjusted');
    const plan = await t.findOne(Plan, { id: payload.planId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });

    if (!plan) {
      if (await t.count(PlanVersion, { planId: payload.planId })) {
        log.warn(context, 'imported policy belongs to a plan that was deleted in the portal: not re-created');
        return 'skipped';
      }
      const name = await uniqueName(t, baseName(payload.name, payload.policyId), payload.planId);
      const settings: PlanSettingsData = {
        ...defaultSettings(name, displayNameOf(payload.name)),
        quota: limits.quota,
        rateLimit: limits.rateLimit,
        keyExpiresAfterSeconds: limits.keyExpiresAfterSeconds,
        credentialMetadata: limits.credentialMetadata,
      };
      const created = t.create(Plan, { id: payload.planId, name, displayName: settings.displayName, status: PlanStatus.DRAFT });
      applySettings(created, settings);
      await recordChange(t, created, PlanChangeAction.CREATED, null, { changedBy: IMPORT_ACTOR, sync: false });
      log.info({ ...context, name }, 'imported a policy as a new DRAFT plan');
      return 'created';
    }

    if (plan.status === PlanStatus.ARCHIVED) {
      log.warn(context, 'imported policy changed in the provider, but its plan is ARCHIVED (settings frozen): not updated');
      return 'skipped';
    }
    const before = snapshot(plan);
    const base = baseName(payload.name, payload.policyId);
    // Keep the current name when it already is the base name with a clash suffix (idempotent).
    const keeps = plan.name === base || (plan.name.startsWith(`${base} `) && /^\d+$/.test(plan.name.slice(base.length + 1)));
    const name = keeps ? plan.name : await uniqueName(t, base, plan.id);
    // The display name follows a rename only while it still is what the last import wrote (not edited in the portal).
    const [lastImport] = await t.find(
      PlanVersion,
      { planId: plan.id, changedBy: IMPORT_ACTOR },
      { orderBy: { version: 'desc' }, limit: 1 },
    );
    const importedDisplayName = lastImport ? normalizeSettings(lastImport.settingsJson).displayName : null;
    const followsImport = importedDisplayName === null || importedDisplayName === plan.displayName;
    const changes: Partial<PlanSettingsData> = {
      name,
      displayName: followsImport ? displayNameOf(payload.name) : plan.displayName,
      quota: limits.quota,
      rateLimit: limits.rateLimit,
      keyExpiresAfterSeconds: limits.keyExpiresAfterSeconds,
      credentialMetadata: limits.credentialMetadata,
    };
    const after = { ...before.settings, ...changes };
    if (diffSettings(before, { settings: after, status: plan.status }).length === 0) return 'unchanged';
    applySettings(plan, changes);
    plan.version += 1;
    await recordChange(t, plan, PlanChangeAction.UPDATED, before, { changedBy: IMPORT_ACTOR, sync: false });
    log.info({ ...context, name }, 'updated a plan from its imported policy');
    return 'updated';
  });
}
