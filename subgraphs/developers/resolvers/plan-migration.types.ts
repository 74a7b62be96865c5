/** GraphQL types of the bulk plan migration: its input, payload, counts and items. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { Credential } from '../entities/credential';
import { Organization } from '../entities/organization';
import { PlanMigration, PlanMigrationItemStatus } from '../entities/plan-migration';

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
