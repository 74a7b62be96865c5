import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { userError, UserErrorException, type UserError } from '../../../common/errors';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { PlanChangeAction } from '../entities/enums';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanVersion } from '../entities/plan-version';
import { isUuid, missingCatalogIds } from '../plan.reference';
import {
  applySettings,
  defaultSettings,
  diffSettings,
  normalizeSettings,
  settingsOf,
  validateSettings,
  type PlanSettingsData,
} from '../settings';
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

function refuse(code: string, field: string, message: string): never {
  throw new UserErrorException([userError(code, field, message)]);
}

/** Loads the plan and locks its row for the rest of the transaction (concurrent changes wait). */
async function lockPlan(em: EntityManager, id: string): Promise<Plan> {
  const key = id.trim().toLowerCase();
  const plan = isUuid(key) ? await em.findOne(Plan, { id: key }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!plan) refuse('NOT_FOUND', 'input.id', `No plan has the id ${JSON.stringify(id)}: check the id (plans(filter) lists them).`);
  return plan;
}

function checkVersion(plan: Plan, expectedVersion: number | null | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== null && expectedVersion !== plan.version) {
    refuse(
      'VERSION_CONFLICT',
      'input.expectedVersion',
      `The plan is at version ${plan.version}, not ${expectedVersion}: someone changed it meanwhile. Reload it, then apply your change again.`,
    );
  }
}

async function refuseMissingCatalogs(em: EntityManager, ids: string[], field: string, hint: string): Promise<void> {
  const missing = await missingCatalogIds(em, ids);
  if (missing.length) refuse('NOT_FOUND', field, `No catalog has these ids: ${missing.join(', ')}. ${hint}`);
}

/**
 * Records the plan's new state as an immutable version (diffed against `before`) and enqueues the
 * provider sync, both in the mutation's transaction.
 */
async function recordChange(
  em: EntityManager,
  context: SubgraphContext,
  plan: Plan,
  action: PlanChangeAction,
  before: { settings: PlanSettingsData; status: PlanStatus } | null,
  rolledBackTo: number | null = null,
): Promise<void> {
  const settings = settingsOf(plan);
  em.create(PlanVersion, {
    planId: plan.id,
    version: plan.version,
    action,
    status: plan.status,
    settingsJson: settings as unknown as Record<string, unknown>,
    changesJson: diffSettings(before, { settings, status: plan.status }),
    changedBy: context.caller.subject!,
    rolledBackTo,
  });
  await em.flush();
  await enqueueJob(em, JOB_TASKS.syncPlan, { planId: plan.id }, { jobKey: `plan:${plan.id}` });
}

const snapshot = (plan: Plan) => ({ settings: settingsOf(plan), status: plan.status });

@Resolver()
export class PlanMutationResolver {
  @Mutation(() => CreatePlanPayload, {
    description:
      'Creates a plan (version 1), as DRAFT or directly PUBLISHED (which needs at least one catalog). Portal admins only. Enqueues the provider sync.',
  })
  async createPlan(
    @Arg('input', () => CreatePlanInput, { description: 'The plan to create.' }) input: CreatePlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanPayloadShape> {
    context.caller.requirePortalAdmin();
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const v = new Validation();
        // On create, null for a setting that cannot be null means "the default".
        const given = validateSettings(v, {
          ...input,
          quotaScope: input.quotaScope ?? undefined,
          jwtScopes: input.jwtScopes ?? undefined,
          credentialMetadata: input.credentialMetadata ?? undefined,
          catalogIds: input.catalogIds ?? undefined,
          autoApprove: input.autoApprove ?? undefined,
          tier: input.tier ?? undefined,
        });
        const status = input.status ?? PlanStatus.DRAFT;
        v.check(
          status !== PlanStatus.ARCHIVED,
          'input.status',
          'A new plan is DRAFT or PUBLISHED: create it as DRAFT and archive it with archivePlan if you must.',
          'INVALID_TRANSITION',
        );
        v.done();
        const settings: PlanSettingsData = { ...defaultSettings(given.name!, given.displayName!), ...given };
        await refuseMissingCatalogs(em, settings.catalogIds, 'input.catalogIds', 'Create the catalogs first or remove these ids.');
        if (status === PlanStatus.PUBLISHED && settings.catalogIds.length === 0) {
          refuse('NO_CATALOG', 'input.catalogIds', 'A published plan must be in at least one catalog: give catalogIds, or create the plan as DRAFT.');
        }
        const plan = em.create(Plan, { name: settings.name, displayName: settings.displayName, status });
        applySettings(plan, settings);
        if (status === PlanStatus.PUBLISHED) plan.publishedAt = new Date();
        await recordChange(em, context, plan, PlanChangeAction.CREATED, null);
        return { plan };
      },
      () => ({ plan: null }),
      { uniqueFields: { plan_name_key: NAME_TAKEN } },
    );
  }

  @Mutation(() => UpdatePlanPayload, {
    description:
      'Changes some settings of a DRAFT or PUBLISHED plan (fields left out keep their value) and records a new version. A change that changes nothing records nothing. Portal admins only. Enqueues the provider sync.',
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
          refuse('INVALID_TRANSITION', 'input.id', 'Archived plans cannot be changed: re-publish it with publishPlan first, or create a new plan.');
        }
        const v = new Validation();
        const changes = validateSettings(v, input);
        v.done();
        if (changes.catalogIds) await refuseMissingCatalogs(em, changes.catalogIds, 'input.catalogIds', 'Create the catalogs first or remove these ids.');
        const before = snapshot(plan);
        const after = { ...before.settings, ...changes };
        if (plan.status === PlanStatus.PUBLISHED && after.catalogIds.length === 0) {
          refuse('NO_CATALOG', 'input.catalogIds', 'A published plan must stay in at least one catalog: keep one, or archive the plan.');
        }
        if (diffSettings(before, { settings: after, status: plan.status }).length === 0) return { plan };
        applySettings(plan, changes);
        plan.version += 1;
        await recordChange(em, context, plan, PlanChangeAction.UPDATED, before);
        return { plan };
      },
      () => ({ plan: null }),
      { uniqueFields: { plan_name_key: NAME_TAKEN } },
    );
  }

  @Mutation(() => PublishPlanPayload, {
    description:
      'Publishes a DRAFT plan, or re-publishes an ARCHIVED one, so developers see it in its catalogs. Needs at least one existing catalog. Portal admins only. Enqueues the provider sync.',
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
        const missing = new Set(await missingCatalogIds(em, plan.catalogIds));
        if (!plan.catalogIds.some((id) => !missing.has(id))) {
          refuse('NO_CATALOG', 'input.id', 'The plan is in no (existing) catalog: add one with updatePlan(catalogIds), then publish it.');
        }
        const before = snapshot(plan);
        plan.status = PlanStatus.PUBLISHED;
        plan.publishedAt = new Date();
        plan.archivedAt = null;
        plan.version += 1;
        await recordChange(em, context, plan, PlanChangeAction.PUBLISHED, before);
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
        plan.archivedAt = new Date();
        plan.version += 1;
        await recordChange(em, context, plan, PlanChangeAction.ARCHIVED, before);
        return { plan };
      },
      () => ({ plan: null }),
    );
  }

  @Mutation(() => RollbackPlanPayload, {
    description:
      'Restores the settings of an older version as a NEW version (history is never rewritten); the status does not change. Portal admins only. Enqueues the provider sync.',
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
        const target = Number.isInteger(input.toVersion) ? await em.findOne(PlanVersion, { planId: plan.id, version: input.toVersion }) : null;
        if (!target) {
          refuse('NOT_FOUND', 'input.toVersion', `The plan has no version ${input.toVersion}: pick one from planVersions (1 to ${plan.version}).`);
        }
        const settings = normalizeSettings(target.settingsJson);
        await refuseMissingCatalogs(
          em,
          settings.catalogIds,
          'input.toVersion',
          `Version ${input.toVersion} names catalogs that were deleted since: change the catalogs with updatePlan instead.`,
        );
        if (plan.status === PlanStatus.PUBLISHED && settings.catalogIds.length === 0) {
          refuse('NO_CATALOG', 'input.toVersion', `Version ${input.toVersion} has no catalog, but a published plan must be in one: archive the plan first, or pick another version.`);
        }
        const before = snapshot(plan);
        applySettings(plan, settings);
        plan.version += 1;
        await recordChange(em, context, plan, PlanChangeAction.ROLLED_BACK, before, input.toVersion);
        return { plan };
      },
      () => ({ plan: null }),
      { uniqueFields: { plan_name_key: { field: 'input.toVersion', message: 'Another plan has taken the name this version had: rename that plan first.' } } },
    );
  }

  @Mutation(() => DeletePlanPayload, {
    description:
      'Deletes a plan that was never published (so nobody can have had access under it); its version history stays. Published plans are archived instead (ARCHIVE_INSTEAD). Portal admins only. Enqueues the provider sync.',
  })
  async deletePlan(
    @Arg('input', () => DeletePlanInput, { description: 'The plan to delete.' }) input: DeletePlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ deletedPlanId: string | null; errors: UserError[] }> {
    context.caller.requirePortalAdmin();
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
        await enqueueJob(em, JOB_TASKS.syncPlan, { planId: id }, { jobKey: `plan:${id}` });
        return { deletedPlanId: id };
      },
      () => ({ deletedPlanId: null }),
    );
  }
}
