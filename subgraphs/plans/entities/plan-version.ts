import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { KeyValue } from '../../../common/key-value';
import { CredentialKind, PlanChangeAction, PlanStatus, QuotaScope } from './enums';
import { AccessRequestLimit, BoostAllowance, RateLimit, UsageQuota } from './plan';
import { EndpointRule } from './endpoint-rule';
import { entityNow } from '../../../common/clock';

/**
 * A plan's settings at one version, as a typed object. Every setting field of `Plan` with the same
 * type; `catalogs` is resolved by the version resolver (the stored value is `catalogIds`).
 */
@ObjectType({
  description: 'Every setting of a plan at one version (the same fields and types as on `Plan`, without id, status, version and times).',
})
export class PlanSettings {
  @Field(() => String, { description: 'Unique internal name.' })
  name!: string;

  @Field(() => String, { description: 'Name shown to developers in catalogs.' })
  displayName!: string;

  @Field(() => String, { description: 'Markdown description.' })
  description!: string;

  @Field(() => UsageQuota, { description: 'Usage quota, or unlimited.' })
  quota!: UsageQuota;

  @Field(() => RateLimit, { description: 'Rate limit, or unlimited.' })
  rateLimit!: RateLimit;

  @Field(() => QuotaScope, { description: 'Who shares the quota and rate-limit counters.' })
  quotaScope!: QuotaScope;

  @Field(() => Int, { nullable: true, description: 'Credential lifetime in seconds; null = never expires.' })
  keyExpiresAfterSeconds!: number | null;

  @Field(() => [String], { description: 'JWT scopes mapped to the plan.' })
  jwtScopes!: string[];

  @Field(() => CredentialKind, { description: 'What approved access received: an API key or OAuth2 client credentials.' })
  credentialKind!: CredentialKind;

  @Field(() => [KeyValue], { description: 'Metadata attached to every credential issued under the plan.' })
  credentialMetadata!: KeyValue[];

  /** Stored catalog ids; GraphQL shows them as `catalogs`. */
  catalogIds!: string[];

  @Field(() => Boolean, { description: 'Whether access requests were approved automatically.' })
  autoApprove!: boolean;

  @Field(() => AccessRequestLimit, { description: 'Access requests one organization may make per interval, or unlimited.' })
  accessRequestLimit!: AccessRequestLimit;

  @Field(() => Int, { description: 'Tier rank (0–1000).' })
  tier!: number;

  @Field(() => Int, { nullable: true, description: 'Trial length in days; null = no trial.' })
  trialDays!: number | null;

  @Field(() => [EndpointRule], { description: 'Premium endpoints: per product, what credentials under the plan may call.' })
  endpointRules!: EndpointRule[];

  @Field(() => BoostAllowance, {
    nullable: true,
    description: 'What ORG_ADMINs could grant as quota boosts; null when only portal admins granted them.',
  })
  boostAllowance!: BoostAllowance | null;
}

@ObjectType({ description: 'One setting that differs from the previous version.' })
export class PlanSettingChange {
  @Field(() => String, {
    description:
      'The `PlanSettings` field that changed (e.g. `quota`, `catalogs`), or `status` when publishing or archiving changed the status.',
  })
  field!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'The value before, JSON-encoded (`"null"` for unset/unlimited; catalogs as a list of ids; quota as `{requests, period, periodSeconds}`). null when there was no previous version (CREATED).',
  })
  before!: string | null;

  @Field(() => String, { nullable: true, description: 'The value after, JSON-encoded like `before`.' })
  after!: string | null;
}

/**
 * One immutable entry of a plan's history: written in the same transaction as the change, never
 * updated or deleted (a database trigger refuses it).
 */
@ObjectType({
  description:
    'One change of a plan: who made it, when, the full settings after it and the diff against the previous version. Immutable. Portal admins only.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'plan_version' })
export class PlanVersion {
  [OptionalProps]?: 'id' | 'changedAt' | 'rolledBackTo' | 'changes' | 'approvedBy';

  @Field(() => ID, { description: 'Stable identifier (UUID) of this version entry.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => ID, { description: 'The plan this version belongs to (it stays listed after a never-published plan is deleted).' })
  @Property({ type: 'uuid' })
  planId!: string;

  @Field(() => Int, { description: 'The plan’s version number this entry created (1 for CREATED, then +1 per change).' })
  @Property({ type: 'integer' })
  version!: number;

  @Field(() => PlanChangeAction, { description: 'Which mutation made the change.' })
  @Enum({ items: () => PlanChangeAction })
  action!: PlanChangeAction;

  @Field(() => PlanStatus, { description: 'The plan’s status after the change.' })
  @Enum({ items: () => PlanStatus })
  status!: PlanStatus;

  /** Full settings after the change (see `services/settings.ts`); GraphQL shows them as `PlanSettings`. */
  @Property({ type: 'json', columnType: 'jsonb', fieldName: 'settings' })
  settingsJson!: Record<string, unknown>;

  /** `{ field, before, after }[]`; GraphQL shows them as `changes`. */
  @Property({ type: 'json', columnType: 'jsonb', fieldName: 'changes' })
  changesJson: { field: string; before: string | null; after: string | null }[] = [];

  @Field(() => String, {
    description:
      'Subject (user id from the token) of the portal admin who made (or proposed) the change; `system:import` for changes imported from a provider.',
  })
  @Property({ type: 'text' })
  changedBy!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Subject of the portal admin who approved the change (separation of duties, `approvePlanChange`); `changedBy` is then the proposer. Null when the change needed no approval.',
  })
  @Property({ type: 'text', nullable: true })
  approvedBy: string | null = null;

  @Field(() => Date, { description: 'When the change was committed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  changedAt!: Date;

  @Field(() => Int, { nullable: true, description: 'For ROLLED_BACK: the version whose settings were restored; null otherwise.' })
  @Property({ type: 'integer', nullable: true })
  rolledBackTo: number | null = null;
}
