/**
 * The governance jobs of the developers subgraph: `developers.quotaBoostExpired` (a boost's end,
 * due at its `expiresAt`), `developers.offerUpgrade` (from the usage subgraph: a quota window is
 * projected to be used up before it resets) and `developers.adaptiveLimitChanged` (from the usage
 * subgraph: a plan's adaptive rate limit tightened or was restored) and `developers.planRolloutNotice`
 * (from the plans subgraph: a step of a staged plan-change rollout). Each runs in one transaction
 * and is idempotent.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobRuntime } from '../../../common/server';
import { isUuid } from '../../../common/ids';
import { JOB_TASKS } from '../../../common/jobs';
import { expireQuotaBoost } from '../services/quota-boosts';
import { offerUpgrade } from '../services/upgrade-offers';
import { announceAdaptiveLimitChange } from '../services/adaptive-limit-events';
import { announcePlanRolloutStep } from '../services/plan-rollout-events';

function opsOf(runtime: JobRuntime, em: EntityManager) {
  return { em, pubsub: runtime.pubsub, now: runtime.clock.now(), env: runtime.env };
}

export async function quotaBoostExpired(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = (payload as { quotaBoostId?: unknown } | null)?.quotaBoostId;
  if (!isUuid(id)) {
    runtime.log.warn({ task: JOB_TASKS.quotaBoostExpired, payload }, 'dropped a job without a valid quotaBoostId');
    return;
  }
  await runtime.orm.em.fork().transactional((em) => expireQuotaBoost(opsOf(runtime, em as EntityManager), id.toLowerCase()));
}

export async function upgradeCheck(runtime: JobRuntime, payload: unknown): Promise<void> {
  const made = await runtime.orm.em.fork().transactional((em) => offerUpgrade(opsOf(runtime, em as EntityManager), payload));
  if (made === null) runtime.log.warn({ task: JOB_TASKS.offerUpgrade }, 'dropped a job with a malformed payload');
}

export async function adaptiveLimitChanged(runtime: JobRuntime, payload: unknown): Promise<void> {
  const told = await runtime.orm.em.fork().transactional((em) => announceAdaptiveLimitChange(opsOf(runtime, em as EntityManager), payload));
  if (told === null) runtime.log.warn({ task: JOB_TASKS.adaptiveLimitChanged }, 'dropped a job with a malformed payload');
}

export async function planRolloutNotice(runtime: JobRuntime, payload: unknown): Promise<void> {
  const told = await runtime.orm.em.fork().transactional((em) => announcePlanRolloutStep(opsOf(runtime, em as EntityManager), payload));
  if (told === null) runtime.log.warn({ task: JOB_TASKS.planRolloutNotice }, 'dropped a job with a malformed payload');
}
