import { ArrayType, BigIntType, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';

export enum PlanMigrationStatus {
  PREVIEW = 'PREVIEW',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  ROLLED_BACK = 'ROLLED_BACK',
}

registerEnumType(PlanMigrationStatus, {
  name: 'PlanMigrationStatus',
  description:
    'Where a bulk plan migration stands. PREVIEW never moves; RUNNING moves once, to COMPLETED or (staged migrations only) ROLLED_BACK.',
  valuesConfig: {
    PREVIEW: {
      description: 'A dry run: what would move (items PENDING) and what could not (items FAILED, with why). Nothing was changed.',
    },
    RUNNING: { description: 'Credentials are being moved, a batch at a time, by a job; the counts show the progress.' },
    COMPLETED: { description: 'Every credential was moved or failed (`completedAt` is set).' },
    ROLLED_BACK: {
      description:
        'A staged migration whose stage crossed a threshold: the credentials it had moved are back under the source plan (`rollbackReason`, `steps`).',
    },
  },
});

export enum PlanMigrationItemStatus {
  PENDING = 'PENDING',
  MOVED = 'MOVED',
  FAILED = 'FAILED',
  ROLLED_BACK = 'ROLLED_BACK',
}

registerEnumType(PlanMigrationItemStatus, {
  name: 'PlanMigrationItemStatus',
  description: 'What happened to one credential of a bulk plan migration.',
  valuesConfig: {
    PENDING: { description: 'Not moved yet (for a PREVIEW: would be moved).' },
    MOVED: { description: 'Moved to the target plan: same credential, same secret and Tyk key, quota counters kept.' },
    FAILED: { description: 'Not moved (`errorCode`, `errorMessage` say why); the credential stays under its plan.' },
    ROLLED_BACK: { description: 'Moved, then moved back to the source plan when its staged migration was rolled back.' },
  },
});

/**
 * A bulk move of every ACTIVE credential of one plan to another (table `plan_migration`), or the
 * preview of one. The credentials it covers are its items, fixed when it is created.
 */
@ObjectType({
  description:
    'A bulk plan migration: every ACTIVE credential of one plan moved to another plan, keeping the credential (id, secret, Tyk key, quota counters), or the dry run of one. Portal admins only.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'plan_migration' })
export class PlanMigration {
  [OptionalProps]?:
    | 'id'
    | 'completedAt'
    | 'stages'
    | 'stageIndex'
    | 'stageStartedAt'
    | 'stageDurationSeconds'
    | 'maxErrorRateDeltaPercent'
    | 'maxLatencyRatioPercent'
    | 'minRequests'
    | 'holds'
    | 'rollbackReason';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `PlanMigration.fromPlan`. */
  @Property({ type: 'uuid' })
  fromPlanId!: string;

  /** Exposed as `PlanMigration.toPlan`. */
  @Property({ type: 'uuid' })
  toPlanId!: string;

  @Field(() => PlanMigrationStatus, { description: 'PREVIEW (dry run), RUNNING or COMPLETED.' })
  @Enum({ items: () => PlanMigrationStatus })
  status!: PlanMigrationStatus;

  @Field(() => String, { description: 'Why the subscribers are moved, as the portal admin gave it (also in the audit log).' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => String, { description: 'Token subject of the portal admin who started it.' })
  @Property({ type: 'text' })
  startedBy!: string;

  @Field(() => Date, { description: 'When it was created.' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When the last credential was moved or failed, or the rollback ended; null unless COMPLETED or ROLLED_BACK.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  completedAt: Date | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'Why a staged migration was rolled back (the figures that crossed a threshold); null unless ROLLED_BACK.',
  })
  @Property({ type: 'text', nullable: true })
  rollbackReason: string | null = null;

  /** Staged migrations: cumulative percentages of the cohort, the last 100 (null: all at once). Exposed in `staging`. */
  @Property({ type: new ArrayType<number>((i) => Number(i)), columnType: 'integer[]', nullable: true })
  stages: number[] | null = null;

  /** Index in `stages` of the stage being moved or judged. */
  @Property({ type: 'integer', nullable: true })
  stageIndex: number | null = null;

  /** When the current stage's credentials had all been moved (its observation window starts); null while moving. */
  @Property({ type: 'timestamptz', nullable: true })
  stageStartedAt: Date | null = null;

  @Property({ type: 'integer', nullable: true })
  stageDurationSeconds: number | null = null;

  @Property({ type: 'integer', nullable: true })
  maxErrorRateDeltaPercent: number | null = null;

  @Property({ type: 'integer', nullable: true })
  maxLatencyRatioPercent: number | null = null;

  @Property({ type: 'integer', nullable: true })
  minRequests: number | null = null;

  /** Evaluations of the current stage that held it (neither widened nor rolled back). */
  @Property({ type: 'integer' })
  holds: number = 0;
}

/** One credential of a migration (table `plan_migration_item`). */
@Entity({ tableName: 'plan_migration_item' })
export class PlanMigrationItem {
  [OptionalProps]?: 'errorCode' | 'errorMessage' | 'movedAt' | 'cohortBucket';

  @PrimaryKey({ type: 'uuid' })
  migrationId!: string;

  @PrimaryKey({ type: 'uuid' })
  credentialId!: string;

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'uuid' })
  appId!: string;

  @Enum({ items: () => PlanMigrationItemStatus })
  status!: PlanMigrationItemStatus;

  @Property({ type: 'text', nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  movedAt: Date | null = null;

  /** 0–9999, from a hash of the migration and credential ids: the cohort order of staged migrations. */
  @Property({ type: 'integer' })
  cohortBucket: number = 0;
}

export enum PlanMigrationStepAction {
  STAGE_MOVED = 'STAGE_MOVED',
  HELD = 'HELD',
  WIDENED = 'WIDENED',
  ROLLED_BACK = 'ROLLED_BACK',
  COMPLETED = 'COMPLETED',
}

registerEnumType(PlanMigrationStepAction, {
  name: 'PlanMigrationStepAction',
  description: 'What a step of a staged plan migration did.',
  valuesConfig: {
    STAGE_MOVED: { description: 'Every credential of the stage’s cohort was moved; its observation window starts.' },
    HELD: {
      description:
        'Evaluated and held: too little traffic to compare, or figures close to a threshold; evaluated again one stage duration later.',
    },
    WIDENED: { description: 'Evaluated healthy: the next stage starts.' },
    ROLLED_BACK: { description: 'Evaluated over a threshold: every moved credential went back to the source plan.' },
    COMPLETED: { description: 'The last stage (100 %) was moved.' },
  },
});

/** One step of a staged migration (table `plan_migration_step`), with the figures it was judged on. */
@Entity({ tableName: 'plan_migration_step' })
export class PlanMigrationStep {
  [OptionalProps]?:
    'id' | 'reason' | 'cohortRequests' | 'cohortErrors5xx' | 'cohortLatencySumMs' | 'restRequests' | 'restErrors5xx' | 'restLatencySumMs';

  /** Increasing: the steps' order. */
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'uuid' })
  migrationId!: string;

  @Property({ type: 'timestamptz' })
  at!: Date;

  @Enum({ items: () => PlanMigrationStepAction })
  action!: PlanMigrationStepAction;

  @Property({ type: 'integer' })
  stagePercent!: number;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  cohortRequests: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true, fieldName: 'cohort_errors_5xx' })
  cohortErrors5xx: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  cohortLatencySumMs: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  restRequests: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true, fieldName: 'rest_errors_5xx' })
  restErrors5xx: number | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  restLatencySumMs: number | null = null;
}
