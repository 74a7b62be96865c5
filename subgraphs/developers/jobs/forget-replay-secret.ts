import type { JobRuntime } from '../../../common/server';
import { JOB_TASKS } from '../../../common/jobs';

/**
 * `developers.forgetReplaySecret { subject, operation, key, createdAt }`: the replay window of a
 * rotation's secret is over, so the sealed copy its idempotency row kept is erased — only on the
 * row the job was scheduled for (a key reused after its retention is a new row with its own job).
 */
export async function forgetReplaySecret(runtime: JobRuntime, payload: unknown): Promise<void> {
  const { subject, operation, key, createdAt } = (payload ?? {}) as Record<string, unknown>;
  const at = new Date(String(createdAt));
  if (typeof subject !== 'string' || typeof operation !== 'string' || typeof key !== 'string' || Number.isNaN(at.getTime())) {
    runtime.log.warn({ task: JOB_TASKS.forgetReplaySecret }, 'dropped a job without a valid subject, operation, key and createdAt');
    return;
  }
  await runtime.orm.em
    .fork()
    .getConnection()
    .execute(
      `update developers.idempotency_key set result_secret_encrypted = null
        where subject = ? and operation = ? and key = ? and created_at = ? and result_secret_encrypted is not null`,
      [subject, operation, key, at.toISOString()],
    );
}
