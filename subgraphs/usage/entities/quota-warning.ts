import { ArrayType, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

export enum QuotaWarningKind {
  SOFT = 'SOFT',
  HARD = 'HARD',
  PROJECTED = 'PROJECTED',
}

registerEnumType(QuotaWarningKind, {
  name: 'QuotaWarningKind',
  description: 'What a quota warning announces.',
  valuesConfig: {
    SOFT: { description: 'Usage crossed an alert threshold below the limit; requests still pass.' },
    HARD: { description: 'Usage reached the limit; Tyk rejects further requests until the window resets.' },
    PROJECTED: { description: 'At the current burn rate usage will cross the threshold before the window resets.' },
  },
});

/**
 * A quota warning: raised once per scope (organization, app, credential), kind, threshold and
 * quota window by the usage ingest (`insertQuotaWarnings`), stored, and pushed to subscribers.
 */
@ObjectType({ description: 'A warning that an organization, app or credential is close to (or at) its quota in one quota window.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'quota_warning' })
export class QuotaWarning {
  [OptionalProps]?: 'id' | 'appId' | 'credentialId' | 'planId' | 'suppressedReason' | 'channels' | 'createdAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'Organization whose quota this is.' })
  @Property({ type: 'uuid' })
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'App the warning is about; null when it is about the whole organization.' })
  @Property({ type: 'uuid', nullable: true })
  appId: string | null = null;

  @Field(() => ID, {
    nullable: true,
    description: 'Credential (API key) whose quota is meant; null when the warning is about an app or organization.',
  })
  @Property({ type: 'uuid', nullable: true })
  credentialId: string | null = null;

  @Field(() => ID, { nullable: true, description: 'Plan that sets the quota, when known.' })
  @Property({ type: 'uuid', nullable: true })
  planId: string | null = null;

  @Field(() => QuotaWarningKind, { description: 'Soft threshold, hard limit, or projection.' })
  @Enum({ items: () => QuotaWarningKind })
  kind!: QuotaWarningKind;

  @Field(() => Int, { description: 'Alert threshold that was crossed, in percent of the limit (1–100).' })
  @Property({ type: 'integer' })
  thresholdPercent!: number;

  @Field(() => Int, {
    description:
      'The request (count in the window) that crossed the threshold — the same whatever order or batches usage arrived in; for PROJECTED: the use at reset projected after the first request that made the projection reach the limit.',
  })
  @Property({ type: 'integer' })
  used!: number;

  @Field(() => Int, { description: 'Requests allowed per window (the quota).' })
  @Property({ type: 'integer', fieldName: 'quota_limit' })
  limit!: number;

  @Field(() => Date, { description: 'Start of the quota window the warning belongs to.' })
  @Property({ type: 'timestamptz' })
  windowStart!: Date;

  @Field(() => Date, { description: 'When the quota window resets (usage starts again from zero).' })
  @Property({ type: 'timestamptz' })
  resetsAt!: Date;

  @Field(() => Date, { description: 'When the warning was raised.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  /** Why the alert rules' pacing held it back (stored, not delivered); null when delivered. */
  @Property({ type: 'text', nullable: true })
  suppressedReason: 'COOL_DOWN' | 'NOT_REARMED' | null = null;

  /** The channels it was (or, when held back, would have been) delivered on. */
  @Property({ type: new ArrayType<string>(), columnType: 'text[]' })
  channels: string[] = ['SUBSCRIPTION', 'WEBHOOK'];

  /** Not stored in this table: the warning's event position (platform.event id), when known. */
  @Field(() => String, {
    nullable: true,
    description:
      'Position of this warning in the organization’s warning stream (opaque): set on warnings delivered by `quotaWarnings` and listed by `quotaWarningsHistory`, null elsewhere. Pass the last one received as `after` to either to resume.',
  })
  cursor?: string | null;
}
