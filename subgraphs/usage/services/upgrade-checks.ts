/**
 * Consent-based upgrade offers start here: a quota window projected to be used up before it resets
 * (a PROJECTED quota warning raised by the batch, whether or not its alert rules hold the warning
 * back) asks the developers subgraph, which owns organizations, apps and access requests, to offer
 * the next tier (`developers.offerUpgrade`, enqueued in the ingest's transaction). One queued job
 * per counter (job key); the developers subgraph makes at most one offer per app and window.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UpgradeCheckPayload } from '../../../common/job-payloads';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { QuotaWarningKind } from '../entities/quota-warning';
import type { RaiseQuotaWarningInput } from './quota-warnings';

export async function enqueueUpgradeChecks(tx: EntityManager, warnings: readonly RaiseQuotaWarningInput[]): Promise<number> {
  const checks = new Map<string, UpgradeCheckPayload>();
  for (const w of warnings) {
    if (w.kind !== QuotaWarningKind.PROJECTED || !w.planId) continue;
    const subject = w.credentialId ?? w.appId ?? w.organizationId;
    checks.set(`upgrade-check:${subject}:${w.planId}`, {
      organizationId: w.organizationId,
      appId: w.appId ?? null,
      credentialId: w.credentialId ?? null,
      planId: w.planId,
      projectedUsed: w.used,
      limit: w.limit,
      resetsAt: w.resetsAt.toISOString(),
    });
  }
  for (const [jobKey, payload] of checks) await enqueueJob(tx, JOB_TASKS.offerUpgrade, { ...payload }, { jobKey });
  return checks.size;
}
