/**
 * Staged rollouts of plan changes (`../services/plan-rollouts.ts`): reading one, rolling one back,
 * and `PlanChangeRequest.rollout` / `Plan.rollouts`. Portal admins only.
 */
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { runMutation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { Plan } from '../entities/plan';
import { PlanChangeRequest } from '../entities/plan-change-request';
import { PlanRollout, PlanRolloutStep } from '../entities/plan-rollout';
import { serviceOps } from '../services/change-rules';
import { cohortSize, currentPercent, findRollout, nextEvaluationAt, rollBackPlanRollout, rolloutSteps } from '../services/plan-rollouts';
import { RollBackPlanRolloutInput, RollBackPlanRolloutPayload } from './plan-change.types';

@Resolver(() => PlanRollout)
export class PlanRolloutResolver {
  @Query(() => PlanRollout, {
    nullable: true,
    description:
      'A staged rollout of a plan change, with every step and the figures it was judged on; null when there is none. Portal admins only.',
  })
  async planRollout(@Arg('id', () => ID, { description: 'The rollout.' }) id: string, @Ctx() context: SubgraphContext) {
    context.caller.requirePortalAdmin();
    if (!isUuid(id.trim())) throw badInput('id', 'Give a rollout id (a UUID from `PlanRollout.id`).');
    return findRollout(context.em, id);
  }

  @Mutation(() => RollBackPlanRolloutPayload, {
    description:
      'The rollback plan of a staged plan-change rollout: stops a RUNNING rollout — every key of the plan goes back to the plan’s own limits (the candidate policy is deleted), keeping its quota counters; the rollout and its change request end ROLLED_BACK with who and why (a ROLLED_BACK step; PLAN_ROLLOUT_ROLLED_BACK webhook). Rolling back again changes nothing; a COMPLETED rollout is INVALID_TRANSITION. Audited. Portal admins only (FORBIDDEN for anyone else, UNAUTHENTICATED when signed out).',
  })
  async rollBackPlanRollout(
    @Arg('input', () => RollBackPlanRolloutInput, { description: 'The rollout and why.' }) input: RollBackPlanRolloutInput,
    @Ctx() context: SubgraphContext,
  ) {
    const subject = context.caller.requirePortalAdmin();
    return runMutation(
      context,
      (em) => rollBackPlanRollout(serviceOps(context, em), subject, input),
      () => ({ rollout: null }),
    );
  }

  @FieldResolver(() => Int, {
    description: 'The share of the plan’s credentials the current (or last) stage gives the new limits, in percent.',
  })
  currentStagePercent(@Root() rollout: PlanRollout): number {
    return currentPercent(rollout);
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When the current stage is judged next; null unless RUNNING.' })
  nextEvaluationAt(@Root() rollout: PlanRollout): Date | null {
    return nextEvaluationAt(rollout);
  }

  @FieldResolver(() => Int, { description: 'How many credentials have had the new limits in this rollout (its cohort so far).' })
  cohortSize(@Root() rollout: PlanRollout, @Ctx() context: SubgraphContext): Promise<number> {
    return cohortSize(context.em, rollout.id);
  }

  @FieldResolver(() => [PlanRolloutStep], { description: 'Every step, oldest first: stages started, evaluations (with figures), the end.' })
  steps(@Root() rollout: PlanRollout, @Ctx() context: SubgraphContext): Promise<PlanRolloutStep[]> {
    return rolloutSteps(context.em, rollout.id);
  }

  @FieldResolver(() => PlanChangeRequest, { description: 'The change request it rolls out.' })
  changeRequest(@Root() rollout: PlanRollout, @Ctx() context: SubgraphContext): Promise<PlanChangeRequest> {
    return context.em.findOneOrFail(PlanChangeRequest, { id: rollout.changeRequestId });
  }
}

@Resolver(() => PlanChangeRequest)
export class PlanChangeRequestRolloutResolver {
  @FieldResolver(() => PlanRollout, {
    nullable: true,
    description: 'Its staged rollout, when it was approved with one (ROLLING_OUT, then APPROVED or ROLLED_BACK); null otherwise.',
  })
  rollout(@Root() request: PlanChangeRequest, @Ctx() context: SubgraphContext): Promise<PlanRollout | null> {
    return context.em.findOne(PlanRollout, { changeRequestId: request.id });
  }
}

@Resolver(() => Plan)
export class PlanRolloutsResolver {
  @FieldResolver(() => [PlanRollout], {
    nullable: true,
    description: 'The plan’s staged rollouts of changes, newest first (at most 20). Portal admins only; null for everyone else.',
  })
  async rollouts(@Root() plan: Plan, @Ctx() context: SubgraphContext): Promise<PlanRollout[] | null> {
    if (!context.caller.isPortalAdmin) return null;
    return context.em.find(PlanRollout, { planId: plan.id }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 20 });
  }
}
