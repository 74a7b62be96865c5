/**
 * `developers.migratePlanSubscribers { planMigrationId }` moves a RUNNING migration's credentials;
 * `developers.evaluatePlanMigration { planMigrationId }` judges a staged migration's stage.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import { JOB_TASKS } from '../../../common/jobs';
import type { Ops } from '../../../common/ops';
import type { JobRuntime } from '../../../common/server';
import { evaluateStage, migrateBatch } from '../services/plan-migrations';

/**
 * Runs batches (`migrateBatch`, one transaction each, audited as this job) until no pending item
 * is left and the migration is COMPLETED. Idempotent: a migration that is not RUNNING is left as
 * it is; a run cut short resumes with the items still PENDING.
 */
export async function migratePlanSubscribers(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = migrationIdOf(runtime, JOB_TASKS.migratePlanSubscribers, payload);
  if (!id) return;
  for (;;) {
    const more = await inTransaction(runtime, JOB_TASKS.migratePlanSubscribers, (ops) => migrateBatch(ops, id));
    if (!more) return;
  }
}

/** Judges the current stage of a staged migration (`evaluateStage`), in one transaction audited as this job. */
export async function evaluatePlanMigration(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = migrationIdOf(runtime, JOB_TASKS.evaluatePlanMigration, payload);
  if (id) await inTransaction(runtime, JOB_TASKS.evaluatePlanMigration, (ops) => evaluateStage(ops, id));
}

function migrationIdOf(runtime: JobRuntime, task: string, payload: unknown): string | null {
  const id = (payload as { planMigrationId?: unknown } | null)?.planMigrationId;
  if (isUuid(id)) return id.toLowerCase();
  runtime.log.warn({ task, payload }, 'dropped a job without a valid planMigrationId');
  return null;
}

function inTransaction<T>(runtime: JobRuntime, task: string, work: (ops: Ops) => Promise<T>): Promise<T> {
  const audit: AuditActor = { actor: 'system', roles: [], requestId: null, action: task };
  return runtime.orm.em
    .fork({ loggerContext: { audit } })
    .transactional((em) => work({ em: em as EntityManager, pubsub: runtime.pubsub, now: runtime.clock.now(), env: runtime.env }));
}
