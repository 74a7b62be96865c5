/** The plan change request rows that more than one use case needs: locked one by one, superseded by plan. */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { refuse } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { PlanChangeRequest, PlanChangeRequestStatus } from '../entities/plan-change-request';

/** Loads a change request and locks its row for the rest of the transaction; NOT_FOUND on `input.id` otherwise. */
export async function lockRequest(em: EntityManager, id: string): Promise<PlanChangeRequest> {
  const key = id.trim().toLowerCase();
  const request = isUuid(key)
    ? await em.findOne(PlanChangeRequest, { id: key }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    : null;
  if (!request) refuse('NOT_FOUND', 'input.id', 'No plan change request has this id: planChangeRequests lists them.');
  return request;
}

/** Marks the plan's PENDING change requests SUPERSEDED (they can no longer be applied, e.g. the plan was deleted). */
export async function supersedePending(em: EntityManager, planId: string, why: string, now: Date): Promise<void> {
  const pending = await em.find(
    PlanChangeRequest,
    { planId, status: PlanChangeRequestStatus.PENDING },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  if (!pending.length) return;
  for (const request of pending) {
    request.status = PlanChangeRequestStatus.SUPERSEDED;
    request.decidedAt = now;
    request.decisionReason = why;
  }
  await em.flush();
}
