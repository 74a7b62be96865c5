import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { type UserError } from '../../../common/errors';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { runMutation, Validation } from '../../../common/mutation';
import { canonicalInput, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import type { SubgraphContext } from '../../../common/server';
import { PlanChangeAction } from '../entities/enums';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanVersion } from '../entities/plan-version';
import { missingCatalogIds } from '../contracts/products';
import {
  checkVersion,
  INPUT_FIELD,
  recordChange,
  refuseMissingCatalogs,
  refuseMissingProducts,
  refuseScopelessOAuthClients,
  refuseUnapproved,
  snapshot,
} from '../services/change-rules';
import { lockPlan } from '../data/plans';
import { supersedePending } from '../data/plan-change-requests';
import { refuse } from '../../../common/errors';
import { applySettings, defaultSettings, diffSettings, normalizeSettings, type PlanSettingsData } from '../services/settings';
import { validateSettings } from '../services/validation';
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
  type PlanTransitionInput,
} from './inputs';

const NAME_TAKEN = { field: 'input.name', message: 'A plan with this name exists already: choose another name.' };

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
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const idempotency = idempotentCall('plans', subject, 'createPlan', input.idempotencyKey, canonicalInput(input));
        return runIdempotent<{ plan: Plan | null }>(em, idempotency, context.clock.now(), {
          replay: async (first) => {
            const plan = await em.findOne(Plan, { id: first.resultId }, { refresh: true });
            if (!plan) throw firstResultGone('plan');
            return { plan };
          },
          resultOf: (result) => ({ id: result.plan!.id }),
          run: async () => {
            const v = new Validation();
            // On create, null for a setting that cannot be null means "the default".
            const given = validateSettings(v, {
              ...input,
              quotaScope: input.quotaScope ?? undefined,
              jwtScopes: input.jwtScopes ?? undefined,
              credentialKind: input.credentialKind ?? undefined,
              credentialMetadata: input.credentialMetadata ?? undefined,
              catalogIds: input.catalogIds ?? undefined,
              autoApprove: input.autoApprove ?? undefined,
              tier: input.tier ?? undefined,
              endpointRules: input.endpointRules ?? undefined,
            });
            const status = input.status ?? PlanStatus.DRAFT;
            v.check(
              status !== PlanStatus.ARCHIVED,
              'input.status',
              'A new plan is DRAFT or PUBLISHED: create it as DRAFT and archive it with archivePlan if you must.',
              'INVALID_TRANSITION',
            );
            v.done();
            if (status === PlanStatus.PUBLISHED) {
              // Publishing makes the plan visible: under separation of duties a second admin approves that.
              refuseUnapproved(
                context.env,
                [{ field: 'status', before: null, after: JSON.stringify(status) }],
                () => 'input.status',
                'Creating the plan as PUBLISHED',
              );
            }
            const settings: PlanSettingsData = { ...defaultSettings(given.name!, given.displayName!), ...given };
            await refuseMissingCatalogs(em, settings.catalogIds, 'input.catalogIds', 'Create the catalogs first or remove these ids.');
            refuseScopelessOAuthClients(settings, input.credentialKind ? 'input.credentialKind' : 'input.jwtScopes');
            await refuseMissingProducts(em, settings.endpointRules, 'input.endpointRules');
            if (status === PlanStatus.PUBLISHED && settings.catalogIds.length === 0) {
              refuse(
                'NO_CATALOG',
                'input.catalogIds',
                'A published plan must be in at least one catalog: give catalogIds, or create the plan as DRAFT.',
              );
            }
            const plan = em.create(Plan, { name: settings.name, displayName: settings.displayName, status });
            applySettings(plan, settings);
            if (status === PlanStatus.PUBLISHED) plan.publishedAt = context.clock.now();
            await recordChange(em, plan, PlanChangeAction.CREATED, null, { changedBy: context.caller.subject! });
            return { plan };
          },
        });
      },
      () => ({ plan: null }),
      { uniqueFields: { plan_name_key: NAME_TAKEN } },
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
    context.caller.requirePortalAdmin();
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const plan = await lockPlan(em, input.id);
        checkVersion(plan, input.expectedVersion);
        if (plan.status === PlanStatus.ARCHIVED) {
          refuse(
            'INVALID_TRANSITION',
            'input.id',
            'Archived plans cannot be changed: re-publish it with publishPlan first, or create a new plan.',
          );
        }
        const v = new Validation();
        const changes = validateSettings(v, input);
        v.done();
        if (changes.catalogIds)
          await refuseMissingCatalogs(em, changes.catalogIds, 'input.catalogIds', 'Create the catalogs first or remove these ids.');
        if (changes.endpointRules) await refuseMissingProducts(em, changes.endpointRules, 'input.endpointRules');
        const before = snapshot(plan);
        const after = { ...before.settings, ...changes };
        refuseScopelessOAuthClients(after, changes.credentialKind ? 'input.credentialKind' : 'input.jwtScopes');
        if (plan.status === PlanStatus.PUBLISHED && after.catalogIds.length === 0) {
          refuse('NO_CATALOG', 'input.catalogIds', 'A published plan must stay in at least one catalog: keep one, or archive the plan.');
        }
        const diff = diffSettings(before, { settings: after, status: plan.status });
        if (diff.length === 0) return { plan };
        refuseUnapproved(context.env, diff, (c) => `input.${INPUT_FIELD[c.field] ?? c.field}`, 'This update');
        applySettings(plan, changes);
        plan.version += 1;
        await recordChange(em, plan, PlanChangeAction.UPDATED, before, { changedBy: context.caller.subject! });
        return { plan };
      },
      () => ({ plan: null }),
      { uniqueFields: { plan_name_key: NAME_TAKEN } },
    );
  }

  @Mutation(() => PublishPlanPayload, {
    description:
      'Publishes a DRAFT plan, or re-publishes an ARCHIVED one, so developers see it in its catalogs. Needs at least one existing catalog. With PLAN_CHANGE_APPROVAL=required refused with APPROVAL_REQUIRED (propose `status: PUBLISHED` with proposePlanChange). Portal admins only. Enqueues the provider sync.',
  })
  async publishPlan(
    @Arg('input', () => PublishPlanInput, { description: 'The plan to publish.' }) input: PlanTransitionInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    context.caller.requirePortalAdmin();
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const plan = await lockPlan(em, input.id);
        checkVersion(plan, input.expectedVersion);
        if (plan.status === PlanStatus.PUBLISHED) refuse('INVALID_TRANSITION', 'input.id', 'The plan is published already.');
        refuseUnapproved(
          context.env,
          [{ field: 'status', before: JSON.stringify(plan.status), after: JSON.stringify(PlanStatus.PUBLISHED) }],
          () => 'input.id',
          'Publishing',
        );
        const missing = new Set(await missingCatalogIds(em, plan.catalogIds));
        if (!plan.catalogIds.some((id) => !missing.has(id))) {
          refuse('NO_CATALOG', 'input.id', 'The plan is in no (existing) catalog: add one with updatePlan(catalogIds), then publish it.');
        }
        const before = snapshot(plan);
        plan.status = PlanStatus.PUBLISHED;
        plan.publishedAt = context.clock.now();
        plan.archivedAt = null;
        plan.version += 1;
        await recordChange(em, plan, PlanChangeAction.PUBLISHED, before, { changedBy: context.caller.subject! });
        return { plan };
      },
      () => ({ plan: null }),
    );
  }

  @Mutation(() => ArchivePlanPayload, {
    description:
      'Archives a DRAFT or PUBLISHED plan: developers no longer see it and cannot request access; existing access keeps working until revoked. Portal admins only. Enqueues the provider sync.',
  })
  async archivePlan(
    @Arg('input', () => ArchivePlanInput, { description: 'The plan to archive.' }) input: PlanTransitionInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    context.caller.requirePortalAdmin();
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const plan = await lockPlan(em, input.id);
        checkVersion(plan, input.expectedVersion);
        if (plan.status === PlanStatus.ARCHIVED) refuse('INVALID_TRANSITION', 'input.id', 'The plan is archived already.');
        const before = snapshot(plan);
        plan.status = PlanStatus.ARCHIVED;
        plan.archivedAt = context.clock.now();
        plan.version += 1;
        await recordChange(em, plan, PlanChangeAction.ARCHIVED, before, { changedBy: context.caller.subject! });
        return { plan };
      },
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
    context.caller.requirePortalAdmin();
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const plan = await lockPlan(em, input.id);
        checkVersion(plan, input.expectedVersion);
        if (plan.status === PlanStatus.ARCHIVED) {
          refuse('INVALID_TRANSITION', 'input.id', 'Archived plans cannot be changed: re-publish it with publishPlan first.');
        }
        const target = Number.isInteger(input.toVersion)
          ? await em.findOne(PlanVersion, { planId: plan.id, version: input.toVersion })
          : null;
        if (!target) {
          refuse(
            'NOT_FOUND',
            'input.toVersion',
            `The plan has no version ${input.toVersion}: pick one from planVersions (1 to ${plan.version}).`,
          );
        }
        const settings = normalizeSettings(target.settingsJson);
        await refuseMissingCatalogs(
          em,
          settings.catalogIds,
          'input.toVersion',
          `Version ${input.toVersion} names catalogs that were deleted since: change the catalogs with updatePlan instead.`,
        );
        if (plan.status === PlanStatus.PUBLISHED && settings.catalogIds.length === 0) {
          refuse(
            'NO_CATALOG',
            'input.toVersion',
            `Version ${input.toVersion} has no catalog, but a published plan must be in one: archive the plan first, or pick another version.`,
          );
        }
        const before = snapshot(plan);
        const diff = diffSettings(before, { settings, status: plan.status });
        refuseUnapproved(context.env, diff, () => 'input.toVersion', `Rolling back to version ${input.toVersion}`);
        applySettings(plan, settings);
        plan.version += 1;
        await recordChange(em, plan, PlanChangeAction.ROLLED_BACK, before, {
          changedBy: context.caller.subject!,
          rolledBackTo: input.toVersion,
        });
        return { plan };
      },
      () => ({ plan: null }),
      {
        uniqueFields: {
          plan_name_key: { field: 'input.toVersion', message: 'Another plan has taken the name this version had: rename that plan first.' },
        },
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
    return runMutation<{ deletedPlanId: string | null }>(
      context,
      async (em) => {
        const plan = await lockPlan(em, input.id);
        if (plan.publishedAt !== null) {
          refuse(
            'ARCHIVE_INSTEAD',
            'input.id',
            'This plan has been published, so developers may hold access under it: archive it with archivePlan instead of deleting it.',
          );
        }
        const id = plan.id;
        em.remove(plan);
        await em.flush();
        await supersedePending(em, id, 'The plan was deleted.', context.clock.now());
        await enqueueJob(em, JOB_TASKS.syncPlan, { planId: id }, { jobKey: `plan:${id}` });
        return { deletedPlanId: id };
      },
      () => ({ deletedPlanId: null }),
    );
  }
}
