import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { entityNow } from '../../../common/clock';

export enum QuotaBoostStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
}

registerEnumType(QuotaBoostStatus, {
  name: 'QuotaBoostStatus',
  description: 'Whether a quota boost is in force.',
  valuesConfig: {
    ACTIVE: { description: 'In force: the credential’s key carries the boost’s limits until `expiresAt`.' },
    EXPIRED: { description: 'Ended at `expiresAt`; the key is back to its plan’s limits (its counters were not reset).' },
    REVOKED: { description: 'Ended early by `revokeQuotaBoost`; the key is back to its plan’s limits.' },
  },
});

/**
 * A temporary quota boost of one credential (table `quota_boost`): extra quota and/or rate for a
 * period. The limits the key gets while it is ACTIVE are fixed at grant (the plan's limits plus the
 * extra); the provider subgraph writes them to Tyk as an extra policy of the key
 * (`developers.quota_boost_contract`), and removes it when the boost ends.
 */
@ObjectType({
  description:
    'A temporary quota boost of a credential: extra quota and/or rate until `expiresAt`, written to the provider (Tyk) as an extra policy of the key and removed again at the end without resetting its counters. Readable by whoever may read the credential.',
})
@Entity({ tableName: 'quota_boost' })
export class QuotaBoost {
  [OptionalProps]?:
    | 'id'
    | 'extraQuotaRequests'
    | 'extraRateRequests'
    | 'quotaMax'
    | 'quotaPeriodSeconds'
    | 'rateRequests'
    | 'ratePerSeconds'
    | 'endedAt'
    | 'revokedBy'
    | 'createdAt'
    | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** GraphQL: `credential` (on the credential itself, `Credential.quotaBoosts`). */
  @Property({ type: 'uuid' })
  credentialId!: string;

  @Field(() => ID, { description: 'The organization of the credential.' })
  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'uuid' })
  appId!: string;

  /** The plan the boost was granted under (its limits plus the extra are `quotaMax` and `rateRequests`). */
  @Property({ type: 'uuid' })
  planId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Requests added to the plan’s quota per quota period; null when the boost adds no quota.',
  })
  @Property({ type: 'integer', nullable: true })
  extraQuotaRequests: number | null = null;

  @Field(() => Int, {
    nullable: true,
    description: 'Requests added to the plan’s rate limit per rate window; null when the boost adds no rate.',
  })
  @Property({ type: 'integer', nullable: true })
  extraRateRequests: number | null = null;

  @Field(() => Int, {
    nullable: true,
    description: 'The quota the key gets while the boost is ACTIVE (the plan’s plus the extra); null when the boost adds no quota.',
  })
  @Property({ type: 'integer', nullable: true })
  quotaMax: number | null = null;

  @Field(() => Int, { nullable: true, description: 'The quota period in seconds (the plan’s); null when the boost adds no quota.' })
  @Property({ type: 'integer', nullable: true })
  quotaPeriodSeconds: number | null = null;

  @Field(() => Int, {
    nullable: true,
    description: 'The rate limit the key gets while the boost is ACTIVE (the plan’s plus the extra); null when the boost adds no rate.',
  })
  @Property({ type: 'integer', nullable: true })
  rateRequests: number | null = null;

  @Field(() => Int, { nullable: true, description: 'The rate window in seconds (the plan’s); null when the boost adds no rate.' })
  @Property({ type: 'integer', nullable: true })
  ratePerSeconds: number | null = null;

  @Field(() => Date, { description: 'When the boost started (its grant).' })
  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Field(() => Date, { description: 'When the boost ends by itself.' })
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Field(() => QuotaBoostStatus, { description: 'ACTIVE, EXPIRED or REVOKED.' })
  @Enum({ items: () => QuotaBoostStatus })
  status!: QuotaBoostStatus;

  @Field(() => String, { description: 'Why it was granted (as given, 1–500 characters).' })
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => String, { description: 'Token subject of whoever granted it.' })
  @Property({ type: 'text' })
  grantedBy!: string;

  @Field(() => Boolean, {
    description: 'True when a portal admin granted it (not bound by the plan’s boost allowance, and not counted in it).',
  })
  @Property({ type: 'boolean' })
  grantedByPortalAdmin!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'When it ended (EXPIRED: its `expiresAt`; REVOKED: the revocation); null while ACTIVE.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  endedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'Token subject of whoever revoked it; null unless REVOKED.' })
  @Property({ type: 'text', nullable: true })
  revokedBy: string | null = null;

  @Field(() => Date, { description: 'When it was granted.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
