import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { QuotaScope } from '../../../common/shared-enums';
import { AppRef, CredentialRef, PlanRef } from '../entities/refs';
import { SPIKE_BASELINE_BUCKETS, SPIKE_FACTOR, SPIKE_MIN_REQUESTS, SPIKE_SIGMAS } from '../services/spike';

export enum UsageGranularity {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}

registerEnumType(UsageGranularity, {
  name: 'UsageGranularity',
  description: 'Width of the buckets of a usage series (UTC-aligned).',
  valuesConfig: {
    MINUTE: { description: 'One point per minute; at most 1,500 points per series (25 hours).' },
    HOUR: { description: 'One point per hour; at most 1,500 points per series (62 days).' },
    DAY: { description: 'One point per UTC day; at most 1,500 points per series.' },
  },
});

@ObjectType({
  description:
    'Where a quota counter stands in its current window, as Tyk counts it: windows are not calendar aligned — one starts at the first counted request after the previous window expired and lasts the plan’s quota period. Requests that reach Tyk’s quota check count (rejections by the quota itself too); rate-limited (429) and rejected-key (401) requests do not.',
})
export class QuotaStatus {
  @Field(() => QuotaScope, {
    description: 'Who shares this counter: one credential, every credential of the app, or of the organization (under `plan`).',
  })
  scope!: QuotaScope;

  @Field(() => PlanRef, { description: 'The plan whose quota this is.' })
  plan!: PlanRef;

  @Field(() => AppRef, {
    nullable: true,
    description: 'The app whose counter this is (CREDENTIAL and APP scope); null for ORGANIZATION scope.',
  })
  app!: AppRef | null;

  @Field(() => CredentialRef, { nullable: true, description: 'The credential whose counter this is (CREDENTIAL scope only).' })
  credential!: CredentialRef | null;

  @Field(() => Int, { nullable: true, description: 'Requests allowed per window; null when the plan has no quota (unlimited).' })
  limit!: number | null;

  @Field(() => Int, { description: 'Requests counted in the current window; 0 when no window is open.' })
  used!: number;

  @Field(() => Int, { nullable: true, description: 'Requests left in the current window (never below 0); null when unlimited.' })
  remaining!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'used ÷ limit in percent (may exceed 100: rejected requests count too); null when unlimited.',
  })
  percentUsed!: number | null;

  @Field(() => Int, { nullable: true, description: 'Length of a window in seconds (the plan’s quota period); null when unlimited.' })
  periodSeconds!: number | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Start of the current window (its first counted request); null when no window is open (the next request opens one).',
  })
  windowStart!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the current window ends and the count starts again from zero; null when no window is open.',
  })
  resetsAt!: Date | null;

  @Field(() => Float, {
    description: 'Average requests per hour in the current window so far (over at least one minute); 0 when no window is open.',
  })
  burnRatePerHour!: number;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the quota runs out at `burnRatePerHour`, if that is before `resetsAt`; null when it will not run out in this window, is unlimited, or has run out already (`remaining` 0).',
  })
  projectedExhaustionAt!: Date | null;
}

@ObjectType({
  description:
    'Traffic in one bucket of a usage series. The outcome counts are disjoint: requests = successes + errors4xx + errors5xx + rateLimited + quotaExceeded.',
})
export class UsagePoint {
  @Field(() => Date, { description: 'Start of the bucket (UTC).' })
  at!: Date;

  @Field(() => Int, { description: 'Requests recorded in the bucket.' })
  requests!: number;

  @Field(() => Int, { description: 'Client errors (4xx) other than rate-limit (429) and quota (403) rejections.' })
  errors4xx!: number;

  @Field(() => Int, { description: 'Server errors (5xx).' })
  errors5xx!: number;

  @Field(() => Int, { description: 'Requests rejected by the rate limit (429).' })
  rateLimited!: number;

  @Field(() => Int, { description: 'Requests rejected because the quota was used up (403 "Quota exceeded").' })
  quotaExceeded!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Median latency in ms (estimated from a histogram, ≤ 25 % off); null without requests.',
  })
  latencyP50Ms!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: '95th-percentile latency in ms (estimated from a histogram, ≤ 25 % off); null without requests.',
  })
  latencyP95Ms!: number | null;
}

@ObjectType({ description: 'Traffic of a whole usage series or report row, with error rates.' })
export class UsageTotals {
  @Field(() => Float, { description: 'Requests in the range (a Float: totals may exceed 32-bit integers).' })
  requests!: number;

  @Field(() => Float, { description: 'Client errors (4xx) other than 429 and quota 403s.' })
  errors4xx!: number;

  @Field(() => Float, { description: 'Server errors (5xx).' })
  errors5xx!: number;

  @Field(() => Float, { description: 'Rate-limit rejections (429).' })
  rateLimited!: number;

  @Field(() => Float, { description: 'Quota rejections (403 "Quota exceeded").' })
  quotaExceeded!: number;

  @Field(() => Float, { description: '(errors4xx + errors5xx) ÷ requests, 0–1; 0 without requests.' })
  errorRate!: number;

  @Field(() => Float, { description: '(rateLimited + quotaExceeded) ÷ requests, 0–1; 0 without requests.' })
  rejectionRate!: number;

  @Field(() => Float, { nullable: true, description: 'Median latency in ms over the range (estimated); null without requests.' })
  latencyP50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: '95th-percentile latency in ms over the range (estimated); null without requests.' })
  latencyP95Ms!: number | null;
}

@ObjectType({
  description: `Traffic over time, one point per bucket from \`from\` to \`to\` (empty buckets included, with zeros), plus totals and a spike flag. Spike rule: the latest bucket is a spike when it has at least ${SPIKE_MIN_REQUESTS} requests, at least ${SPIKE_FACTOR}× the mean of the ${SPIKE_BASELINE_BUCKETS} buckets before it, and at least that mean + ${SPIKE_SIGMAS} standard deviations.`,
})
export class UsageSeries {
  @Field(() => UsageGranularity, { description: 'Bucket width.' })
  granularity!: UsageGranularity;

  @Field(() => Date, { description: 'Start of the first bucket (`from` rounded down to the granularity).' })
  from!: Date;

  @Field(() => Date, { description: 'End of the last bucket (exclusive; `to` rounded up to the granularity).' })
  to!: Date;

  @Field(() => [UsagePoint], { description: 'One point per bucket, oldest first.' })
  points!: UsagePoint[];

  @Field(() => UsageTotals, { description: 'Sums over all points.' })
  totals!: UsageTotals;

  @Field(() => Boolean, {
    description: 'True when the latest bucket’s traffic is far above this series’ own recent baseline (rule in the type description).',
  })
  spike!: boolean;

  @Field(() => Float, { nullable: true, description: 'Latest bucket’s requests ÷ baseline mean; null when the baseline is empty.' })
  spikeFactor!: number | null;

  @Field(() => Float, {
    description: `Mean requests per bucket over the ${SPIKE_BASELINE_BUCKETS} buckets before the latest one (the spike baseline).`,
  })
  baselineRequests!: number;
}

@ObjectType({ description: 'Traffic of one plan in a usage report.' })
export class PlanUsageSummary {
  @Field(() => PlanRef, { description: 'The plan.' })
  plan!: PlanRef;

  @Field(() => Int, { description: 'The plan’s tier (0–1000) as the plans subgraph publishes it.' })
  tier!: number;

  @Field(() => UsageTotals, { description: 'Traffic of every credential under the plan in the range.' })
  totals!: UsageTotals;
}

@ObjectType({ description: 'Traffic of all plans of one tier in a usage report.' })
export class TierUsageSummary {
  @Field(() => Int, { description: 'The tier.' })
  tier!: number;

  @Field(() => Int, { description: 'Plans of this tier with traffic in the range.' })
  plans!: number;

  @Field(() => UsageTotals, { description: 'Traffic of all those plans.' })
  totals!: UsageTotals;
}

@ObjectType({ description: 'Usage and error rates by plan and by tier over a time range (cohort view).' })
export class PlanUsageReport {
  @Field(() => Date, { description: 'Start of the range (rounded down to whole hours or days when the range is).' })
  from!: Date;

  @Field(() => Date, { description: 'End of the range (exclusive).' })
  to!: Date;

  @Field(() => [PlanUsageSummary], { description: 'Plans with traffic in the range, by tier (descending), then requests (descending).' })
  plans!: PlanUsageSummary[];

  @Field(() => [TierUsageSummary], { description: 'Tiers with traffic in the range, descending.' })
  tiers!: TierUsageSummary[];
}

@ObjectType({ description: 'Traffic of one key that matches no credential.' })
export class UnmatchedKey {
  @Field(() => String, {
    description: 'The first 8 characters of the key hash as Tyk recorded it (`00000000` = unauthenticated requests).',
  })
  keyHashPrefix!: string;

  @Field(() => Int, { description: 'Requests with that key in the range.' })
  requests!: number;

  @Field(() => Date, { description: 'When the key was last seen in the range.' })
  lastSeenAt!: Date;
}

@ObjectType({ description: 'Analytics records whose key matched no credential: stored and counted, never dropped.' })
export class UnmatchedUsage {
  @Field(() => Int, { description: 'Records with unknown keys in the range.' })
  requests!: number;

  @Field(() => Int, { description: 'Distinct unknown key hashes in the range.' })
  distinctKeys!: number;

  @Field(() => [UnmatchedKey], { description: 'The 20 busiest unknown keys, busiest first.' })
  topKeys!: UnmatchedKey[];
}

export { QuotaScope };
