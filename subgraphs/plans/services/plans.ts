/**
 * The plan use cases: create, update, publish, archive, roll back, delete. Each runs inside the
 * mutation's transaction (`runMutation`), after the resolver has checked that the caller is a
 * portal admin, and records the change as a new version with the provider sync enqueued in the
 * same transaction (`change-rules.ts`).
 */
import { refuse } from '../../../common/errors';
import { canonicalInput, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import { missingCatalogIds } from '../contracts/products';
import { supersedePending } from '../data/plan-change-requests';
import { lockPlan } from '../data/plans';
import { PlanChangeAction } from '../entities/enums';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanVersion } from '../entities/plan-version';
import {
  checkVersion,
  INPUT_FIELD,
  recordChange,
  refuseMissingCatalogs,
  refuseMissingProducts,
  refuseScopelessOAuthClients,
  refuseUnapproved,
  snapshot,
  type Ops,
} from './change-rules';
import { applySettings, defaultSettings, diffSettings, normalizeSettings, type PlanSettingsData } from './settings';
import { validateSettings, type SettingsInput } from './validation';
import { checkKey, checkManagedBy } from '../../../common/catalog-labels';
import { recordWebhookEvent } from '../../../common/webhooks';

export type PlanResult = { plan: Plan | null };
export type DeletePlanResult = { deletedPlanId: string | null };

/** `createPlan`: the plan's settings (left out or null: the defaults), its status and the idempotency key. */
export interface CreatePlanCommand extends SettingsInput {
  name: string;
  displayName: string;
  status?: PlanStatus | null;
  key?: string | null;
  managedBy?: string | null;
  idempotencyKey?: string | null;
}

/** `updatePlan`: the plan, the version edited and the settings to change (left out: kept). */
export interface UpdatePlanCommand extends SettingsInput {
  id: string;
  expectedVersion?: number | null;
  /** Labels, not settings: no version, no approval. */
  key?: string | null;
  managedBy?: string | null;
}

/** `publishPlan`, `archivePlan`: the plan and the version seen. */
export interface PlanTransitionCommand {
  id: string;
  expectedVersion?: number | null;
}

/** `rollbackPlan`: the plan, the version seen and the version to restore. */
export interface RollbackPlanCommand extends PlanTransitionCommand {
  toVersion: number;
}

/** `deletePlan`: the plan. */
export interface DeletePlanCommand {
  id: string;
}

/** Unique-constraint violations `runMutation` reports for create and update. */
export const NAME_TAKEN = {
  plan_name_key: { field: 'input.name', message: 'A plan with this name exists already: choose another name.' },
  plan_key_key: { field: 'input.key', message: 'A plan with this key exists already: choose another key.' },
};

/** Unique-constraint violations `runMutation` reports for a rollback. */
export const ROLLBACK_NAME_TAKEN = {
  plan_name_key: { field: 'input.toVersion', message: 'Another plan has taken the name this version had: rename that plan first.' },
};

/** `createPlan`: a new plan (version 1), DRAFT or PUBLISHED. */
export async function createPlan({ em, now, env }: Ops, subject: string, input: CreatePlanCommand): Promise<PlanResult> {
  const idempotency = idempotentCall('plans', subject, 'createPlan', input.idempotencyKey, canonicalInput(input));
  return runIdempotent<{ plan: Plan | null }>(em, idempotency, now, {
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
      const key = checkKey(v, input.key, 'input.key') ?? null;
      const managedBy = checkManagedBy(v, input.managedBy, 'input.managedBy') ?? null;
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
          env,
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
      const plan = em.create(Plan, { name: settings.name, displayName: settings.displayName, status, key, managedBy });
      applySettings(plan, settings);
      if (status === PlanStatus.PUBLISHED) plan.publishedAt = now;
      await recordChange(em, plan, PlanChangeAction.CREATED, null, { changedBy: subject });
      return { plan };
    },
  });
}

/** `updatePlan`: some settings of a DRAFT or PUBLISHED plan; a change that changes nothing records nothing. */
export async function updatePlan({ em, env }: Ops, subject: string, input: UpdatePlanCommand): Promise<PlanResult> {
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
  const key = checkKey(v, input.key, 'input.key');
  const managedBy = checkManagedBy(v, input.managedBy, 'input.managedBy');
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
  if (key !== undefined) plan.key = key;
  if (managedBy !== undefined) plan.managedBy = managedBy;
  if (diff.length === 0) {
    await em.flush();
    return { plan };
  }
  refuseUnapproved(env, diff, (c) => `input.${INPUT_FIELD[c.field] ?? c.field}`, 'This update');
  applySettings(plan, changes);
  plan.version += 1;
  await recordChange(em, plan, PlanChangeAction.UPDATED, before, { changedBy: subject });
  return { plan };
}

/** `publishPlan`: a DRAFT or ARCHIVED plan becomes PUBLISHED (it needs an existing catalog). */
export async function publishPlan({ em, now, env }: Ops, subject: string, input: PlanTransitionCommand): Promise<PlanResult> {
  const plan = await lockPlan(em, input.id);
  checkVersion(plan, input.expectedVersion);
  if (plan.status === PlanStatus.PUBLISHED) refuse('INVALID_TRANSITION', 'input.id', 'The plan is published already.');
  refuseUnapproved(
    env,
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
  plan.publishedAt = now;
  plan.archivedAt = null;
  plan.version += 1;
  await recordChange(em, plan, PlanChangeAction.PUBLISHED, before, { changedBy: subject });
  return { plan };
}

/** `archivePlan`: a DRAFT or PUBLISHED plan becomes ARCHIVED. */
export async function archivePlan({ em, now }: Ops, subject: string, input: PlanTransitionCommand): Promise<PlanResult> {
  const plan = await lockPlan(em, input.id);
  checkVersion(plan, input.expectedVersion);
  if (plan.status === PlanStatus.ARCHIVED) refuse('INVALID_TRANSITION', 'input.id', 'The plan is archived already.');
  const before = snapshot(plan);
  plan.status = PlanStatus.ARCHIVED;
  plan.archivedAt = now;
  plan.version += 1;
  await recordChange(em, plan, PlanChangeAction.ARCHIVED, before, { changedBy: subject });
  return { plan };
}

/** `rollbackPlan`: the settings of an older version, restored as a new version (the status stays). */
export async function rollbackPlan({ em, env }: Ops, subject: string, input: RollbackPlanCommand): Promise<PlanResult> {
  const plan = await lockPlan(em, input.id);
  checkVersion(plan, input.expectedVersion);
  if (plan.status === PlanStatus.ARCHIVED) {
    refuse('INVALID_TRANSITION', 'input.id', 'Archived plans cannot be changed: re-publish it with publishPlan first.');
  }
  const target = Number.isInteger(input.toVersion) ? await em.findOne(PlanVersion, { planId: plan.id, version: input.toVersion }) : null;
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
  refuseUnapproved(env, diff, () => 'input.toVersion', `Rolling back to version ${input.toVersion}`);
  applySettings(plan, settings);
  plan.version += 1;
  await recordChange(em, plan, PlanChangeAction.ROLLED_BACK, before, {
    changedBy: subject,
    rolledBackTo: input.toVersion,
  });
  return { plan };
}

/** `deletePlan`: a plan that was never published; its pending change requests are superseded. */
export async function deletePlan({ em, now }: Ops, input: DeletePlanCommand): Promise<DeletePlanResult> {
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
  await supersedePending(em, id, 'The plan was deleted.', now);
  await enqueueJob(em, JOB_TASKS.syncPlan, { planId: id }, { jobKey: `plan:${id}` });
  await recordWebhookEvent(em, { type: 'PLAN_DELETED', organizationId: null, occurredAt: now, data: { planId: id } });
  return { deletedPlanId: id };
}
