import { ArrayType, BigIntType, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { averageLatency, errorRate } from '../../../common/staging';

export enum PlanRolloutStatus {
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  ROLLED_BACK = 'ROLLED_BACK',
}

registerEnumType(PlanRolloutStatus, {
  name: 'PlanRolloutStatus',
  description: 'Where a staged rollout of a plan change stands. RUNNING ends once, COMPLETED or ROLLED_BACK.',
  valuesConfig: {
    RUNNING: {
      description: 'The cohort of the current stage has the candidate limits (its own Tyk policy); the others keep the plan’s.',
    },
    COMPLETED: { description: 'Every stage was healthy: the change was applied to the plan as a new version.' },
    ROLLED_BACK: {
      description: 'A stage crossed a threshold (or a portal admin rolled it back): every key is on the plan’s own limits again.',
    },
  },
});

/**
 * A staged rollout of an approved plan change (table `plan_rollout`): the change's limits go to a
 * deterministic share of the plan's credentials first (its members), stage by stage, each stage
 * judged from usage against the rest before widening; the plan itself changes only at the end.
 */
@ObjectType({
  description:
    'A staged rollout of an approved plan change: the candidate limits go to a growing, deterministic share of the plan’s credentials, each stage compared with the rest (5xx share, average latency) before widening, rolled back automatically when a threshold is crossed. Portal admins only.',
})
@Entity({ tableName: 'plan_rollout' })
export class PlanRollout {
  [OptionalProps]?: 'id' | 'stageIndex' | 'holds' | 'completedAt' | 'rollbackReason';

  @Field(() => ID, { description: 'Stable identifier (UUID); also the salt of the cohort order.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'The approved change request it rolls out.' })
  @Property({ type: 'uuid' })
  changeRequestId!: string;

  @Field(() => ID, { description: 'The plan whose credentials get the change.' })
  @Property({ type: 'uuid' })
  planId!: string;

  @Field(() => PlanRolloutStatus, { description: 'RUNNING, COMPLETED or ROLLED_BACK.' })
  @Enum({ items: () => PlanRolloutStatus })
  status!: PlanRolloutStatus;

  @Field(() => [Int], { description: 'Cumulative percentages of the plan’s credentials, the last 100.' })
  @Property({ type: new ArrayType<number>((i) => Number(i)), columnType: 'integer[]' })
  stages!: number[];

  /** Index in `stages` of the stage being observed. */
  @Property({ type: 'integer' })
  stageIndex: number = 0;

  @Field(() => Date, { description: 'When the current stage (or the last one) started: its observation window opens then.' })
  @Property({ type: 'timestamptz' })
  stageStartedAt!: Date;

  @Field(() => Int, { description: 'How long each stage is observed before it is judged, in seconds.' })
  @Property({ type: 'integer' })
  stageDurationSeconds!: number;

  @Field(() => Int, { description: 'Largest allowed excess of the cohort’s 5xx share over the rest’s, in percentage points.' })
  @Property({ type: 'integer' })
  maxErrorRateDeltaPercent!: number;

  @Field(() => Int, { description: 'Largest allowed cohort average latency, in percent of the rest’s.' })
  @Property({ type: 'integer' })
  maxLatencyRatioPercent!: number;

  @Field(() => Int, { description: 'Requests each side needs in a window before they are compared.' })
  @Property({ type: 'integer' })
  minRequests!: number;

  /** Evaluations of the current stage that held it. */
  @Property({ type: 'integer' })
  holds: number = 0;

  @Field(() => String, { description: 'Token subject of the portal admin who approved the change with this rollout.' })
  @Property({ type: 'text' })
  startedBy!: string;

  @Field(() => Date, { description: 'When it started (the approval).' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was COMPLETED or ROLLED_BACK; null while RUNNING.' })
  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'Why it was rolled back (the figures, or who and why); null unless ROLLED_BACK.' })
  @Property({ type: 'text', nullable: true })
  rollbackReason: string | null = null;
}

/** A credential in a rollout's cohort (table `plan_rollout_member`): it joined at `stagePercent` and stays until the end. */
@Entity({ tableName: 'plan_rollout_member' })
export class PlanRolloutMember {
  @PrimaryKey({ type: 'uuid' })
  rolloutId!: string;

  @PrimaryKey({ type: 'uuid' })
  credentialId!: string;

  @Property({ type: 'integer' })
  stagePercent!: number;

  @Property({ type: 'timestamptz' })
  addedAt!: Date;
}

export enum PlanRolloutStepAction {
  STAGE_STARTED = 'STAGE_STARTED',
  HELD = 'HELD',
  WIDENED = 'WIDENED',
  ROLLED_BACK = 'ROLLED_BACK',
  COMPLETED = 'COMPLETED',
}

registerEnumType(PlanRolloutStepAction, {
  name: 'PlanRolloutStepAction',
  description: 'What a step of a staged plan-change rollout did.',
  valuesConfig: {
    STAGE_STARTED: { description: 'The stage’s cohort got the candidate limits; its observation window starts.' },
    HELD: {
      description:
        'Evaluated and held: too little traffic to compare, or figures close to a threshold; evaluated again one stage duration later.',
    },
    WIDENED: { description: 'Evaluated healthy: the next stage starts.' },
    ROLLED_BACK: { description: 'Evaluated over a threshold, or rolled back by a portal admin: every key is on the plan’s limits again.' },
    COMPLETED: { description: 'The last stage before 100 % was healthy: the change was applied to the plan as a new version.' },
  },
});

/** One step of a rollout (table `plan_rollout_step`), with the figures it was judged on. */
@ObjectType({ description: 'One step of a staged plan-change rollout, with the figures it was judged on.' })
@Entity({ tableName: 'plan_rollout_step' })
export class PlanRolloutStep {
  [OptionalProps]?:
    'id' | 'reason' | 'cohortRequests' | 'cohortErrors5xx' | 'cohortLatencySumMs' | 'restRequests' | 'restErrors5xx' | 'restLatencySumMs';

  /** Increasing: the steps' order. */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'uuid' })
  rolloutId!: string;

  @Field(() => Date, { description: 'When it happened.' })
  @Property({ type: 'timestamptz' })
  at!: Date;

  @Field(() => PlanRolloutStepAction, { description: 'What it did.' })
  @Enum({ items: () => PlanRolloutStepAction })
  action!: PlanRolloutStepAction;

  @Field(() => Int, { description: 'The stage’s percentage of the plan’s credentials.' })
  @Property({ type: 'integer' })
  stagePercent!: number;

  @Field(() => String, { nullable: true, description: 'Why (the figures compared and the rule applied); null for STAGE_STARTED.' })
  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Field(() => Float, { nullable: true, description: 'Requests of the cohort (candidate limits) in the window; null unless evaluated.' })
  @Property({ type: new BigIntType('number'), nullable: true })
  cohortRequests: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true, fieldName: 'cohort_errors_5xx' })
  cohortErrors5xx: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  cohortLatencySumMs: number | null = null;

  @Field(() => Float, { nullable: true, description: 'Requests of the plan’s other credentials in the window; null unless evaluated.' })
  @Property({ type: new BigIntType('number'), nullable: true })
  restRequests: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true, fieldName: 'rest_errors_5xx' })
  restErrors5xx: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  restLatencySumMs: number | null = null;

  @Field(() => Float, { nullable: true, description: 'The cohort’s 5xx share in percent; null unless evaluated.' })
  get cohortErrorRatePercent(): number | null {
    return this.cohortRequests === null ? null : errorRate(figures(this.cohortRequests, this.cohortErrors5xx, this.cohortLatencySumMs));
  }

  @Field(() => Float, { nullable: true, description: 'The cohort’s average latency in ms; null unless evaluated.' })
  get cohortAverageLatencyMs(): number | null {
    return this.cohortRequests === null
      ? null
      : averageLatency(figures(this.cohortRequests, this.cohortErrors5xx, this.cohortLatencySumMs));
  }

  @Field(() => Float, { nullable: true, description: 'The rest’s 5xx share in percent; null unless evaluated.' })
  get restErrorRatePercent(): number | null {
    return this.restRequests === null ? null : errorRate(figures(this.restRequests, this.restErrors5xx, this.restLatencySumMs));
  }

  @Field(() => Float, { nullable: true, description: 'The rest’s average latency in ms; null unless evaluated.' })
  get restAverageLatencyMs(): number | null {
    return this.restRequests === null ? null : averageLatency(figures(this.restRequests, this.restErrors5xx, this.restLatencySumMs));
  }
}

function figures(requests: number, errors5xx: number | null, latencySumMs: number | null) {
  return { requests: Number(requests), errors5xx: Number(errors5xx ?? 0), latencySumMs: Number(latencySumMs ?? 0) };
}
