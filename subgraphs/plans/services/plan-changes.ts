/**
 * Separation of duties for plan changes: `proposePlanChange` records what one portal admin wants
 * to change (with its diff), and a DIFFERENT portal admin applies it (`approvePlanChange`, as a new
 * plan version carrying `approvedBy`) or turns it down (`rejectPlanChange`). A request applies only
 * to the plan version it was proposed against; otherwise it becomes SUPERSEDED. Each use case runs
 * inside the mutation's transaction (`runMutation`), after the resolver has checked that the caller
 * is a portal admin.
 */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { refuse, userError, type UserError } from '../../../common/errors';
import { canonicalInput, checkIdempotencyKey, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { Validation } from '../../../common/mutation';
import { missingCatalogIds } from '../contracts/products';
import { lockRequest } from '../data/plan-change-requests';
import { lockPlan } from '../data/plans';
import { PlanChangeAction } from '../entities/enums';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanChangeRequest, PlanChangeRequestStatus, type ProposedPlanChange } from '../entities/plan-change-request';
import {
  checkVersion,
  recordChange,
  refuseMissingCatalogs,
  refuseMissingProducts,
  snapshot,
  type Ops,
  type PlanSnapshot,
} from './change-rules';
import { MAX_REASON } from './limits';
import { applySettings, diffSettings, normalizeSettings, type PlanSettingsData, type SettingChange } from './settings';
import { validateSettings, type SettingsInput } from './validation';
import { recordWebhookEvent } from '../../../common/webhooks';
import { stagingProblems, type StagingInput } from '../../../common/staging';
import { normalizeRollout, startRollout } from './plan-rollouts';

/** Unique-constraint violations `runMutation` reports for an approval. */
export const APPROVAL_NAME_TAKEN = {
  plan_name_key: {
    field: 'input.id',
    message: 'Another plan has taken the name this change gives: reject it, or rename that plan first.',
  },
};

/** `proposePlanChange`: the plan, the version edited, the changes (settings and status) and why. */
export interface ProposePlanChangeCommand {
  id: string;
  expectedVersion?: number | null;
  changes: SettingsInput & { status?: PlanStatus | null };
  reason: string;
  idempotencyKey?: string | null;
}

/** `approvePlanChange`: the request, and optionally a staged rollout instead of applying it at once. */
export interface ApprovePlanChangeCommand {
  id: string;
  rollout?: StagingInput | null;
  idempotencyKey?: string | null;
}

/** `rejectPlanChange`: the request and why. */
export interface RejectPlanChangeCommand {
  id: string;
  reason: string;
  idempotencyKey?: string | null;
}

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

export type RequestResult = { changeRequest: PlanChangeRequest | null; errors?: UserError[] };
export type ApproveResult = RequestResult & { plan: Plan | null };

/** `proposePlanChange`: a PENDING change request with its diff against the plan's current version. */
export async function proposePlanChange({ em, now }: Ops, subject: string, input: ProposePlanChangeCommand): Promise<RequestResult> {
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
  return runIdempotent<RequestResult>(em, idempotency, now, {
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
        createdAt: now,
        baseVersion: plan.version,
        proposedJson: { settings: settings as Record<string, unknown>, status: status as ProposedPlanChange['status'] },
        changesJson: diff,
        reason,
      });
      await em.flush();
      await recordWebhookEvent(em, {
        type: 'PLAN_CHANGE_PROPOSED',
        organizationId: null,
        occurredAt: now,
        data: { planChangeRequestId: changeRequest.id, planId: plan.id, proposedBy: subject },
      });
      return { changeRequest };
    },
  });
}

/** `approvePlanChange`: applies a PENDING request as a new plan version, or supersedes it when the plan moved on. */
export async function approvePlanChange(ops: Ops, subject: string, input: ApprovePlanChangeCommand): Promise<ApproveResult> {
  const { em, now } = ops;
  const v = new Validation();
  if (input.rollout) for (const problem of stagingProblems(input.rollout)) v.fail(`input.rollout.${problem.field}`, problem.message);
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const rollout = input.rollout ? normalizeRollout(input.rollout) : null;
  const idempotency = idempotentCall('plans', subject, 'approvePlanChange', input.idempotencyKey, {
    id: input.id.trim().toLowerCase(),
    ...(rollout ? { rollout } : {}),
  });
  return runIdempotent<ApproveResult>(em, idempotency, now, {
    replay: async (first) => {
      const changeRequest = await replayedRequest(em, first.resultId);
      return { changeRequest, plan: await em.findOne(Plan, { id: changeRequest.planId }, { refresh: true }) };
    },
    // A SUPERSEDED answer commits but is an error: it stores no key.
    resultOf: (result) => (result.errors?.length ? null : { id: result.changeRequest!.id }),
    run: async () => {
      const request = await lockRequest(em, input.id);
      refuseUndecidable(request, subject, 'approve');
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
      if (rollout) {
        await startRollout(ops, subject, request, plan, rollout);
        return { changeRequest: request, plan };
      }
      await applyChange(ops, request, plan, subject, 'input.id');
      return { changeRequest: request, plan };
    },
  });
}

/**
 * Applies a change request to its (locked) plan as a new version approved by `approvedBy`: the
 * request ends APPROVED, the version is recorded (with the provider sync) and PLAN_CHANGE_APPROVED
 * recorded. The caller has checked that the plan is still at the request's base version.
 */
export async function applyChange(
  { em, now }: Ops,
  request: PlanChangeRequest,
  plan: Plan,
  approvedBy: string,
  field: string,
): Promise<void> {
  const change = readProposal(request.proposedJson);
  const { before, after } = await afterChange(em, plan, change, field);
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
  request.decidedBy = approvedBy;
  request.decidedAt = now;
  request.appliedVersion = plan.version;
  await em.flush();
  await recordChange(em, plan, PlanChangeAction.UPDATED, before, { changedBy: request.proposedBy, approvedBy });
  await recordWebhookEvent(em, {
    type: 'PLAN_CHANGE_APPROVED',
    organizationId: null,
    occurredAt: now,
    data: { planChangeRequestId: request.id, planId: plan.id, approvedBy, version: plan.version },
  });
}

/** `rejectPlanChange`: turns a PENDING request down with a reason; the plan does not change. */
export async function rejectPlanChange({ em, now }: Ops, subject: string, input: RejectPlanChangeCommand): Promise<RequestResult> {
  const v = new Validation();
  const reason = checkReason(v, input.reason, 'input.reason');
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('plans', subject, 'rejectPlanChange', input.idempotencyKey, {
    id: input.id.trim().toLowerCase(),
    reason,
  });
  return runIdempotent<RequestResult>(em, idempotency, now, {
    replay: async (first) => ({ changeRequest: await replayedRequest(em, first.resultId) }),
    resultOf: (result) => ({ id: result.changeRequest!.id }),
    run: async () => {
      const request = await lockRequest(em, input.id);
      refuseUndecidable(request, subject, 'reject');
      request.status = PlanChangeRequestStatus.REJECTED;
      request.decidedBy = subject;
      request.decidedAt = now;
      request.decisionReason = reason;
      await em.flush();
      await recordWebhookEvent(em, {
        type: 'PLAN_CHANGE_REJECTED',
        organizationId: null,
        occurredAt: now,
        data: { planChangeRequestId: request.id, planId: request.planId, rejectedBy: subject },
      });
      return { changeRequest: request };
    },
  });
}
