/** GraphQL types of adaptive rate limits: the setting, the state, evaluations and changes. */
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../../../common/errors';

export enum AdaptiveLimitState {
  NORMAL = 'NORMAL',
  TIGHTENED = 'TIGHTENED',
}

registerEnumType(AdaptiveLimitState, {
  name: 'AdaptiveLimitState',
  description: 'Where a plan’s adaptive rate limit stands.',
  valuesConfig: {
    NORMAL: { description: 'The plan’s own rate limit applies.' },
    TIGHTENED: { description: 'The upstream is unhealthy: the floor applies until it recovers.' },
  },
});

@ObjectType({ description: 'How a plan’s rate limit adapts to the health of its upstream.' })
export class AdaptiveRateLimitSettings {
  @Field(() => Int, { description: 'The rate while tightened: requests per the plan’s rate period (below the plan’s own rate).' })
  floorRequests!: number;

  @Field(() => Float, { description: 'Tighten when the 5xx share of the window’s upstream requests is above this percentage.' })
  errorRateAbovePercent!: number;

  @Field(() => Float, {
    description: 'Restore only when the 5xx share is below this (lower) percentage over a whole window after tightening.',
  })
  restoreBelowPercent!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'Also tighten when the window’s p95 latency is above this many ms; null: latency is not watched.',
  })
  latencyP95AboveMs!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Restore only when the p95 latency is below this many ms (default: `latencyP95AboveMs`).',
  })
  latencyRestoreBelowMs!: number | null;

  @Field(() => Int, { description: 'The evaluation window, in seconds (60–86400).' })
  windowSeconds!: number;

  @Field(() => Int, { description: 'Windows with fewer upstream requests change nothing.' })
  minRequests!: number;

  @Field(() => String, { description: 'Token subject of who set it last.' })
  updatedBy!: string;

  @Field(() => Date, { description: 'When it was set last.' })
  updatedAt!: Date;
}

@ObjectType({ description: 'A rate limit: requests per period.' })
export class AdaptiveRate {
  @Field(() => Int, { description: 'Requests allowed per period.' })
  requests!: number;

  @Field(() => Int, { description: 'The period, in seconds.' })
  perSeconds!: number;
}

@ObjectType({ description: 'The figures of one evaluation window and what was decided.' })
export class AdaptiveLimitEvaluation {
  @Field(() => Date, { description: 'When the window was evaluated (its end).' })
  at!: Date;

  @Field(() => Int, { description: 'Requests that reached the upstream in the window (not refused by the gateway for rate or quota).' })
  requests!: number;

  @Field(() => Int, { description: 'Of them, answered with a 5xx.' })
  errors5xx!: number;

  @Field(() => Float, { description: 'The 5xx share, in percent (two decimals).' })
  errorRatePercent!: number;

  @Field(() => Float, { nullable: true, description: 'Estimated p95 latency in ms; null without requests.' })
  latencyP95Ms!: number | null;

  @Field(() => String, {
    description:
      'What was decided: TOO_FEW_REQUESTS, HEALTHY, ERROR_RATE_ABOVE, LATENCY_ABOVE (tightened), UNHEALTHY, RECOVERING (healthy, but not for a whole window yet), RECOVERED (restored), PLAN_WITHOUT_RATE_LIMIT.',
  })
  decision!: string;
}

@ObjectType({ description: 'A change of a plan’s adaptive state, with the figures that caused it.' })
export class AdaptiveLimitChange {
  @Field(() => Date, { description: 'When it changed.' })
  occurredAt!: Date;

  @Field(() => AdaptiveLimitState, { description: 'The state it changed to.' })
  state!: AdaptiveLimitState;

  @Field(() => String, { description: 'Why: ERROR_RATE_ABOVE, LATENCY_ABOVE, RECOVERED, SETTING_REMOVED or PLAN_WITHOUT_RATE_LIMIT.' })
  reason!: string;

  @Field(() => Int, { nullable: true, description: 'Upstream requests in the window (null when no window caused it).' })
  requests!: number | null;

  @Field(() => Int, { nullable: true, description: 'Of them, 5xx.' })
  errors5xx!: number | null;

  @Field(() => Float, { nullable: true, description: 'The 5xx share, in percent.' })
  errorRatePercent!: number | null;

  @Field(() => Float, { nullable: true, description: 'Estimated p95 latency in ms.' })
  latencyP95Ms!: number | null;

  @Field(() => AdaptiveRate, { nullable: true, description: 'The tightened rate (null when restored).' })
  effectiveRate!: AdaptiveRate | null;
}

@ObjectType({ description: 'A plan’s adaptive rate limit: its setting, its state, the last evaluation and the last changes.' })
export class AdaptiveLimit {
  @Field(() => ID, { description: 'The plan.' })
  planId!: string;

  @Field(() => AdaptiveRateLimitSettings, { nullable: true, description: 'The setting; null when the plan’s rate limit does not adapt.' })
  settings!: AdaptiveRateLimitSettings | null;

  @Field(() => AdaptiveLimitState, { description: 'NORMAL or TIGHTENED.' })
  state!: AdaptiveLimitState;

  @Field(() => Date, { nullable: true, description: 'Since when it is in this state; null without a setting.' })
  since!: Date | null;

  @Field(() => AdaptiveRate, {
    nullable: true,
    description: 'The rate written to the provider now: the floor while TIGHTENED, the plan’s own rate otherwise (null when it has none).',
  })
  effectiveRate!: AdaptiveRate | null;

  @Field(() => AdaptiveLimitEvaluation, { nullable: true, description: 'The last evaluation (every minute); null before the first.' })
  lastEvaluation!: AdaptiveLimitEvaluation | null;

  @Field(() => [AdaptiveLimitChange], { description: 'The last 20 changes of state, newest first.' })
  changes!: AdaptiveLimitChange[];
}

@InputType({ description: 'How a plan’s rate limit adapts to the health of its upstream.' })
export class AdaptiveRateLimitInput {
  @Field(() => Int, { description: 'The rate while tightened, per the plan’s rate period: 1 up to the plan’s own rate − 1.' })
  floorRequests!: number;

  @Field(() => Float, { description: 'Tighten above this 5xx percentage (above 0, at most 100).' })
  errorRateAbovePercent!: number;

  @Field(() => Float, { description: 'Restore below this 5xx percentage (lower than `errorRateAbovePercent`).' })
  restoreBelowPercent!: number;

  @Field(() => Int, { nullable: true, description: 'Also tighten above this p95 latency (1–600000 ms); null: latency not watched.' })
  latencyP95AboveMs?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Restore only below this p95 latency (at most `latencyP95AboveMs`); default `latencyP95AboveMs`.',
  })
  latencyRestoreBelowMs?: number | null;

  @Field(() => Int, { description: 'The evaluation window, 60–86400 seconds.' })
  windowSeconds!: number;

  @Field(() => Int, { description: 'Windows with fewer upstream requests change nothing (1–1000000).' })
  minRequests!: number;
}

@InputType({ description: 'The plan and its adaptive rate limit.' })
export class SetAdaptiveRateLimitInput {
  @Field(() => ID, { description: 'Plan id.' })
  planId!: string;

  @Field(() => AdaptiveRateLimitInput, {
    nullable: true,
    description: 'The setting; null removes it (a tightened plan is restored at once).',
  })
  settings?: AdaptiveRateLimitInput | null;
}

@ObjectType({ description: 'Result of `setAdaptiveRateLimit`.' })
export class SetAdaptiveRateLimitPayload {
  @Field(() => AdaptiveLimit, { nullable: true, description: 'The plan’s adaptive rate limit now; null when `errors` is not empty.' })
  adaptiveLimit!: AdaptiveLimit | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}
