/** GraphQL inputs, payloads, arguments and the connection of the plan change requests. */
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { connectionType, PageArgs } from '../../../common/relay';
import { Plan, PlanStatus } from '../entities/plan';
import { PlanChangeRequest, PlanChangeRequestStatus } from '../entities/plan-change-request';
import { MAX_REASON } from '../services/limits';
import { MAX_STAGE_SECONDS, MAX_STAGES, MIN_STAGE_SECONDS, STAGING_DEFAULTS } from '../../../common/staging';
import { PlanRollout } from '../entities/plan-rollout';
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

@InputType({
  description:
    'Roll a change of limits out in stages instead of applying it at once: each stage gives the new limits to a larger, deterministic share of the plan’s credentials (by a hash of the rollout and credential ids), then, after `stageDurationSeconds`, compares them with the rest (5xx share and average latency, from usage) and widens, holds or rolls back.',
})
export class PlanRolloutInput {
  @Field(() => [Int], {
    description: `Cumulative percentages of the plan’s credentials, increasing, the last 100 (1–${MAX_STAGES} stages), e.g. [10, 50, 100]. When the stage before 100 is healthy the change is applied to the plan.`,
  })
  stages!: number[];

  @Field(() => Int, {
    description: `How long each stage is observed before it is judged: ${MIN_STAGE_SECONDS}–${MAX_STAGE_SECONDS} seconds.`,
  })
  stageDurationSeconds!: number;

  @Field(() => Int, {
    nullable: true,
    description: `Roll back when the cohort’s 5xx share exceeds the rest’s by more than this many percentage points (0–100, default ${STAGING_DEFAULTS.maxErrorRateDeltaPercent}).`,
  })
  maxErrorRateDeltaPercent?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Roll back when the cohort’s average latency exceeds this percentage of the rest’s (100–10000, default ${STAGING_DEFAULTS.maxLatencyRatioPercent}).`,
  })
  maxLatencyRatioPercent?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Requests each side needs in a stage’s window before they are compared (1–1000000, default ${STAGING_DEFAULTS.minRequests}); with fewer the stage is held, and widened after 3 holds.`,
  })
  minRequests?: number | null;
}

@InputType({ description: 'Which change request to approve.' })
export class ApprovePlanChangeInput {
  @Field(() => ID, { description: 'The PENDING change request.' })
  id!: string;

  @Field(() => PlanRolloutInput, {
    nullable: true,
    description:
      'Roll the change out in stages (only changes of nothing but quota, rateLimit and quotaScope: NOT_STAGEABLE otherwise; one running rollout per plan: PLAN_ROLLOUT_RUNNING). The request is ROLLING_OUT and the plan keeps its version until the rollout completes. Omit to apply the change now.',
  })
  rollout?: PlanRolloutInput | null;

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
      'The request: APPROVED on success (ROLLING_OUT with `rollout`); SUPERSEDED when the plan changed or was deleted meanwhile (then `errors` says so); null for other errors.',
  })
  changeRequest!: PlanChangeRequest | null;

  @Field(() => Plan, {
    nullable: true,
    description: 'The plan with the change applied (a new version; unchanged while a rollout runs); null when `errors` is not empty.',
  })
  plan!: Plan | null;

  @Field(() => [UserError], { description: 'Why nothing was applied; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'Which running rollout to roll back, and why.' })
export class RollBackPlanRolloutInput {
  @Field(() => ID, { description: 'The rollout (`PlanChangeRequest.rollout.id`).' })
  id!: string;

  @Field(() => String, { description: `Why, for the audit log and the request’s \`decisionReason\`: 1–${MAX_REASON} characters.` })
  reason!: string;
}

export const RollBackPlanRolloutPayload = payloadType(
  'RollBackPlanRolloutPayload',
  'rollBackPlanRollout',
  'rollout',
  PlanRollout,
  'The rollout, ROLLED_BACK',
);

export const RejectPlanChangePayload = payloadType(
  'RejectPlanChangePayload',
  'rejectPlanChange',
  'changeRequest',
  PlanChangeRequest,
  'The REJECTED request',
);

@ArgsType()
export class PlanChangeRequestsArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only requests for this plan.' })
  planId?: string | null;

  @Field(() => PlanChangeRequestStatus, { nullable: true, description: 'Only requests with this status (e.g. PENDING: the review queue).' })
  status?: PlanChangeRequestStatus | null;
}
