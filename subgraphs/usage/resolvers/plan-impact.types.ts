import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { QuotaScope } from '../../../common/shared-enums';
import { AppRef, CredentialRef, PlanRef } from '../entities/refs';
import { OrganizationRef } from '../entities/organization-ref';
import { DEFAULT_IMPACT_DAYS, MAX_IMPACT_DAYS } from '../services/plan-impact';

/** Largest quota period and rate window a preview accepts (those a plan accepts). */
export const MAX_IMPACT_PERIOD_SECONDS = 366 * 86_400;
export const MAX_IMPACT_REQUESTS = 1_000_000_000;

/**
 * The plans subgraph's `PlanChangeRequest`, as usage references it: only its key. Usage adds
 * `impact` to it. The description is the owner's own.
 */
@ObjectType('PlanChangeRequest', {
  description:
    'A proposed change of a plan’s settings or status, waiting for (or decided by) a second portal admin: the proposer can never approve or reject it. Portal admins only.',
})
@Directive('@key(fields: "id")')
export class PlanChangeRequestRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

/** The developers subgraph's `PlanMigration`, as usage sees it: the key, to add `impact`. */
@ObjectType('PlanMigration', {
  description:
    'A bulk plan migration: every ACTIVE credential of one plan moved to another plan, keeping the credential (id, secret, Tyk key, quota counters), or the dry run of one. Portal admins only.',
})
@Directive('@key(fields: "id")')
export class PlanMigrationRef {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;
}

@InputType({ description: 'A quota to replay past traffic against: requests per period.' })
export class PlanImpactQuotaInput {
  @Field(() => Int, { description: `Requests allowed per period, 1–${MAX_IMPACT_REQUESTS.toLocaleString('en-US')}.` })
  requests!: number;

  @Field(() => Int, {
    description: `Length of a quota window in seconds, 1–${MAX_IMPACT_PERIOD_SECONDS.toLocaleString('en-US')} (a day is 86400).`,
  })
  periodSeconds!: number;
}

@InputType({ description: 'A rate limit to replay past traffic against: requests per sliding window of seconds.' })
export class PlanImpactRateLimitInput {
  @Field(() => Int, { description: `Requests allowed per window, 1–${MAX_IMPACT_REQUESTS.toLocaleString('en-US')}.` })
  requests!: number;

  @Field(() => Int, { description: 'Length of the sliding window in seconds, 1–86,400.' })
  perSeconds!: number;
}

@InputType({
  description:
    'Limits to preview for a plan. A field left out keeps the plan’s current value; `quota: null` or `rateLimit: null` means unlimited.',
})
export class PlanChangeImpactInput {
  @Field(() => ID, { description: 'The plan whose recorded traffic is replayed.' })
  planId!: string;

  @Field(() => PlanImpactQuotaInput, {
    nullable: true,
    description: 'The quota to try; null = unlimited; left out = the plan’s current quota.',
  })
  quota?: PlanImpactQuotaInput | null;

  @Field(() => PlanImpactRateLimitInput, {
    nullable: true,
    description: 'The rate limit to try; null = unlimited; left out = the plan’s current rate limit.',
  })
  rateLimit?: PlanImpactRateLimitInput | null;

  @Field(() => QuotaScope, { nullable: true, description: 'Who shares the counters; left out = the plan’s current quota scope.' })
  quotaScope?: QuotaScope | null;

  @Field(() => Int, {
    nullable: true,
    description: `How many days of traffic to replay, ending now: 1–${MAX_IMPACT_DAYS} (default ${DEFAULT_IMPACT_DAYS}).`,
  })
  days?: number | null;
}

@ObjectType({ description: 'A quota the preview replayed traffic against.' })
export class PlanImpactQuota {
  @Field(() => Int, { description: 'Requests allowed per window.' })
  requests!: number;

  @Field(() => Int, { description: 'Window length in seconds.' })
  periodSeconds!: number;
}

@ObjectType({ description: 'A rate limit the preview replayed traffic against.' })
export class PlanImpactRateLimit {
  @Field(() => Int, { description: 'Requests allowed per sliding window.' })
  requests!: number;

  @Field(() => Int, { description: 'Window length in seconds.' })
  perSeconds!: number;
}

@ObjectType({
  description:
    'One quota counter (credential, app or organization, as the quota scope says) that sent traffic under the plan in the period, and what the previewed limits would have done to it.',
})
export class PlanChangeImpactSubject {
  @Field(() => QuotaScope, { description: 'Which kind of counter this is.' })
  scope!: QuotaScope;

  @Field(() => OrganizationRef, { description: 'The organization the counter belongs to.' })
  organization!: OrganizationRef;

  @Field(() => AppRef, { nullable: true, description: 'The app (CREDENTIAL and APP scope); null for ORGANIZATION scope.' })
  app!: AppRef | null;

  @Field(() => CredentialRef, { nullable: true, description: 'The credential (CREDENTIAL scope only).' })
  credential!: CredentialRef | null;

  @Field(() => Int, { description: 'Requests the counter sent in the period (demand, including requests the current limits refused).' })
  requests!: number;

  @Field(() => Int, { description: 'Quota windows the counter opened in the period (0 when the previewed quota is unlimited).' })
  quotaWindows!: number;

  @Field(() => Int, { description: 'Of those, windows in which it would have gone over the previewed quota.' })
  quotaWindowsExceeded!: number;

  @Field(() => Int, { description: 'Most requests it sent in one quota window.' })
  peakQuotaUsed!: number;

  @Field(() => Int, { description: 'Requests the previewed quota would have refused (beyond the limit in their window).' })
  requestsOverQuota!: number;

  @Field(() => Int, { description: 'Most requests it sent within one rate-limit window (0 when the previewed rate limit is unlimited).' })
  peakRate!: number;

  @Field(() => Int, { description: 'Requests the previewed rate limit would have refused.' })
  requestsOverRateLimit!: number;
}

@ObjectType({
  description:
    'What limits would have done to a plan’s subscribers: its recorded traffic of the last days replayed as Tyk counts (quota windows from each counter’s first request, a sliding rate window). Portal admins only.',
})
export class PlanChangeImpact {
  @Field(() => PlanRef, { description: 'The plan whose traffic was replayed.' })
  plan!: PlanRef;

  @Field(() => Date, { description: 'Start of the replayed period (inclusive).' })
  from!: Date;

  @Field(() => Date, { description: 'End of the replayed period (exclusive): when the preview was computed.' })
  to!: Date;

  @Field(() => PlanImpactQuota, { nullable: true, description: 'The quota replayed against; null = unlimited.' })
  quota!: PlanImpactQuota | null;

  @Field(() => PlanImpactRateLimit, { nullable: true, description: 'The rate limit replayed against; null = unlimited.' })
  rateLimit!: PlanImpactRateLimit | null;

  @Field(() => QuotaScope, { description: 'Who shares the counters in the replay.' })
  quotaScope!: QuotaScope;

  @Field(() => Int, { description: 'Counters that sent any traffic in the period.' })
  countersWithTraffic!: number;

  @Field(() => Int, { description: 'Counters that would have had at least one request refused.' })
  countersAffected!: number;

  @Field(() => Int, { description: 'Distinct organizations with at least one affected counter.' })
  organizationsAffected!: number;

  @Field(() => Int, { description: 'Requests the previewed quota would have refused, in all.' })
  requestsOverQuota!: number;

  @Field(() => Int, { description: 'Requests the previewed rate limit would have refused, in all.' })
  requestsOverRateLimit!: number;

  @Field(() => [PlanChangeImpactSubject], {
    description: 'The affected counters, most refused requests first (at most 100).',
  })
  affected!: PlanChangeImpactSubject[];
}
