/**
 * The access review's jobs: `developers.revokeUnusedCredential` (a scheduled revocation for want
 * of use is due) and `developers.accessReviewReport` (the daily report, recurring).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobRuntime } from '../../../common/server';
import { appendAudit } from '../../../common/audit';
import { accessReviewUnusedDays } from '../../../common/config';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { lastUsedAt } from '../contracts/usage';
import { AccessRequestEventType } from '../entities/access-request-event';
import { Credential, CredentialStatus, effectiveCredentialStatus } from '../entities/credential';
import { clearUnusedRevocation, makeAccessReviewReport, unusedRevocationJobKey } from '../services/access-review';
import { revokeNow } from '../services/credentials';
import { emitAccessEvent } from '../services/events';

const MINUTE_MS = 60_000;

/**
 * `developers.revokeUnusedCredential { credentialId, dueAt }`: when the credential still has this
 * revocation scheduled, it is revoked through the ordinary revocation (CREDENTIAL_REVOKED, the Tyk
 * key deleted by `provider.revokeKey`), with the reason in the audit log — unless it was used
 * after the revocation was scheduled (usage counts requests to the minute, so a request in the
 * minute of scheduling counts as a use): then the schedule is cleared and
 * CREDENTIAL_REVOCATION_CANCELLED (USED) published. A credential that stopped being ACTIVE
 * meanwhile only loses the schedule. A job that runs before `dueAt` by the subgraph's clock is
 * queued again for `dueAt`.
 */
export async function revokeUnusedCredential(runtime: JobRuntime, payload: unknown): Promise<void> {
  const { credentialId, dueAt } = (payload ?? {}) as { credentialId?: unknown; dueAt?: unknown };
  const due = new Date(String(dueAt));
  if (!isUuid(credentialId) || Number.isNaN(due.getTime())) {
    runtime.log.warn({ task: JOB_TASKS.revokeUnusedCredential, payload }, 'dropped a job without a valid credentialId and dueAt');
    return;
  }
  const id = credentialId.toLowerCase();
  await runtime.orm.em.fork().transactional(async (tx) => {
    const em = tx as EntityManager;
    const credential = await em.findOne(Credential, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (!credential || credential.unusedRevocationDueAt?.getTime() !== due.getTime()) return;
    const now = runtime.clock.now();
    if (now.getTime() < due.getTime()) {
      await enqueueJob(
        em,
        JOB_TASKS.revokeUnusedCredential,
        { credentialId: id, dueAt: due.toISOString() },
        {
          jobKey: unusedRevocationJobKey(id),
          runAt: due,
        },
      );
      return;
    }
    const ops = { em, pubsub: runtime.pubsub, now, env: runtime.env };
    const scheduledAt = credential.unusedRevocationScheduledAt ?? due;
    const scheduledBy = credential.unusedRevocationScheduledBy ?? 'system';
    const reason = credential.unusedRevocationReason ?? '';
    clearUnusedRevocation(credential);
    credential.updatedAt = now;
    if (effectiveCredentialStatus(credential, now) !== CredentialStatus.ACTIVE || credential.revokesAt !== null) {
      await em.flush();
      return;
    }
    const last = (await lastUsedAt(em, [id])).get(id) ?? null;
    const scheduledMinute = Math.floor(scheduledAt.getTime() / MINUTE_MS) * MINUTE_MS;
    if (last && last.getTime() >= scheduledMinute) {
      await em.flush();
      await emitAccessEvent(runtime.pubsub, em, {
        type: AccessRequestEventType.CREDENTIAL_REVOCATION_CANCELLED,
        organizationId: credential.organizationId,
        accessRequestId: credential.accessRequestId,
        credentialId: credential.id,
        at: now,
        revocation: { reason: 'USED' },
      });
      return;
    }
    await revokeNow(ops, credential, scheduledBy);
    await appendAudit(em, 'developers', {
      action: JOB_TASKS.revokeUnusedCredential,
      change: 'CALL',
      targetType: 'Credential',
      targetId: credential.id,
      organizationId: credential.organizationId,
      after: { reason, scheduledBy, scheduledAt: scheduledAt.toISOString(), lastUsedAt: last?.toISOString() ?? null },
    });
  });
}

/** `developers.accessReviewReport {}` (daily, 06:00 UTC): the day's report, once (see `makeAccessReviewReport`). */
export async function accessReviewReport(runtime: JobRuntime): Promise<void> {
  const now = runtime.clock.now();
  const id = await runtime.orm.em
    .fork()
    .transactional((em) => makeAccessReviewReport(em as EntityManager, now, accessReviewUnusedDays(runtime.env)));
  if (id) runtime.log.info({ accessReviewReportId: id }, 'access review report made');
}
