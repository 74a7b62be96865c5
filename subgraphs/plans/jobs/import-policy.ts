/**
 * The handler of `plans.importPolicy`: checks the provider's payload and runs the import
 * (`../services/import.ts`) with its writes audited as `system:import`.
 */
import { IMPORT_REASONS, type ImportReason, type PlanImportPayload } from '../../../common/job-payloads';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import { announceCatalogueChange } from '../../../common/catalogue-changes';
import { JOB_TASKS } from '../../../common/jobs';
import type { Logger } from '../../../common/logger';
import type { JobRuntime } from '../../../common/server';
import { IMPORT_ACTOR, importPlan } from '../services/import';

const REASONS = IMPORT_REASONS;
type Reason = ImportReason;
export type { PlanImportPayload };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The payload, or null (logged) when it is not one the provider sends. */
export function parsePlanImport(payload: unknown, log: Logger): PlanImportPayload | null {
  const p = isRecord(payload) ? payload : {};
  const quota = p.quota;
  const rate = p.rateLimit;
  const ok =
    isUuid(p.planId) &&
    typeof p.name === 'string' &&
    typeof p.policyId === 'string' &&
    typeof p.providerId === 'string' &&
    REASONS.includes(p.reason as Reason) &&
    (quota === null ||
      quota === undefined ||
      (isRecord(quota) &&
        isNumber(quota.requests) &&
        (quota.periodSeconds === null || quota.periodSeconds === undefined || isNumber(quota.periodSeconds)))) &&
    (rate === null || rate === undefined || (isRecord(rate) && isNumber(rate.requests) && isNumber(rate.perSeconds))) &&
    (p.keyExpiresAfterSeconds === null || p.keyExpiresAfterSeconds === undefined || isNumber(p.keyExpiresAfterSeconds)) &&
    (p.credentialMetadata === undefined || Array.isArray(p.credentialMetadata));
  if (!ok) {
    log.warn({ task: JOB_TASKS.importPlan, payload }, 'dropped an import job with a malformed payload');
    return null;
  }
  return {
    providerId: p.providerId as string,
    policyId: p.policyId as string,
    planId: (p.planId as string).toLowerCase(),
    name: p.name as string,
    quota: isRecord(quota)
      ? { requests: quota.requests as number, periodSeconds: (quota.periodSeconds as number | null | undefined) ?? null }
      : null,
    rateLimit: isRecord(rate) ? { requests: rate.requests as number, perSeconds: rate.perSeconds as number } : null,
    keyExpiresAfterSeconds: (p.keyExpiresAfterSeconds as number | null | undefined) ?? null,
    credentialMetadata: ((p.credentialMetadata as unknown[] | undefined) ?? []).filter(
      (e): e is { key: string; value: string } => isRecord(e) && typeof e.key === 'string' && typeof e.value === 'string',
    ),
    reason: p.reason as Reason,
  };
}

/** The audit identity of import jobs: their ORM writes are recorded as `system:import`. */
export function importActor(): { audit: AuditActor } {
  return { audit: { actor: IMPORT_ACTOR, roles: [], requestId: null, action: JOB_TASKS.importPlan } };
}

/** The handler graphile-worker runs. */
export function importPlanHandler(runtime: JobRuntime) {
  return async (payload: unknown): Promise<void> => {
    const parsed = parsePlanImport(payload, runtime.log);
    if (!parsed) return;
    await importPlan(runtime.orm.em.fork({ loggerContext: importActor() }) as EntityManager, parsed, runtime.log);
    // After the commit: the gateways' response caches drop what they hold (common/catalogue-changes.ts).
    await announceCatalogueChange(runtime, JOB_TASKS.importPlan);
  };
}
