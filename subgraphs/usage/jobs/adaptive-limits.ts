/** `usage.evaluateAdaptiveLimits` (recurring, every minute): see `services/adaptive-limits.ts`. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { evaluateAdaptiveLimits } from '../services/adaptive-limits';

/** Every minute: graphile-worker's crontab (UTC). */
export const ADAPTIVE_LIMITS_SCHEDULE = { task: JOB_TASKS.evaluateAdaptiveLimits, match: '* * * * *' };

export async function evaluateAdaptiveLimitsJob(runtime: JobRuntime): Promise<void> {
  const now = runtime.clock.now();
  const outcomes = await runtime.orm.em.fork().transactional((em) => evaluateAdaptiveLimits(em as EntityManager, now));
  for (const outcome of outcomes.filter((o) => o.changed)) {
    runtime.log.info({ planId: outcome.planId, state: outcome.state, decision: outcome.decision }, 'adaptive rate limit changed');
  }
}
