/**
 * Separation of duties for plan changes: `proposePlanChange` records what one portal admin wants
 * to change (with its diff), and a DIFFERENT portal admin applies it (`approvePlanChange`, as a new
 * plan version carrying `approvedBy`) or turns it down (`rejectPlanChange`). A request applies only
 * to the plan version it was proposed against; otherwise it becomes SUPERSEDED.
 */
import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { badInput, userError, UserError } from '../../../common/errors';
import { byKeys, requestLoader } from '../../../common/loaders';
import { runMutation, Validation } from '../../../common/mutation';
import {
  canonicalInput,
  checkIdempotencyKey,
  firstResultGone,
  idempotencyKeyDescription,
  idempotentCall,
  runIdempotent,
} from '../../../common/idempotency';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { PlanChangeAction } from '../entities/enums';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanChangeRequest, PlanChangeRequestStatus, type ProposedPlanChange } from '../entities/plan-change-request';
import { PlanSettingChange } from '../entities/plan-version';
import {
  checkVersion,
  recordChange,
  refuseMissingCatalogs,
  refuseMissingProducts,
  snapshot,
  type PlanSnapshot,
} from '../services/change-rules';
import { lockPlan } from '../data/plans';
import { lockRequest } from '../data/plan-change-requests';
import { refuse } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { missingCatalogIds } from '../contracts/products';
import { applySettings, diffSettings, normalizeSettings, type PlanSettingsData, type SettingChange } from '../services/settings';
import { validateSettings } from '../services/validation';
import { MAX_REASON } from '../services/limits';
import { PlanSettingsChanges } from './plan.types';

export const PlanChangeRequestConnection = connectionType(PlanChangeRequest, 'PlanChangeRequest', 'plan change request');

@InputType({
  description:
    'The changes a proposal makes: the same fields as `UpdatePlanInput` (only the fields given change; for nullable settings an explicit null means unset/unlimited), plus an optional status.',
})
export class PlanChangesInput extends PlanSettingsChanges {
  @Field(() => PlanStatus, {
    nullable: true,
    description:
      'PUBLISHED publishes (or re-publishes an ARCHIVED plan; needs a catalog), ARCHIVED archives; DRAFT is refused. Left out: the status stays.',
  })
  status?: PlanStatus | null;
}

@InputType({ description: 'A change of a plan for a second portal admin to approve.' })
export class ProposePlanChangeInput {
  @Field(() => ID, { description: 'The plan to change.' })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you edited; when given and the plan has moved on, nothing is proposed (VERSION_CONFLICT).',
  })
  expectedVersion?: number | null;

  @Field(() => PlanChangesInput, { description: 'What to change.' })
  changes!: PlanChangesInput;

  @Field(() => String, { description: `Why, for the approver: 1–${MAX_REASON} characters.` })
  reason!: string;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same change request, as it is now (a setting sent as null, which unsets it, differs from one left out)',
    ),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which change request to approve.' })
export class ApprovePlanChangeInput {
  @Field(() => ID, { description: 'The PENDING change request.' })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription('the same change request and plan, as they are now (a SUPERSEDED answer stores no key)'),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which change request to reject, and why.' })
export class RejectPlanChangeInput {
  @Field(() => ID, { description: 'The PENDING change request.' })
  id!: string;

  @Field(() => String, { description: `Why it is rejected, for the proposer: 1–${MAX_REASON} characters.` })
  reason!: string;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription('the same change request, as it is now (the reason compared after trimming)'),
  })
  idempotencyKey?: string | null;
}

@ObjectType({ description: 'Result of `proposePlanChange`.' })
export class ProposePlanChangePayload {
  @Field(() => PlanChangeRequest, { nullable: true, description: 'The new PENDING request; null when `errors` is not empty.' })
  changeRequest!: PlanChangeRequest | null;

  @Field(() => [UserError], { description: 'Why nothing was proposed; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `approvePlanChange`.' })
export class ApprovePlanChangePayload {
  @Field(() => PlanChangeRequest, {
    nullable: true,
    description:
      'The request: APPROVED on success; SUPERSEDED when the plan changed or was deleted meanwhile (then `errors` says so); null for other errors.',
  })
  changeRequest!: PlanChangeRequest | null;

  @Field(() => Plan, { nullable: true, description: 'The plan with the change applied (a new version); null when `errors` is not empty.' })
  plan!: Plan | null;

  @Field(() => [UserError], { description: 'Why nothing was applied; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `rejectPlanChange`.' })
export class RejectPlanChangePayload {
  @Field(() => PlanChangeRequest, { nullable: true, description: 'The REJECTED request; null when `errors` is not empty.' })
  changeRequest!: PlanChangeRequest | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

@ArgsType()
class PlanChangeRequestsArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only requests for this plan.' })
  planId?: string | null;

  @Field(() => PlanChangeRequestStatus, { nullable: true, description: 'Only requests with this status (e.g. PENDING: the review queue).' })
  status?: PlanChangeRequestStatus | null;
}

// ---------------------------------------------------------------------------------------------

/** A proposal as stored, read back in one fixed shape (jsonb reorders object keys). */
export function readProposal(json: unknown): { settings: Partial<PlanSettingsData>; status: PlanStatus | null } {
  const raw = (typeof json === 'string' ? JSON.parse(json) : json) as ProposedPlanChange;
  const given = (raw?.settings ?? {}) as Record<string, unknown>;
  const normalized = normalizeSettings({ name: '', displayName: '', ...given }) as unknown as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const key of Object.keys(given)) if (key in normalized) settings[key] = normalized[key];
  const status = raw?.status === 'PUBLISHED' ? PlanStatus.PUBLISHED : raw?.status === 'ARCHIVED' ? PlanStatus.ARCHIVED : null;
  return { settings: settings as Partial<PlanSettingsData>, status };
}

/**
 * Checks a change can be applied to the plan as it is now and returns the state after it (and the
 * diff). Refuses like the direct mutations would: archived plans change only by being re-published,
 * catalogs must exist, a published plan needs a catalog.
 */
async function afterChange(
  em: EntityManager,
  plan: Plan,
  change: { settings: Partial<PlanSettingsData>; status: PlanStatus | null },
  field: string,
): Promise<{ before: PlanSnapshot; after: PlanSnapshot; diff: SettingChange[] }> {
  const before = snapshot(plan);
  const status = change.status ?? plan.status;
  const settings = { ...before.settings, ...change.settings };
  const settingsChange = diffSettings(before, { settings, status: before.status }).length > 0;
  if (plan.status === PlanStatus.ARCHIVED && status === PlanStatus.ARCHIVED && settingsChange) {
    refuse(
      'INVALID_TRANSITION',
      field,
      'Archived plans cannot be changed: propose `status: PUBLISHED` with the change to re-publish it, or create a new plan.',
    );
  }
  if (change.settings.catalogIds)
    await refuseMissingCatalogs(em, change.settings.catalogIds, field, 'Create the catalogs first or remove these ids.');
  if (change.settings.endpointRules)
    await refuseMissingProducts(em, change.settings.endpointRules, field === 'input.changes' ? 'input.changes.endpointRules' : field);
  if (status === PlanStatus.PUBLISHED) {
    const missing = new Set(await missingCatalogIds(em, settings.catalogIds));
    if (!settings.catalogIds.some((id) => !missing.has(id))) {
      refuse('NO_CATALOG', field, 'A published plan must be in at least one (existing) catalog: include catalogIds in the change.');
    }
  }
  const after = { settings, status };
  return { before, after, diff: diffSettings(before, after) };
}

function refuseUndecidable(request: PlanChangeRequest, subject: string, what: 'approve' | 'reject'): void {
  if (request.proposedBy === subject) {
    refuse(
      'SELF_APPROVAL_FORBIDDEN',
      'input.id',
      `You proposed this change, so you cannot ${what} it: another portal admin must decide it (separation of duties).`,
    );
  }
  if (request.status !== PlanChangeRequestStatus.PENDING) {
    refuse('INVALID_TRANSITION', 'input.id', `This request is ${request.status} already; only PENDING requests can be decided.`);
  }
}

function checkReason(v: Validation, raw: string, field: string): string {
  const reason = raw.trim();
  v.check(reason.length >= 1 && reason.length <= MAX_REASON, field, `Give a reason of 1 to ${MAX_REASON} characters.`);
  return reason;
}

/** A change request by id, for a replay: the first result, as it is now. */
async function replayedRequest(em: EntityManager, id: string): Promise<PlanChangeRequest> {
  const request = await em.findOne(PlanChangeRequest, { id }, { refresh: true });
  if (!request) throw firstResultGone('plan change request');
  return request;
}

type RequestResult = { changeRequest: PlanChangeRequest | null; errors?: UserError[] };
type ApproveResult = RequestResult & { plan: Plan | null };

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
      async (em) => {
        const v = new Validation();
        const settings = validateSettings(v, input.changes, 'input.changes');
        const status = input.changes.status ?? null;
        v.check(
          status !== PlanStatus.DRAFT,
          'input.changes.status',
          'A plan never goes back to DRAFT: propose PUBLISHED or ARCHIVED, or leave `status` out.',
          'INVALID_TRANSITION',
        );
        const reason = checkReason(v, input.reason, 'input.reason');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        // A setting sent as null unsets it, so it must differ from one left out: the settings go in as [name, value] pairs.
        const idempotency = idempotentCall(
          'plans',
          subject,
          'proposePlanChange',
          input.idempotencyKey,
          canonicalInput({
            id: input.id.trim().toLowerCase(),
            expectedVersion: input.expectedVersion,
            settings: Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
            status,
            reason,
          }),
        );
        return runIdempotent<RequestResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => ({ changeRequest: await replayedRequest(em, first.resultId) }),
          resultOf: (result) => ({ id: result.changeRequest!.id }),
          run: async () => {
            const plan = await lockPlan(em, input.id);
            checkVersion(plan, input.expectedVersion);
            if (
              settings.name !== undefined &&
              settings.name !== plan.name &&
              (await em.count(Plan, { name: settings.name, id: { $ne: plan.id } }))
            ) {
              refuse('ALREADY_EXISTS', 'input.changes.name', 'A plan with this name exists already: choose another name.');
            }
            const { diff } = await afterChange(em, plan, { settings, status }, 'input.changes');
            if (!diff.length) refuse('NO_CHANGES', 'input.changes', 'The plan has these settings already: there is nothing to propose.');
            const changeRequest = em.create(PlanChangeRequest, {
              planId: plan.id,
              proposedBy: subject,
              createdAt: context.clock.now(),
              baseVersion: plan.version,
              proposedJson: { settings: settings as Record<string, unknown>, status: status as ProposedPlanChange['status'] },
              changesJson: diff,
              reason,
            });
            await em.flush();
            return { changeRequest };
          },
        });
      },
      () => ({ changeRequest: null }),
    );
  }

  @Mutation(() => ApprovePlanChangePayload, {
    description:
      'Applies a PENDING change request as a new plan version (action UPDATED, `changedBy` = the proposer, `approvedBy` = you) and enqueues the provider sync. Only a portal admin other than the proposer (SELF_APPROVAL_FORBIDDEN). When the plan changed since the proposal (or was deleted) nothing is applied: the request becomes SUPERSEDED and the error is VERSION_CONFLICT (NOT_FOUND for a deleted plan). Portal admins only.',
  })
  async approvePlanChange(
    @Arg('input', () => ApprovePlanChangeInput, { description: 'The request.' }) input: ApprovePlanChangeInput,
    @Ctx() context: SubgraphContext,
  ): Promise<ApproveResult> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<ApproveResult>(
      context,
      async (em) => {
        const idempotency = idempotentCall('plans', subject, 'approvePlanChange', input.idempotencyKey, {
          id: input.id.trim().toLowerCase(),
        });
        return runIdempotent<ApproveResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => {
            const changeRequest = await replayedRequest(em, first.resultId);
            return { changeRequest, plan: await em.findOne(Plan, { id: changeRequest.planId }, { refresh: true }) };
          },
          // A SUPERSEDED answer commits but is an error: it stores no key.
          resultOf: (result) => (result.errors?.length ? null : { id: result.changeRequest!.id }),
          run: async () => {
            const request = await lockRequest(em, input.id);
            refuseUndecidable(request, subject, 'approve');
            const now = context.clock.now();
            const plan = await em.findOne(Plan, { id: request.planId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
            if (!plan || plan.version !== request.baseVersion) {
              // Committed on purpose: the request can never be applied any more.
              request.status = PlanChangeRequestStatus.SUPERSEDED;
              request.decidedAt = now;
              request.decisionReason = plan
                ? `The plan changed to version ${plan.version} after this change was proposed against version ${request.baseVersion}: propose it again.`
                : 'The plan was deleted.';
              await em.flush();
              const error = plan
                ? userError(
                    'VERSION_CONFLICT',
                    'input.id',
                    `The plan is at version ${plan.version}, not ${request.baseVersion} as when this change was proposed: it is SUPERSEDED now. Propose the change again against the current settings.`,
                  )
                : userError('NOT_FOUND', 'input.id', 'The plan was deleted since this change was proposed: the request is SUPERSEDED now.');
              return { changeRequest: request, plan: null, errors: [error] };
            }
            const change = readProposal(request.proposedJson);
            const { before, after } = await afterChange(em, plan, change, 'input.id');
            applySettings(plan, change.settings);
            if (after.status !== plan.status) {
              if (after.status === PlanStatus.PUBLISHED) {
                plan.publishedAt = now;
                plan.archivedAt = null;
              } else if (after.status === PlanStatus.ARCHIVED) {
                plan.archivedAt = now;
              }
              plan.status = after.status;
            }
            plan.version += 1;
            request.status = PlanChangeRequestStatus.APPROVED;
            request.decidedBy = subject;
            request.decidedAt = now;
            request.appliedVersion = plan.version;
            await em.flush();
            await recordChange(em, plan, PlanChangeAction.UPDATED, before, { changedBy: request.proposedBy, approvedBy: subject });
            return { changeRequest: request, plan };
          },
        });
      },
      () => ({ changeRequest: null, plan: null }),
      {
        uniqueFields: {
          plan_name_key: {
            field: 'input.id',
            message: 'Another plan has taken the name this change gives: reject it, or rename that plan first.',
          },
        },
      },
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
      async (em) => {
        const v = new Validation();
        const reason = checkReason(v, input.reason, 'input.reason');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('plans', subject, 'rejectPlanChange', input.idempotencyKey, {
          id: input.id.trim().toLowerCase(),
          reason,
        });
        return runIdempotent<RequestResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => ({ changeRequest: await replayedRequest(em, first.resultId) }),
          resultOf: (result) => ({ id: result.changeRequest!.id }),
          run: async () => {
            const request = await lockRequest(em, input.id);
            refuseUndecidable(request, subject, 'reject');
            request.status = PlanChangeRequestStatus.REJECTED;
            request.decidedBy = subject;
            request.decidedAt = context.clock.now();
            request.decisionReason = reason;
            await em.flush();
            return { changeRequest: request };
          },
        });
      },
      () => ({ changeRequest: null }),
    );
  }
}

/** Batched `__resolveReference` for PlanChangeRequest: portal admins only (others get null). */
export function resolvePlanChangeRequestReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id).toLowerCase();
  if (!isUuid(id) || !context.caller.isPortalAdmin) return null;
  return requestLoader<string, PlanChangeRequest | null>(context, 'planChangeRequest', async (ids) => {
    const rows = await context.em.find(PlanChangeRequest, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (r) => r.id);
  }).load(id);
}
