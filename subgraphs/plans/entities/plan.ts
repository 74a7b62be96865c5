import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';

export enum PlanStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  ARCHIVED = 'ARCHIVED',
}

registerEnumType(PlanStatus, {
  name: 'PlanStatus',
  description: 'Lifecycle of a plan: only PUBLISHED plans are shown to developers.',
  valuesConfig: {
    DRAFT: { description: 'Being prepared; visible to portal admins only.' },
    PUBLISHED: { description: 'Offered to developers; access can be requested.' },
    ARCHIVED: { description: 'No longer offered; visible to portal admins only. Existing access keeps working until revoked.' },
  },
});

/** Longest quota period: one year (365 days) in seconds. */
export const MAX_QUOTA_PERIOD_SECONDS = 31_536_000;

@ObjectType({ description: 'How many requests a plan allows per period (its quota), or that it is unlimited.' })
export class UsageQuota {
  @Field(() => Boolean, { description: 'True when the plan has no quota; `requests` and `periodSeconds` are then null.' })
  unlimited!: boolean;

  @Field(() => Int, { nullable: true, description: 'Requests allowed per period (at least 1); null when unlimited.' })
  requests!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Length of the quota period in seconds (1–${MAX_QUOTA_PERIOD_SECONDS}, e.g. 2592000 for 30 days); null when unlimited.`,
  })
  periodSeconds!: number | null;
}

@ObjectType({ description: 'How fast a plan lets a credential send requests (its rate limit), or that it is unlimited.' })
export class RateLimit {
  @Field(() => Boolean, { description: 'True when the plan has no rate limit; `requests` and `perSeconds` are then null.' })
  unlimited!: boolean;

  @Field(() => Int, { nullable: true, description: 'Requests allowed per window (at least 1); null when unlimited.' })
  requests!: number | null;

  @Field(() => Int, { nullable: true, description: 'Length of the rate-limit window in seconds (at least 1); null when unlimited.' })
  perSeconds!: number | null;
}

/**
 * A plan: which products it grants, with which quota and rate limit. The table keeps quota and
 * rate limit as nullable integer pairs (both null = unlimited); GraphQL shows them as the
 * `UsageQuota` and `RateLimit` value types (see the plan resolver).
 */
@ObjectType({ description: 'What a developer gets: access to one or more products with a usage quota and a rate limit.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'plan' })
export class Plan {
  [OptionalProps]?:
    | 'id'
    | 'description'
    | 'status'
    | 'version'
    | 'quotaRequests'
    | 'quotaPeriodSeconds'
    | 'rateRequests'
    | 'ratePerSeconds'
    | 'createdAt'
    | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, {
    description: 'Unique internal name (1–100 characters: ASCII letters, digits, spaces, `-` and `_`), e.g. `payments-gold`. Portal admins and provider policies use it.',
  })
  @Property({ type: 'text', unique: 'plan_name_key' })
  name!: string;

  @Field(() => String, { description: 'Name shown in the catalog (1–120 characters).' })
  @Property({ type: 'text' })
  displayName!: string;

  @Field(() => String, { description: 'Markdown description of what the plan offers.' })
  @Property({ type: 'text' })
  description: string = '';

  /** Products this plan grants access to (at least one); GraphQL exposes them as `products`. */
  @Property({ type: 'uuid[]', columnType: 'uuid[]' })
  productIds!: string[];

  @Property({ type: 'integer', nullable: true })
  quotaRequests: number | null = null;

  @Property({ type: 'integer', nullable: true })
  quotaPeriodSeconds: number | null = null;

  @Property({ type: 'integer', nullable: true })
  rateRequests: number | null = null;

  @Property({ type: 'integer', nullable: true })
  ratePerSeconds: number | null = null;

  @Field(() => PlanStatus, { description: 'Lifecycle status.' })
  @Enum({ items: () => PlanStatus })
  status: PlanStatus = PlanStatus.DRAFT;

  @Field(() => Int, { description: 'Version of the plan’s terms, starting at 1.' })
  @Property({ type: 'integer' })
  version: number = 1;

  @Field(() => Date, { description: 'When the plan was created.' })
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'When the plan last changed.' })
  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

export function quotaOf(plan: Plan): UsageQuota {
  const unlimited = plan.quotaRequests === null || plan.quotaPeriodSeconds === null;
  return Object.assign(new UsageQuota(), {
    unlimited,
    requests: unlimited ? null : plan.quotaRequests,
    periodSeconds: unlimited ? null : plan.quotaPeriodSeconds,
  });
}

export function rateLimitOf(plan: Plan): RateLimit {
  const unlimited = plan.rateRequests === null || plan.ratePerSeconds === null;
  return Object.assign(new RateLimit(), {
    unlimited,
    requests: unlimited ? null : plan.rateRequests,
    perSeconds: unlimited ? null : plan.ratePerSeconds,
  });
}
