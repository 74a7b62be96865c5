import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

export enum PlanChangeRequestStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  SUPERSEDED = 'SUPERSEDED',
  ROLLING_OUT = 'ROLLING_OUT',
  ROLLED_BACK = 'ROLLED_BACK',
}

registerEnumType(PlanChangeRequestStatus, {
  name: 'PlanChangeRequestStatus',
  description: 'Where a proposed plan change stands. Only PENDING requests can be approved or rejected.',
  valuesConfig: {
    PENDING: { description: 'Waiting for another portal admin to approve or reject it.' },
    APPROVED: { description: 'Approved and applied as a new plan version (`appliedVersion`).' },
    REJECTED: { description: 'Rejected by another portal admin (`decisionReason` says why); nothing changed.' },
    SUPERSEDED: { description: 'The plan changed (or was deleted) after the proposal, so it can no longer be applied: propose it again.' },
    ROLLING_OUT: {
      description:
        'Approved with a staged rollout (`rollout`): a growing share of the plan’s credentials has the new limits; the plan changes (APPROVED) once every stage was healthy.',
    },
    ROLLED_BACK: {
      description: 'Approved with a staged rollout that was rolled back (`decisionReason` says why); the plan did not change.',
    },
  },
});

/** What a request changes, as stored: validated setting values (as `updatePlan` would apply them) and an optional status. */
export interface ProposedPlanChange {
  settings: Record<string, unknown>;
  status: 'PUBLISHED' | 'ARCHIVED' | null;
}

/**
 * A proposed change of a plan under separation of duties (`PLAN_CHANGE_APPROVAL=required`): one
 * portal admin proposes, a different one approves (applied as a new plan version) or rejects.
 */
@ObjectType({
  description:
    'A proposed change of a plan’s settings or status, waiting for (or decided by) a second portal admin: the proposer can never approve or reject it. Portal admins only.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'plan_change_request' })
export class PlanChangeRequest {
  [OptionalProps]?: 'id' | 'status' | 'decidedBy' | 'decidedAt' | 'decisionReason' | 'appliedVersion' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'Id of the plan to change (kept when the plan was deleted since).' })
  @Property({ type: 'uuid' })
  planId!: string;

  @Field(() => String, { description: 'Subject (user id from the token) of the portal admin who proposed the change.' })
  @Property({ type: 'text' })
  proposedBy!: string;

  @Field(() => Date, { name: 'proposedAt', description: 'When the change was proposed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Int, {
    description: 'The plan version the change was proposed against; it is applied only while the plan is still at this version.',
  })
  @Property({ type: 'integer' })
  baseVersion!: number;

  /** The validated changes to apply (see `ProposedPlanChange`); GraphQL shows the diff (`changes`). */
  @Property({ type: 'json', columnType: 'jsonb', fieldName: 'proposed' })
  proposedJson!: ProposedPlanChange;

  /** `{ field, before, after }[]` against the plan at `baseVersion`; GraphQL shows them as `changes`. */
  @Property({ type: 'json', columnType: 'jsonb', fieldName: 'changes' })
  changesJson!: { field: string; before: string | null; after: string | null }[];

  @Field(() => String, { description: 'Why the proposer wants the change.' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => PlanChangeRequestStatus, { description: 'PENDING, APPROVED, REJECTED, SUPERSEDED, ROLLING_OUT or ROLLED_BACK.' })
  @Enum({ items: () => PlanChangeRequestStatus })
  status: PlanChangeRequestStatus = PlanChangeRequestStatus.PENDING;

  @Field(() => String, {
    nullable: true,
    description: 'Subject of the portal admin who approved or rejected it; null while PENDING and for SUPERSEDED.',
  })
  @Property({ type: 'text', nullable: true })
  decidedBy: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was approved, rejected or superseded; null while PENDING.' })
  @Property({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null = null;

  @Field(() => String, {
    nullable: true,
    description: 'Why it was rejected (the approver’s reason), superseded or rolled back; null otherwise.',
  })
  @Property({ type: 'text', nullable: true })
  decisionReason: string | null = null;

  @Field(() => Int, { nullable: true, description: 'For APPROVED: the plan version the approval created; null otherwise.' })
  @Property({ type: 'integer', nullable: true })
  appliedVersion: number | null = null;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
