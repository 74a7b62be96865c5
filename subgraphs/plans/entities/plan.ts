import { TextArrayType } from '../../../common/db-types';
import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { CredentialKind, PlanStatus, QuotaPeriod, QuotaScope } from './enums';
import { ENDPOINT_RULES_DESCRIPTION, EndpointRule } from './endpoint-rule';
import type { BoostAllowanceSetting, EndpointRuleSetting } from '../services/settings';
import { entityNow } from '../../../common/clock';
import { KEY_DESCRIPTION, MANAGED_BY_DESCRIPTION } from '../../../common/catalog-labels';

export { CredentialKind, PlanStatus, QuotaPeriod, QuotaScope };

@ObjectType({
  description:
    'How many requests a plan allows per period (its usage quota), or that it is unlimited. Has no id: it is a value of its plan (or plan version), not an entity; normalising client caches keep it inside its parent and merge two selections of it (see docs/CLIENTS.md).',
})
export class UsageQuota {
  @Field(() => Boolean, { description: 'True when there is no quota; `requests`, `period` and `periodSeconds` are then null.' })
  unlimited!: boolean;

  @Field(() => Int, { nullable: true, description: 'Requests allowed per period (1–1,000,000,000); null when unlimited.' })
  requests!: number | null;

  @Field(() => QuotaPeriod, { nullable: true, description: 'The named period (or CUSTOM); null when unlimited.' })
  period!: QuotaPeriod | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Length of the period in seconds, also for named periods (DAY → 86400, MONTH → 2592000); null when unlimited.',
  })
  periodSeconds!: number | null;
}

@ObjectType({
  description:
    'How fast a plan lets a credential send requests (its rate limit), or that it is unlimited. Has no id: it is a value of its plan (or plan version), not an entity; normalising client caches keep it inside its parent and merge two selections of it (see docs/CLIENTS.md).',
})
export class RateLimit {
  @Field(() => Boolean, { description: 'True when there is no rate limit; `requests` and `perSeconds` are then null.' })
  unlimited!: boolean;

  @Field(() => Int, { nullable: true, description: 'Requests allowed per window (1–1,000,000); null when unlimited.' })
  requests!: number | null;

  @Field(() => Int, { nullable: true, description: 'Length of the rate-limit window in seconds (1–86400); null when unlimited.' })
  perSeconds!: number | null;
}

@ObjectType({
  description:
    'How many access requests one organization may make under a plan per renewal interval, or that it is unlimited. The developers subgraph enforces it when access is requested.',
})
export class AccessRequestLimit {
  @Field(() => Boolean, { description: 'True when there is no limit; `allowance` and `renewalSeconds` are then null.' })
  unlimited!: boolean;

  @Field(() => Int, {
    nullable: true,
    description: 'Access requests one organization may make per interval (1–1000); null when unlimited.',
  })
  allowance!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Length of the interval in seconds (3600–31536000) after which the allowance renews; null when unlimited.',
  })
  renewalSeconds!: number | null;
}

@ObjectType({
  description:
    'What an ORG_ADMIN of an organization may grant itself as a temporary quota boost on a credential under the plan (`grantQuotaBoost`); portal admins are not bound by it. Has no id: it is a value of its plan (or plan version).',
})
export class BoostAllowance {
  @Field(() => Int, { description: 'Extra quota a boost may add, in percent of the plan’s quota (0–1000; 0 = no extra quota).' })
  maxExtraQuotaPercent!: number;

  @Field(() => Int, { description: 'Extra rate a boost may add, in percent of the plan’s rate limit (0–1000; 0 = no extra rate).' })
  maxExtraRatePercent!: number;

  @Field(() => Int, { description: 'Longest boost, in seconds (60–2592000, i.e. up to 30 days).' })
  maxDurationSeconds!: number;

  @Field(() => Int, {
    description: 'Boosts one organization may grant itself per credential within `windowSeconds` (1–100; revoked ones count too).',
  })
  maxBoosts!: number;

  @Field(() => Int, { description: 'The window `maxBoosts` counts in, in seconds (3600–31536000).' })
  windowSeconds!: number;
}

/** One entry of `credential_metadata` (stored as a JSON array to keep the given order). */
export interface MetadataEntry {
  key: string;
  value: string;
}

/**
 * A plan: how much of the products in its catalogs a developer gets (quota, rate limit, key
 * lifetime, …). The table keeps each limit as nullable integer columns (all null = unlimited);
 * GraphQL shows them as the value types above (see the plan resolver).
 */
@ObjectType({
  description:
    'What a developer gets: a usage quota, rate limit and credential settings for the products in the plan’s catalogs. Anyone who may see the plan may read every field.',
})
@Directive('@key(fields: "id")')
@Entity({ tableName: 'plan' })
export class Plan {
  [OptionalProps]?:
    | 'id'
    | 'description'
    | 'quotaRequests'
    | 'quotaPeriod'
    | 'quotaPeriodSeconds'
    | 'rateRequests'
    | 'ratePerSeconds'
    | 'quotaScope'
    | 'keyExpiresAfterSeconds'
    | 'jwtScopes'
    | 'credentialKind'
    | 'credentialMetadata'
    | 'catalogIds'
    | 'autoApprove'
    | 'accessRequestAllowance'
    | 'accessRequestRenewalSeconds'
    | 'tier'
    | 'trialDays'
    | 'endpointRules'
    | 'boostAllowance'
    | 'status'
    | 'version'
    | 'publishedAt'
    | 'archivedAt'
    | 'createdAt'
    | 'updatedAt'
    | 'key'
    | 'managedBy';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, {
    description:
      'Unique internal name (1–100 characters: ASCII letters, digits, spaces, `-` and `_`), e.g. `payments-gold`. Provider policies are named after it.',
  })
  @Property({ type: 'text', unique: 'plan_name_key' })
  name!: string;

  @Field(() => String, { nullable: true, description: KEY_DESCRIPTION('plan') })
  @Property({ type: 'text', nullable: true, unique: 'plan_key_key' })
  key: string | null = null;

  @Field(() => String, {
    nullable: true,
    description: `${MANAGED_BY_DESCRIPTION} A label, not a setting: changing it records no plan version.`,
  })
  @Property({ type: 'text', nullable: true })
  managedBy: string | null = null;

  @Field(() => String, { description: 'Name shown to developers in catalogs (1–120 characters).' })
  @Property({ type: 'text' })
  displayName!: string;

  @Field(() => String, {
    description: 'Markdown description of what the plan offers (at most 20,000 characters); `descriptionHtml` is the rendered form.',
  })
  @Property({ type: 'text' })
  description: string = '';

  @Property({ type: 'integer', nullable: true })
  quotaRequests: number | null = null;

  @Property({ type: 'text', nullable: true })
  quotaPeriod: QuotaPeriod | null = null;

  @Property({ type: 'integer', nullable: true })
  quotaPeriodSeconds: number | null = null;

  @Property({ type: 'integer', nullable: true })
  rateRequests: number | null = null;

  @Property({ type: 'integer', nullable: true })
  ratePerSeconds: number | null = null;

  @Field(() => QuotaScope, {
    description: 'Who shares the quota and rate-limit counters: each credential (default), each app, or the whole organization.',
  })
  @Enum({ items: () => QuotaScope })
  quotaScope: QuotaScope = QuotaScope.CREDENTIAL;

  @Field(() => Int, {
    nullable: true,
    description:
      'Credentials issued under this plan expire this many seconds after they are issued (60 s – 5 years); null = they never expire.',
  })
  @Property({ type: 'integer', nullable: true })
  keyExpiresAfterSeconds: number | null = null;

  @Field(() => [String], {
    description: 'OAuth/JWT scopes that map to this plan (Tyk’s scope-to-policy mapping), in the order given; at most 50.',
  })
  @Property({ type: TextArrayType, columnType: 'text[]' })
  jwtScopes: string[] = [];

  @Field(() => CredentialKind, {
    description:
      'What approved access under this plan receives: an API key (API_KEY, the default) or OAuth2 client credentials registered at the provider’s identity provider (OAUTH_CLIENT; needs `jwtScopes`).',
  })
  @Enum({ items: () => CredentialKind })
  credentialKind: CredentialKind = CredentialKind.API_KEY;

  /** Entries attached to every credential; GraphQL exposes them as `credentialMetadata: [KeyValue!]!`. */
  @Property({ type: 'json', columnType: 'jsonb' })
  credentialMetadata: MetadataEntry[] = [];

  /** Catalogs the plan is offered in (order given); GraphQL exposes them as `catalogs`. */
  @Property({ type: TextArrayType, columnType: 'uuid[]' })
  catalogIds: string[] = [];

  @Field(() => Boolean, { description: 'True when access requests under this plan are approved at once, without a portal admin.' })
  @Property({ type: 'boolean' })
  autoApprove: boolean = false;

  @Property({ type: 'integer', nullable: true })
  accessRequestAllowance: number | null = null;

  @Property({ type: 'integer', nullable: true })
  accessRequestRenewalSeconds: number | null = null;

  @Field(() => Int, {
    description:
      'Rank (0–1000) for ordering and upgrade paths: higher tiers are upgrades of lower ones. Lists order plans by tier, then name.',
  })
  @Property({ type: 'integer' })
  tier: number = 0;

  @Field(() => Int, { nullable: true, description: 'Length of a free trial in days (1–365); null when the plan has no trial.' })
  @Property({ type: 'integer', nullable: true })
  trialDays: number | null = null;

  @Field(() => [EndpointRule], { description: `${ENDPOINT_RULES_DESCRIPTION} Shows what each tier gets.` })
  @Property({ type: 'json', columnType: 'jsonb' })
  endpointRules: EndpointRuleSetting[] = [];

  /** What ORG_ADMINs may grant as quota boosts; null = only portal admins grant boosts. GraphQL: `boostAllowance`. */
  @Property({ type: 'json', columnType: 'jsonb', nullable: true })
  boostAllowance: BoostAllowanceSetting | null = null;

  @Field(() => PlanStatus, { description: 'Lifecycle status (see `PlanStatus` for the allowed transitions).' })
  @Enum({ items: () => PlanStatus })
  status: PlanStatus = PlanStatus.DRAFT;

  @Field(() => Int, { description: 'Version of the plan, starting at 1 and raised by 1 with every change (see `planVersions`).' })
  @Property({ type: 'integer' })
  version: number = 1;

  @Field(() => Date, {
    nullable: true,
    description: 'When the plan was last published; null when it was never published (kept when it is archived).',
  })
  @Property({ type: 'timestamptz', nullable: true })
  publishedAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the plan was archived; null unless its status is ARCHIVED.' })
  @Property({ type: 'timestamptz', nullable: true })
  archivedAt: Date | null = null;

  @Field(() => Date, { description: 'When the plan was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the plan last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
