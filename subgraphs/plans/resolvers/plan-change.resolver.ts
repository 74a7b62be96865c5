/**
 * The plan change requests (separation of duties): the review queue, and the mutations whose use
 * cases are in `../services/plan-changes.ts`.
 */
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { byKeys, requestLoader } from '../../../common/loaders';
import { runMutation } from '../../../common/mutation';
import { paginate } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { Plan } from '../entities/plan';
import { PlanChangeRequest } from '../entities/plan-change-request';
import { PlanSettingChange } from '../entities/plan-version';
import { serviceOps } from '../services/change-rules';
import {
  APPROVAL_NAME_TAKEN,
  approvePlanChange,
  proposePlanChange,
  rejectPlanChange,
  type ApproveResult,
  type RequestResult,
} from '../services/plan-changes';
import {
  ApprovePlanChangeInput,
  ApprovePlanChangePayload,
  PlanChangeRequestConnection,
  PlanChangeRequestsArgs,
  ProposePlanChangeInput,
  ProposePlanChangePayload,
  RejectPlanChangeInput,
  RejectPlanChangePayload,
} from './plan-change.types';

@Resolver(() => PlanChangeRequest)
export class PlanChangeRequestResolver {
  @Query(() => PlanChangeRequestConnection, {
    description:
      'Proposed plan changes (separation of duties), oldest first, optionally for one plan and/or one status. Portal admins only.',
  })
  async planChangeRequests(@Args(() => PlanChangeRequestsArgs) args: PlanChangeRequestsArgs, @Ctx() context: SubgraphContext) {
    context.caller.requirePortalAdmin();
    const where: Record<string, unknown> = {};
    if (args.planId !== undefined && args.planId !== null) {
      const planId = args.planId.trim().toLowerCase();
      if (!isUuid(planId)) throw badInput('planId', 'Give a plan id (a UUID from `Plan.id`).');
      where.planId = planId;
    }
    if (args.status) where.status = args.status;
    return paginate(context.em, PlanChangeRequest, where, args);
  }

  @FieldResolver(() => Plan, { nullable: true, description: 'The plan as it is now; null when it was deleted since.' })
  plan(@Root() request: PlanChangeRequest, @Ctx() context: SubgraphContext): Promise<Plan | null> {
    return requestLoader<string, Plan | null>(context, 'changeRequestPlan', async (ids) =>
      byKeys(ids, await context.em.find(Plan, { id: { $in: [...ids] } }), (p) => p.id),
    ).load(request.planId);
  }

  @FieldResolver(() => [PlanSettingChange], {
    description:
      'What the change does: the fields that differ from the plan at `baseVersion`, with JSON-encoded values (like `PlanVersion.changes`; `status` when it publishes or archives).',
  })
  changes(@Root() request: PlanChangeRequest): PlanSettingChange[] {
    return request.changesJson.map((c) => Object.assign(new PlanSettingChange(), { field: c.field, before: c.before, after: c.after }));
  }

  @Mutation(() => ProposePlanChangePayload, {
    description:
      'Proposes a change of a plan (any settings and/or publishing or archiving) for a second portal admin to approve; nothing changes until then. Needed for limits, JWT scopes and visibility when PLAN_CHANGE_APPROVAL=required (it works with the setting off too). The request shows its diff against the current version; it applies only while the plan stays at that version. Portal admins only.',
  })
  async proposePlanChange(
    @Arg('input', () => ProposePlanChangeInput, { description: 'The plan, the changes and why.' }) input: ProposePlanChangeInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RequestResult> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<RequestResult>(
      context,
      (em) => proposePlanChange(serviceOps(context, em), subject, input),
      () => ({ changeRequest: null }),
    );
  }

  @Mutation(() => ApprovePlanChangePayload, {
    description:
      'Applies a PENDING change request as a new plan version (action UPDATED, `changedBy` = the proposer, `approvedBy` = you) and enqueues the provider sync. Only a portal admin other than the proposer (SELF_APPROVAL_FORBIDDEN). When the plan changed since the proposal (or was deleted) nothing is applied: the request becomes SUPERSEDED and the error is VERSION_CONFLICT (NOT_FOUND for a deleted plan). With `rollout` a change of limits is not applied yet: the request is ROLLING_OUT and its `rollout` gives the new limits to a growing, deterministic share of the plan’s credentials (their Tyk keys get a candidate policy, counters kept), judges each stage from usage against the rest, and widens until the change is applied as a new version (PLAN_ROLLOUT_COMPLETED) or rolls back automatically (PLAN_ROLLOUT_ROLLED_BACK); audited. Portal admins only.',
  })
  async approvePlanChange(
    @Arg('input', () => ApprovePlanChangeInput, { description: 'The request.' }) input: ApprovePlanChangeInput,
    @Ctx() context: SubgraphContext,
  ): Promise<ApproveResult> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<ApproveResult>(
      context,
      (em) => approvePlanChange(serviceOps(context, em), subject, input),
      () => ({ changeRequest: null, plan: null }),
      { uniqueFields: APPROVAL_NAME_TAKEN },
    );
  }

  @Mutation(() => RejectPlanChangePayload, {
    description:
      'Rejects a PENDING change request with a reason; the plan does not change. Only a portal admin other than the proposer (SELF_APPROVAL_FORBIDDEN). Portal admins only.',
  })
  async rejectPlanChange(
    @Arg('input', () => RejectPlanChangeInput, { description: 'The request and why.' }) input: RejectPlanChangeInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RequestResult> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<RequestResult>(
      context,
      (em) => rejectPlanChange(serviceOps(context, em), subject, input),
      () => ({ changeRequest: null }),
    );
  }
}
