/** `developers.migratePlanSubscribers { planMigrationId }`: moves a RUNNING migration's credentials. */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { migrateBatch } from '../services/plan-migrations';

/**
 * Runs batches (`migrateBatch`, one transaction each, audited as this job) until no pending item
 * is left and the migration is COMPLETED. Idempotent: a migration that is not RUNNING is left as
 * it is; a run cut short resumes with the items still PENDING.
 */
export async function migratePlanSubscribers(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = (payload as { planMigrationId?: unknown } | null)?.planMigrationId;
  if (!isUuid(id)) {
    runtime.log.warn({ task: JOB_TASKS.migratePlanSubscribers, payload }, 'dropped a job without a valid planMigrationId');
    return;
  }
  const audit: AuditActor = { actor: 'system', roles: [], requestId: null, action: JOB_TASKS.migratePlanSubscribers };
  for (;;) {
    const more = await runtime.orm.em
      .fork({ loggerContext: { audit } })
      .transactional((em) =>
        migrateBatch({ em: em as EntityManager, pubsub: runtime.pubsub, now: runtime.clock.now(), env: runtime.env }, id.toLowerCase()),
      );
    if (!more) return;
  }
}
