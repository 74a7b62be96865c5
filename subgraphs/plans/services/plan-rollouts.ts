/**
 * Staged rollouts of plan changes. `approvePlanChange` with `rollout` does not apply the change:
 * the request is ROLLING_OUT and a `PlanRollout` gives the change's limits (the candidate limits,
 * `plans.plan_rollout_contract`) to a deterministic share of the plan's credentials (its members,
 * `plans.plan_rollout_member_contract`); the provider subgraph puts their keys on a candidate
 * policy. Once a stage's window has passed, `plans.evaluatePlanRollout` compares the members'
 * traffic with the other credentials' (`usage.credential_usage_contract`) by the shared staging
 * rules (`common/staging.ts`): it widens (the next stage's share joins), holds, or rolls back (every
 * key back on the plan's limits; the request ROLLED_BACK). When the stage before 100 % is healthy
 * the change is applied to the plan as an approval does (new version, APPROVED).
 */
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { refusal, UserErrorException } from '../../../common/errors';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import type { Ops } from '../../../common/ops';
import { query, relationExists } from '../../../common/sql';
import { readCredentialTraffic } from '../../../common/contracts/credential-usage';
import type { PlanRolloutNoticePayload, PlanRolloutNoticeStep } from '../../../common/job-payloads';
import { cohortBucket, judgeStage, STAGING_DEFAULTS, type Figures, type StagingInput, stepFigures } from '../../../common/staging';
import { recordWebhookEvent } from '../../../common/webhooks';
import { Plan } from '../entities/plan';
import { PlanChangeRequest, PlanChangeRequestStatus } from '../entities/plan-change-request';
import { PlanRollout, PlanRolloutMember, PlanRolloutStatus, PlanRolloutStep, PlanRolloutStepAction } from '../entities/plan-rollout';
import { MAX_REASON } from './limits';
import { applyChange, readProposal } from './plan-changes';

/** Settings a rollout can give a share of the credentials: the ones their Tyk keys enforce. */
export const STAGEABLE_SETTINGS = ['quota', 'rateLimit', 'quotaScope'] as const;

/** A rollout's staging, with the defaults filled in. */
export interface RolloutSettings {
  stages: number[];
  stageDurationSeconds: number;
  maxErrorRateDeltaPercent: number;
  maxLatencyRatioPercent: number;
  minRequests: number;
}

export function normalizeRollout(input: StagingInput): RolloutSettings {
  return {
    stages: [...input.stages],
    stageDurationSeconds: input.stageDurationSeconds,
    maxErrorRateDeltaPercent: input.maxErrorRateDeltaPercent ?? STAGING_DEFAULTS.maxErrorRateDeltaPercent,
    maxLatencyRatioPercent: input.maxLatencyRatioPercent ?? STAGING_DEFAULTS.maxLatencyRatioPercent,
    minRequests: input.minRequests ?? STAGING_DEFAULTS.minRequests,
  };
}

/** The percentage of the plan's credentials the current stage covers. */
export function currentPercent(rollout: PlanRollout): number {
  return rollout.stages[Math.min(rollout.stageIndex, rollout.stages.length - 1)] ?? 100;
}

/** When the current stage is due for its next evaluation; null unless RUNNING. */
export function nextEvaluationAt(rollout: PlanRollout): Date | null {
  if (rollout.status !== PlanRolloutStatus.RUNNING) return null;
  return new Date(rollout.stageStartedAt.getTime() + (rollout.holds + 1) * rollout.stageDurationSeconds * 1000);
}

/** The job key of a rollout's evaluation: one queued at a time. */
export function evaluationJobKey(rolloutId: string): string {
  return `plan-rollout-evaluate:${rolloutId}`;
}

/** Tells the provider subgraph to put the plan's keys where the rollout says (job key per plan: coalesces). */
async function syncKeys(em: EntityManager, planId: string): Promise<void> {
  await enqueueJob(em, JOB_TASKS.syncPlanRollout, { planId }, { jobKey: `plan-rollout:${planId}` });
}

/** The limits a rollout step puts the keys on: the change's (candidate) limits, or the plan's own. */
interface NoticeLimits {
  quotaRequests: number | null;
  quotaPeriodSeconds: number | null;
  rateRequests: number | null;
  ratePerSeconds: number | null;
}

function planLimits(plan: Plan): NoticeLimits {
  return {
    quotaRequests: plan.quotaRequests,
    quotaPeriodSeconds: plan.quotaPeriodSeconds,
    rateRequests: plan.rateRequests,
    ratePerSeconds: plan.ratePerSeconds,
  };
}

/** The candidate limits of a rollout: the change's quota and rate limit where it sets them, the plan's otherwise. */
async function candidateLimits(em: EntityManager, rollout: PlanRollout): Promise<NoticeLimits> {
  const request = await em.findOneOrFail(PlanChangeRequest, { id: rollout.changeRequestId });
  const plan = await em.findOneOrFail(Plan, { id: rollout.planId });
  const { settings } = readProposal(request.proposedJson);
  const limits = planLimits(plan);
  if (settings.quota !== undefined) {
    limits.quotaRequests = settings.quota?.requests ?? null;
    limits.quotaPeriodSeconds = settings.quota?.periodSeconds ?? null;
  }
  if (settings.rateLimit !== undefined) {
    limits.rateRequests = settings.rateLimit?.requests ?? null;
    limits.ratePerSeconds = settings.rateLimit?.perSeconds ?? null;
  }
  return limits;
}

/**
 * Tells the developers subgraph, in the step's transaction, to publish the step to the
 * organizations of the credentials it concerns (`accessRequestEvents`).
 */
async function notifyOrganizations(
  ops: Ops,
  rollout: PlanRollout,
  step: PlanRolloutNoticeStep,
  stagePercent: number,
  limits: NoticeLimits,
  reason: string | null = null,
): Promise<void> {
  const payload: PlanRolloutNoticePayload = {
    planRolloutId: rollout.id,
    planId: rollout.planId,
    step,
    stagePercent,
    ...limits,
    reason,
    occurredAt: ops.now.toISOString(),
  };
  await enqueueJob(
    ops.em,
    JOB_TASKS.planRolloutNotice,
    { ...payload },
    { jobKey: `plan-rollout-notice:${rollout.id}:${step}:${stagePercent}` },
  );
}

async function scheduleEvaluation(ops: Ops, rollout: PlanRollout): Promise<void> {
  const due = nextEvaluationAt(rollout);
  if (!due) return;
  await enqueueJob(
    ops.em,
    JOB_TASKS.evaluatePlanRollout,
    { planRolloutId: rollout.id },
    { jobKey: evaluationJobKey(rollout.id), runAt: due.getTime() > ops.now.getTime() ? due : undefined },
  );
}

/**
 * The plan's working credentials (ACTIVE, not expired, not past a rotation's end), as the
 * developers subgraph publishes them; none while that view does not exist (plans run alone).
 */
async function planCredentialIds(em: EntityManager, planId: string, now: Date): Promise<string[]> {
  if (!(await relationExists(em, 'developers.credential_contract'))) return [];
  const rows = await query<{ id: string }>(
    em,
    `select id::text as id from developers.credential_contract
      where plan_id = ? and status = 'ACTIVE' and (expires_at is null or expires_at > ?) and (revokes_at is null or revokes_at > ?)`,
    [planId, now, now],
  );
  return rows.map((r) => r.id);
}

/**
 * Adds the credentials of a stage of `percent` %: the plan's working credentials in cohort order
 * (`cohortBucket` salted with the rollout id, then credential id), the first ⌈n × percent / 100⌉ —
 * an exact share also of a small plan, each stage holding the one before. Returns every member id.
 */
async function joinStage(em: EntityManager, rollout: PlanRollout, percent: number, now: Date): Promise<string[]> {
  const credentials = await planCredentialIds(em, rollout.planId, now);
  const ordered = credentials
    .map((id) => ({ id, bucket: cohortBucket(rollout.id, id) }))
    .sort((a, b) => a.bucket - b.bucket || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const wanted = ordered.slice(0, Math.ceil((ordered.length * percent) / 100)).map((c) => c.id);
  const members = new Set((await em.find(PlanRolloutMember, { rolloutId: rollout.id })).map((m) => m.credentialId));
  for (const credentialId of wanted) {
    if (members.has(credentialId)) continue;
    em.create(PlanRolloutMember, { rolloutId: rollout.id, credentialId, stagePercent: percent, addedAt: now });
    members.add(credentialId);
  }
  await em.flush();
  return [...members];
}

/**
 * Starts a staged rollout of a PENDING request being approved by `subject` (checked by the
 * caller: another portal admin, the plan locked and still at the request's base version). Only
 * changes of nothing but the limits keys enforce (quota, rate limit, quota scope) can be staged.
 */
export async function startRollout(
  ops: Ops,
  subject: string,
  request: PlanChangeRequest,
  plan: Plan,
  settings: RolloutSettings,
): Promise<PlanRollout> {
  const { em, now } = ops;
  const change = readProposal(request.proposedJson);
  const keys = Object.keys(change.settings);
  const stageable = (key: string) => (STAGEABLE_SETTINGS as readonly string[]).includes(key);
  if (!keys.length || !keys.every(stageable) || change.status !== null) {
    throw refusal(
      'NOT_STAGEABLE',
      'input.rollout',
      'Only changes of the limits keys enforce (quota, rateLimit, quotaScope, and nothing else) can be tried on a share of the credentials first: approve this one without `rollout`, or propose the limits separately.',
    );
  }
  const running = await em.findOne(PlanRollout, { planId: plan.id, status: PlanRolloutStatus.RUNNING });
  if (running) {
    throw refusal(
      'PLAN_ROLLOUT_RUNNING',
      'input.rollout',
      `Rollout ${running.id} of change ${running.changeRequestId} is running on this plan: wait until it is COMPLETED or ROLLED_BACK, or roll it back (rollBackPlanRollout).`,
    );
  }
  request.status = PlanChangeRequestStatus.ROLLING_OUT;
  request.decidedBy = subject;
  request.decidedAt = now;
  const rollout = em.create(PlanRollout, {
    changeRequestId: request.id,
    planId: plan.id,
    status: PlanRolloutStatus.RUNNING,
    ...settings,
    stageIndex: 0,
    stageStartedAt: now,
    startedBy: subject,
    createdAt: now,
  });
  await em.flush();
  const percent = currentPercent(rollout);
  await enterStage(ops, rollout, percent);
  await recordWebhookEvent(em, {
    type: 'PLAN_ROLLOUT_STARTED',
    organizationId: null,
    occurredAt: now,
    data: { planRolloutId: rollout.id, planChangeRequestId: request.id, planId: plan.id, startedBy: subject, stagePercent: percent },
  });
  return rollout;
}

/** The traffic of some credentials from the first whole minute after `from` (the minute a stage started holds traffic of before) to `to`. */
function trafficOf(em: EntityManager, credentialIds: string[], from: Date, to: Date): Promise<Figures> {
  const minute = 60_000;
  return readCredentialTraffic(em, credentialIds, new Date(Math.ceil(from.getTime() / minute) * minute), to);
}

async function lockRollout(em: EntityManager, id: string): Promise<PlanRollout | null> {
  return em.findOne(PlanRollout, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

/**
 * The rollout's cohort grows to `percent` of the plan's credentials: the new members stored, the
 * step recorded, their keys given the candidate policy, the stage's evaluation scheduled, and
 * their organizations told.
 */
async function enterStage(ops: Ops, rollout: PlanRollout, percent: number): Promise<void> {
  const { em, now } = ops;
  await joinStage(em, rollout, percent, now);
  em.create(PlanRolloutStep, { rolloutId: rollout.id, at: now, action: PlanRolloutStepAction.STAGE_STARTED, stagePercent: percent });
  await em.flush();
  await syncKeys(em, rollout.planId);
  await scheduleEvaluation(ops, rollout);
  await notifyOrganizations(ops, rollout, 'JOINED', percent, await candidateLimits(em, rollout));
}

/**
 * `plans.evaluatePlanRollout`: judges the current stage of a RUNNING rollout once its window (one
 * stage duration per evaluation so far, by the subgraph's clock) has passed — early runs schedule
 * themselves for then. Compares the members (candidate limits) with the plan's other working
 * credentials over the window (`judgeStage`), stores the step with its figures, then widens (the
 * next stage's share joins; after the stage before 100 % the change is applied to the plan), holds
 * (evaluated again one duration later) or rolls back. Idempotent: a rollout not waiting for an
 * evaluation is left as it is.
 */
export async function evaluateRollout(ops: Ops, rolloutId: string): Promise<void> {
  const { em, now } = ops;
  const rollout = await lockRollout(em, rolloutId);
  if (!rollout || rollout.status !== PlanRolloutStatus.RUNNING) return;
  const due = nextEvaluationAt(rollout)!;
  if (due.getTime() > now.getTime()) {
    await scheduleEvaluation(ops, rollout);
    return;
  }
  const members = new Set((await em.find(PlanRolloutMember, { rolloutId })).map((m) => m.credentialId));
  const working = await planCredentialIds(em, rollout.planId, now);
  const cohort = await trafficOf(
    em,
    working.filter((id) => members.has(id)),
    rollout.stageStartedAt,
    now,
  );
  const rest = await trafficOf(
    em,
    working.filter((id) => !members.has(id)),
    rollout.stageStartedAt,
    now,
  );
  const verdict = judgeStage(cohort, rest, rollout, rollout.holds, 'candidate');
  const percent = currentPercent(rollout);
  const action = {
    WIDEN: PlanRolloutStepAction.WIDENED,
    HOLD: PlanRolloutStepAction.HELD,
    ROLL_BACK: PlanRolloutStepAction.ROLLED_BACK,
  }[verdict.action];
  em.create(PlanRolloutStep, {
    rolloutId,
    at: now,
    action,
    stagePercent: percent,
    reason: verdict.reason,
    ...stepFigures(cohort, rest),
  });
  if (verdict.action === 'HOLD') {
    rollout.holds += 1;
    await em.flush();
    await scheduleEvaluation(ops, rollout);
    return;
  }
  if (verdict.action === 'ROLL_BACK') {
    await rollBack(ops, rollout, verdict.reason, false);
    return;
  }
  const next = rollout.stageIndex + 1;
  if (next >= rollout.stages.length - 1) {
    await complete(ops, rollout, percent);
    return;
  }
  rollout.stageIndex = next;
  rollout.stageStartedAt = now;
  rollout.holds = 0;
  await em.flush();
  const toPercent = currentPercent(rollout);
  await enterStage(ops, rollout, toPercent);
  await recordWebhookEvent(em, {
    type: 'PLAN_ROLLOUT_STAGE_ADVANCED',
    organizationId: null,
    occurredAt: now,
    data: {
      planRolloutId: rollout.id,
      planChangeRequestId: rollout.changeRequestId,
      planId: rollout.planId,
      fromPercent: percent,
      toPercent,
    },
  });
}

/**
 * The last stage before 100 % was healthy: the change is applied to the plan (new version, the
 * request APPROVED by the admin who approved the rollout), every key goes back to the plan's own
 * policy, which now has the new limits. A plan that changed meanwhile cannot take the change: the
 * rollout is rolled back instead (the request ROLLED_BACK, saying so), as is one the plan can no
 * longer take (archived meanwhile).
 */
async function complete(ops: Ops, rollout: PlanRollout, percent: number): Promise<void> {
  const { em, now } = ops;
  const request = await em.findOneOrFail(
    PlanChangeRequest,
    { id: rollout.changeRequestId },
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  const plan = await em.findOne(Plan, { id: rollout.planId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!plan || plan.version !== request.baseVersion) {
    await rollBack(
      ops,
      rollout,
      plan
        ? `The plan changed to version ${plan.version} during the rollout of a change proposed against version ${request.baseVersion}: the change was not applied; propose it again.`
        : 'The plan was deleted during the rollout.',
    );
    return;
  }
  try {
    await applyChange(ops, request, plan, rollout.startedBy, 'input.id');
  } catch (error) {
    // Refused before anything is written (an archived plan, say): the change cannot be applied any more.
    if (!(error instanceof UserErrorException)) throw error;
    await rollBack(ops, rollout, `The change cannot be applied to the plan as it is now: ${error.message}`);
    return;
  }
  rollout.status = PlanRolloutStatus.COMPLETED;
  rollout.completedAt = now;
  em.create(PlanRolloutStep, { rolloutId: rollout.id, at: now, action: PlanRolloutStepAction.COMPLETED, stagePercent: 100 });
  await em.flush();
  await syncKeys(em, rollout.planId);
  await notifyOrganizations(ops, rollout, 'COMPLETED', percent, planLimits(plan));
  await recordWebhookEvent(em, {
    type: 'PLAN_ROLLOUT_COMPLETED',
    organizationId: null,
    occurredAt: now,
    data: {
      planRolloutId: rollout.id,
      planChangeRequestId: rollout.changeRequestId,
      planId: rollout.planId,
      fromPercent: percent,
      version: plan.version,
    },
  });
}

/** Ends a RUNNING rollout ROLLED_BACK with the reason (a ROLLED_BACK step unless the caller stored one): the request too, and every key goes back to the plan's policy. */
async function rollBack(ops: Ops, rollout: PlanRollout, reason: string, recordStep = true): Promise<void> {
  const { em, now } = ops;
  const percent = currentPercent(rollout);
  const request = await em.findOneOrFail(
    PlanChangeRequest,
    { id: rollout.changeRequestId },
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  rollout.status = PlanRolloutStatus.ROLLED_BACK;
  rollout.completedAt = now;
  rollout.rollbackReason = reason;
  request.status = PlanChangeRequestStatus.ROLLED_BACK;
  request.decisionReason = reason;
  // The evaluation stored its ROLLED_BACK step already, with the figures.
  if (recordStep) {
    em.create(PlanRolloutStep, {
      rolloutId: rollout.id,
      at: now,
      action: PlanRolloutStepAction.ROLLED_BACK,
      stagePercent: percent,
      reason,
    });
  }
  await em.flush();
  await syncKeys(em, rollout.planId);
  const plan = await em.findOne(Plan, { id: rollout.planId });
  if (plan) await notifyOrganizations(ops, rollout, 'ROLLED_BACK', percent, planLimits(plan), reason);
  await recordWebhookEvent(em, {
    type: 'PLAN_ROLLOUT_ROLLED_BACK',
    organizationId: null,
    occurredAt: now,
    data: {
      planRolloutId: rollout.id,
      planChangeRequestId: rollout.changeRequestId,
      planId: rollout.planId,
      stagePercent: percent,
      reason,
    },
  });
}

export interface RollBackPlanRolloutCommand {
  id: string;
  reason: string;
}

/**
 * `rollBackPlanRollout`: portal admins only (checked by the caller: `subject`). Stops a RUNNING
 * rollout: every key is back on the plan's limits, the request ROLLED_BACK with who and why.
 * Idempotent: a ROLLED_BACK rollout is returned as it is; a COMPLETED one is INVALID_TRANSITION
 * (its change is the plan's now: propose the old values to undo it).
 */
export async function rollBackPlanRollout(
  ops: Ops,
  subject: string,
  input: RollBackPlanRolloutCommand,
): Promise<{ rollout: PlanRollout | null }> {
  const { em } = ops;
  const reason = input.reason.trim();
  const v = new Validation();
  v.check(reason.length >= 1 && reason.length <= MAX_REASON, 'input.reason', `Give a reason of 1 to ${MAX_REASON} characters.`);
  v.done();
  const rollout = await lockRollout(em, input.id.trim().toLowerCase());
  if (!rollout) throw refusal('NOT_FOUND', 'input.id', 'No plan rollout has this id.');
  if (rollout.status === PlanRolloutStatus.ROLLED_BACK) return { rollout };
  if (rollout.status === PlanRolloutStatus.COMPLETED) {
    throw refusal(
      'INVALID_TRANSITION',
      'input.id',
      'This rollout COMPLETED: its change is applied to the plan. Propose the old values as a new change to undo it.',
    );
  }
  await rollBack(ops, rollout, `Rolled back by ${subject}: ${reason}`);
  return { rollout };
}

/** A rollout by id (portal admins only, checked by the caller). */
export function findRollout(em: EntityManager, id: string): Promise<PlanRollout | null> {
  return em.findOne(PlanRollout, { id: id.trim().toLowerCase() });
}

/** The steps of a rollout, oldest first. */
export function rolloutSteps(em: EntityManager, rolloutId: string): Promise<PlanRolloutStep[]> {
  return em.find(PlanRolloutStep, { rolloutId }, { orderBy: { id: 'asc' } });
}

/** How many credentials have the candidate limits (members so far). */
export function cohortSize(em: EntityManager, rolloutId: string): Promise<number> {
  return em.count(PlanRolloutMember, { rolloutId });
}
