import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { type UserError } from '../../../common/errors';
import { runMutation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { serviceOps } from '../services/change-rules';
import {
  archivePlan,
  createPlan,
  deletePlan,
  NAME_TAKEN,
  publishPlan,
  ROLLBACK_NAME_TAKEN,
  rollbackPlan,
  updatePlan,
  type DeletePlanResult,
  type PlanResult,
  type PlanTransitionCommand,
} from '../services/plans';
import {
  ArchivePlanInput,
  ArchivePlanPayload,
  CreatePlanInput,
  CreatePlanPayload,
  DeletePlanInput,
  DeletePlanPayload,
  PublishPlanInput,
  PublishPlanPayload,
  RollbackPlanInput,
  RollbackPlanPayload,
  UpdatePlanInput,
  UpdatePlanPayload,
  type PlanPayloadShape,
} from './plan.types';

/** The plan mutations: the caller must be a portal admin; the use cases are in `../services/plans.ts`. */
@Resolver()
export class PlanMutationResolver {
  @Mutation(() => CreatePlanPayload, {
    description:
      'Creates a plan (version 1), as DRAFT or directly PUBLISHED (which needs at least one catalog; with PLAN_CHANGE_APPROVAL=required only DRAFT, else APPROVAL_REQUIRED: propose publishing with proposePlanChange). Portal admins only. Enqueues the provider sync.',
  })
  async createPlan(
    @Arg('input', () => CreatePlanInput, { description: 'The plan to create.' }) input: CreatePlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<PlanResult>(
      context,
      (em) => createPlan(serviceOps(context, em), subject, input),
      () => ({ plan: null }),
      {
        uniqueFields: NAME_TAKEN,
      },
    );
  }

  @Mutation(() => UpdatePlanPayload, {
    description:
      'Changes some settings of a DRAFT or PUBLISHED plan (fields left out keep their value) and records a new version. A change that changes nothing records nothing. With PLAN_CHANGE_APPROVAL=required, a change of limits (quota, rateLimit, quotaScope, keyExpiresAfterSeconds), jwtScopes, endpointRules or catalogIds is refused with APPROVAL_REQUIRED and nothing changes: propose it with proposePlanChange. Portal admins only. Enqueues the provider sync.',
  })
  async updatePlan(
    @Arg('input', () => UpdatePlanInput, { description: 'The plan and the settings to change.' }) input: UpdatePlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<PlanResult>(
      context,
      (em) => updatePlan(serviceOps(context, em), subject, input),
      () => ({ plan: null }),
      {
        uniqueFields: NAME_TAKEN,
      },
    );
  }

  @Mutation(() => PublishPlanPayload, {
    description:
      'Publishes a DRAFT plan, or re-publishes an ARCHIVED one, so developers see it in its catalogs. Needs at least one existing catalog. With PLAN_CHANGE_APPROVAL=required refused with APPROVAL_REQUIRED (propose `status: PUBLISHED` with proposePlanChange). Portal admins only. Enqueues the provider sync.',
  })
  async publishPlan(
    @Arg('input', () => PublishPlanInput, { description: 'The plan to publish.' }) input: PlanTransitionCommand,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<PlanResult>(
      context,
      (em) => publishPlan(serviceOps(context, em), subject, input),
      () => ({ plan: null }),
    );
  }

  @Mutation(() => ArchivePlanPayload, {
    description:
      'Archives a DRAFT or PUBLISHED plan: developers no longer see it and cannot request access; existing access keeps working until revoked. Portal admins only. Enqueues the provider sync.',
  })
  async archivePlan(
    @Arg('input', () => ArchivePlanInput, { description: 'The plan to archive.' }) input: PlanTransitionCommand,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<PlanResult>(
      context,
      (em) => archivePlan(serviceOps(context, em), subject, input),
      () => ({ plan: null }),
    );
  }

  @Mutation(() => RollbackPlanPayload, {
    description:
      'Restores the settings of an older version as a NEW version (history is never rewritten); the status does not change. With PLAN_CHANGE_APPROVAL=required, refused with APPROVAL_REQUIRED when the restored settings change limits, jwtScopes or catalogs (propose them instead). Portal admins only. Enqueues the provider sync.',
  })
  async rollbackPlan(
    @Arg('input', () => RollbackPlanInput, { description: 'The plan and the version to restore.' }) input: RollbackPlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<PlanResult>(
      context,
      (em) => rollbackPlan(serviceOps(context, em), subject, input),
      () => ({ plan: null }),
      {
        uniqueFields: ROLLBACK_NAME_TAKEN,
      },
    );
  }

  @Mutation(() => DeletePlanPayload, {
    description:
      'Deletes a plan that was never published (so nobody can have had access under it); its version history stays. Published plans are archived instead (ARCHIVE_INSTEAD). Portal admins only, with a token that asserts MFA (MFA_REQUIRED otherwise). Enqueues the provider sync.',
  })
  async deletePlan(
    @Arg('input', () => DeletePlanInput, { description: 'The plan to delete.' }) input: DeletePlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ deletedPlanId: string | null; errors: UserError[] }> {
    context.caller.requirePortalAdmin();
    context.caller.requireMfa('Deleting a plan');
    return runMutation<DeletePlanResult>(
      context,
      (em) => deletePlan(serviceOps(context, em), input),
      () => ({ deletedPlanId: null }),
    );
  }
}
