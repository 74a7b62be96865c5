import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { entityNow } from '../../../common/clock';

export enum UpgradeOfferStatus {
  OPEN = 'OPEN',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(UpgradeOfferStatus, {
  name: 'UpgradeOfferStatus',
  description: 'Where an upgrade offer stands.',
  valuesConfig: {
    OPEN: { description: 'Waiting for the organization’s answer (until `expiresAt`). Nothing has changed.' },
    ACCEPTED: { description: 'An ORG_ADMIN accepted: the plan change was requested (`accessRequest`), keeping the credential.' },
    DECLINED: { description: 'A member declined it; nothing changed.' },
    EXPIRED: { description: 'Nobody answered before `expiresAt`; nothing changed.' },
  },
});

/**
 * The next tier offered to an organization for an app whose usage is projected to pass its plan's
 * quota before the window resets (table `upgrade_offer`). Consent-based: nothing is upgraded or
 * throttled until an ORG_ADMIN accepts it.
 */
@ObjectType({
  description:
    'An offer of the next tier for an app whose usage is projected to pass its plan’s quota before the window resets. Nothing changes until an ORG_ADMIN accepts it (`acceptUpgradeOffer`: a plan change that keeps the credential). Readable by members of the organization who may see the app, and portal admins.',
})
@Entity({ tableName: 'upgrade_offer' })
export class UpgradeOffer {
  [OptionalProps]?: 'id' | 'decidedBy' | 'decidedAt' | 'accessRequestId' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'The organization the offer is made to.' })
  @Property({ type: 'uuid' })
  organizationId!: string;

  /** GraphQL: `app`. */
  @Property({ type: 'uuid' })
  appId!: string;

  /** GraphQL: `credential`: the credential whose plan would change. */
  @Property({ type: 'uuid' })
  credentialId!: string;

  /** GraphQL: `fromPlan`. */
  @Property({ type: 'uuid' })
  fromPlanId!: string;

  /** GraphQL: `toPlan`. */
  @Property({ type: 'uuid' })
  toPlanId!: string;

  @Field(() => UpgradeOfferStatus, { description: 'OPEN, ACCEPTED, DECLINED or EXPIRED (an OPEN offer past `expiresAt` reads EXPIRED).' })
  @Enum({ items: () => UpgradeOfferStatus })
  status!: UpgradeOfferStatus;

  @Field(() => Int, { description: 'Requests the window was projected to reach at its current pace (at least `quotaLimit`).' })
  @Property({ type: 'integer' })
  projectedUsed!: number;

  @Field(() => Int, { description: 'The current plan’s quota for the window.' })
  @Property({ type: 'integer' })
  quotaLimit!: number;

  @Field(() => Date, { description: 'When the window the projection is about resets.' })
  @Property({ type: 'timestamptz' })
  windowResetsAt!: Date;

  @Field(() => Date, { description: 'After this the offer can no longer be accepted.' })
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true, description: 'Token subject of whoever accepted or declined it; null otherwise.' })
  @Property({ type: 'text', nullable: true })
  decidedBy: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When it was accepted or declined; null otherwise.' })
  @Property({ type: 'timestamptz', nullable: true })
  decidedAt: Date | null = null;

  /** GraphQL: `accessRequest` (the plan change an acceptance made). */
  @Property({ type: 'uuid', nullable: true })
  accessRequestId: string | null = null;

  @Field(() => Date, { description: 'When the offer was made.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}

/** The status at `now`: an OPEN offer past its `expiresAt` is EXPIRED. */
export function effectiveOfferStatus(offer: Pick<UpgradeOffer, 'status' | 'expiresAt'>, now: Date): UpgradeOfferStatus {
  if (offer.status === UpgradeOfferStatus.OPEN && offer.expiresAt.getTime() <= now.getTime()) return UpgradeOfferStatus.EXPIRED;
  return offer.status;
}
