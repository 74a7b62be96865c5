/**
 * `plans.evaluatePlanRollout { planRolloutId }` judges the current stage of a staged plan-change
 * rollout (`../services/plan-rollouts.ts`), in one transaction audited as this job; a rollout it
 * completes is announced as a catalogue change.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditActor } from '../../../common/audit';
import { isUuid } from '../../../common/ids';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { evaluateRollout } from '../services/plan-rollouts';
import { announceCatalogueChange } from '../../../common/catalogue-changes';
import { PlanRollout, PlanRolloutStatus } from '../entities/plan-rollout';

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
  // A completed rollout applied its change to the plan (a new version, public limits): after the
  // commit, the gateways' response caches drop what they hold (common/catalogue-changes.ts).
  const rollout = await runtime.orm.em.fork().findOne(PlanRollout, { id: id.toLowerCase() });
  if (rollout?.status === PlanRolloutStatus.COMPLETED) await announceCatalogueChange(runtime, JOB_TASKS.evaluatePlanRollout);
}
