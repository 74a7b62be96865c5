/** GraphQL types of the bulk plan migration: its input, payload, counts and items. */
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { connectionType, PageArgs } from '../../../common/relay';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { Credential } from '../entities/credential';
import { Organization } from '../entities/organization';
import { PlanMigration, PlanMigrationItemStatus, PlanMigrationStatus, PlanMigrationStepAction } from '../entities/plan-migration';
import { MAX_STAGE_SECONDS, MAX_STAGES, MIN_STAGE_SECONDS, STAGING_DEFAULTS } from '../../../common/staging';

@InputType({
  description:
    'Move in stages: each stage moves a larger share of a deterministic cohort (by a hash of the migration and credential ids), then, after `stageDurationSeconds`, compares the moved credentials with the rest (5xx share and average latency, from usage) and widens, holds or rolls everything back.',
})
export class PlanMigrationStagingInput {
  @Field(() => [Int], {
    description: `Cumulative percentages of the credentials, increasing, the last 100 (1–${MAX_STAGES} stages), e.g. [10, 50, 100].`,
  })
  stages!: number[];

  @Field(() => Int, {
    description: `How long each stage is observed before it is judged: ${MIN_STAGE_SECONDS}–${MAX_STAGE_SECONDS} seconds.`,
  })
  stageDurationSeconds!: number;

  @Field(() => Int, {
    nullable: true,
    description: `Roll back when the moved credentials’ 5xx share exceeds the rest’s by more than this many percentage points (0–100, default ${STAGING_DEFAULTS.maxErrorRateDeltaPercent}).`,
  })
  maxErrorRateDeltaPercent?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Roll back when the moved credentials’ average latency exceeds this percentage of the rest’s (100–10000, default ${STAGING_DEFAULTS.maxLatencyRatioPercent}).`,
  })
  maxLatencyRatioPercent?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Requests each side needs in a stage’s window before they are compared (1–1000000, default ${STAGING_DEFAULTS.minRequests}); with fewer the stage is held, and widened after 3 holds.`,
  })
  minRequests?: number | null;
}

@InputType({ description: 'Which plan’s subscribers move to which plan, and why.' })
export class MigratePlanSubscribersInput {
  @Field(() => ID, { description: 'The plan whose ACTIVE credentials move (any status: typically an ARCHIVED plan).' })
  fromPlanId!: string;

  @Field(() => ID, { description: 'The plan they move to (PUBLISHED).' })
  toPlanId!: string;

  @Field(() => String, { description: 'Why (1–1000 characters); shown on the migration and recorded in the audit log.' })
  reason!: string;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      'True for a preview only: the migration is stored as PREVIEW with what would move and what could not (and `impact`), and nothing changes. Default false.',
  })
  dryRun?: boolean | null;

  @Field(() => PlanMigrationStagingInput, {
    nullable: true,
    description: 'Move in stages, judged from usage, instead of all at once (omit to move everything at once).',
  })
  staged?: PlanMigrationStagingInput | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same migration') })
  idempotencyKey?: string | null;
}

@ObjectType({ description: 'Result of `migratePlanSubscribers`.' })
export class MigratePlanSubscribersPayload {
  @Field(() => PlanMigration, { nullable: true, description: 'The migration (or its PREVIEW); null when `errors` is not empty.' })
  planMigration!: PlanMigration | null;

  @Field(() => [UserError], { description: 'Why nothing was started; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'How far a bulk plan migration got: its credentials by status.' })
export class PlanMigrationCounts {
  @Field(() => Int, { description: 'Credentials the migration covers (the ACTIVE credentials of the plan when it was created).' })
  total!: number;

  @Field(() => Int, { description: 'Not moved yet (for a PREVIEW: the credentials that would move).' })
  pending!: number;

  @Field(() => Int, { description: 'Moved to the target plan.' })
  moved!: number;

  @Field(() => Int, { description: 'Not moved, with a reason on each item (for a PREVIEW: would not move).' })
  failed!: number;

  @Field(() => Int, { description: 'Moved, then moved back when the staged migration was rolled back.' })
  rolledBack!: number;

  @Field(() => Int, { description: 'Organizations whose credentials the migration covers.' })
  organizations!: number;
}

@ObjectType('PlanMigrationItem', { description: 'One credential of a bulk plan migration and what happened to it.' })
export class PlanMigrationItemView {
  @Field(() => Credential, { nullable: true, description: 'The credential (its `plan` is the target plan once MOVED).' })
  credential!: Credential | null;

  @Field(() => Organization, { nullable: true, description: 'The credential’s organization.' })
  organization!: Organization | null;

  @Field(() => PlanMigrationItemStatus, { description: 'PENDING, MOVED or FAILED.' })
  status!: PlanMigrationItemStatus;

  @Field(() => String, {
    nullable: true,
    description:
      'Why it was not moved: PLAN_NOT_OFFERED, PRODUCT_NOT_OFFERED, CREDENTIAL_NOT_ACTIVE, PLAN_CHANGED or PLAN_NOT_PUBLISHED; null unless FAILED.',
  })
  errorCode!: string | null;

  @Field(() => String, { nullable: true, description: 'The same, in words; null unless FAILED.' })
  errorMessage!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was moved; null unless MOVED.' })
  movedAt!: Date | null;
}

@ObjectType({ description: 'How a staged plan migration moves: its stages, thresholds and where it stands.' })
export class PlanMigrationStaging {
  @Field(() => [Int], { description: 'Cumulative percentages of the credentials, the last 100.' })
  stages!: number[];

  @Field(() => Int, { description: 'The percentage the current stage covers (moving, observed, or the last one reached).' })
  currentStagePercent!: number;

  @Field(() => Int, { description: 'How long each stage is observed before it is judged, in seconds.' })
  stageDurationSeconds!: number;

  @Field(() => Int, { description: 'Most percentage points the moved credentials’ 5xx share may exceed the rest’s.' })
  maxErrorRateDeltaPercent!: number;

  @Field(() => Int, { description: 'Highest percentage of the rest’s average latency the moved credentials may have.' })
  maxLatencyRatioPercent!: number;

  @Field(() => Int, { description: 'Requests each side needs in a window before they are compared.' })
  minRequests!: number;

  @Field(() => Date, {
    nullable: true,
    description: 'When the current stage’s window started (its credentials all moved); null while moving.',
  })
  stageStartedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the current stage is judged next; null unless RUNNING and observed.' })
  nextEvaluationAt!: Date | null;
}

@ObjectType('PlanMigrationStep', { description: 'One step of a staged plan migration, with the figures it was judged on.' })
export class PlanMigrationStepView {
  @Field(() => Date, { description: 'When it happened.' })
  at!: Date;

  @Field(() => PlanMigrationStepAction, { description: 'What it did.' })
  action!: PlanMigrationStepAction;

  @Field(() => Int, { description: 'The stage’s percentage.' })
  stagePercent!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Why (the figures compared and the rule applied); null for STAGE_MOVED and COMPLETED.',
  })
  reason!: string | null;

  @Field(() => Float, { nullable: true, description: 'Requests of the moved credentials in the window; null unless evaluated.' })
  cohortRequests!: number | null;

  @Field(() => Float, { nullable: true, description: 'Their 5xx share in percent; null unless evaluated.' })
  cohortErrorRatePercent!: number | null;

  @Field(() => Float, { nullable: true, description: 'Their average latency in ms; null unless evaluated.' })
  cohortAverageLatencyMs!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Requests of the credentials still under the source plan in the window; null unless evaluated.',
  })
  restRequests!: number | null;

  @Field(() => Float, { nullable: true, description: 'Their 5xx share in percent; null unless evaluated.' })
  restErrorRatePercent!: number | null;

  @Field(() => Float, { nullable: true, description: 'Their average latency in ms; null unless evaluated.' })
  restAverageLatencyMs!: number | null;
}

export const PlanMigrationConnection = connectionType(PlanMigration, 'PlanMigration', 'plan migration');

@ArgsType()
export class PlanMigrationsArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Only migrations from or to this plan.' })
  planId?: string | null;

  @Field(() => PlanMigrationStatus, { nullable: true, description: 'Only migrations in this status (e.g. RUNNING).' })
  status?: PlanMigrationStatus | null;
}

@InputType({ description: 'Which migration to roll back, and why.' })
export class RollBackPlanMigrationInput {
  @Field(() => ID, { description: 'Migration id (RUNNING or COMPLETED).' })
  id!: string;

  @Field(() => String, { description: 'Why (1–1000 characters); stored on the migration’s last step and in the audit log.' })
  reason!: string;
}

@ObjectType({ description: 'Result of `rollBackPlanMigration`.' })
export class RollBackPlanMigrationPayload {
  @Field(() => PlanMigration, { nullable: true, description: 'The migration, ROLLED_BACK; null when `errors` is not empty.' })
  planMigration!: PlanMigration | null;

  @Field(() => [UserError], { description: 'Why nothing was rolled back; empty on success.' })
  errors!: UserError[];
}
