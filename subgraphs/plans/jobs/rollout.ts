/**
 * `plans.evaluatePlanRollout { planRolloutId }` judges the current stage of a staged plan-change
 * rollout (`../services/plan-rollouts.ts`), in one transaction audited as this job.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { evaluateRollout } from '../services/plan-rollouts';

export async function evaluatePlanRollout(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = (payload as { planRolloutId?: unknown } | null)?.planRolloutId;
  if (!isUuid(id)) {
    runtime.log.warn({ task: JOB_TASKS.evaluatePlanRollout, payload }, 'dropped a job without a valid planRolloutId');
    return;
  }
  const audit: AuditActor = { actor: 'system', roles: [], requestId: null, action: JOB_TASKS.evaluatePlanRollout };
  await runtime.orm.em
    .fork({ loggerContext: { audit } })
    .transactional((em) =>
      evaluateRollout({ em: em as EntityManager, pubsub: runtime.pubsub, now: runtime.clock.now(), env: runtime.env }, id.toLowerCase()),
    );
}
