/** Adaptive rate limits: `Plan.adaptiveLimit` and `setAdaptiveRateLimit` (portal admins). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { readPlanContracts } from '../../../common/contracts/plans';
import { isUuid } from '../../../common/ids';
import { requestLoader } from '../../../common/loaders';
import { runMutation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { query } from '../../../common/sql';
import { PlanRef } from '../entities/refs';
import { readAdaptiveRows, setAdaptiveRateLimit, type ChangeRow } from '../services/adaptive-limits';
import {
  AdaptiveLimit,
  AdaptiveLimitChange,
  AdaptiveLimitEvaluation,
  AdaptiveLimitState,
  AdaptiveRate,
  AdaptiveRateLimitSettings,
  SetAdaptiveRateLimitInput,
  SetAdaptiveRateLimitPayload,
} from './adaptive-limits.types';

const CHANGES_SHOWN = 20;

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));
const rate = (requests: number | null, perSeconds: number | null): AdaptiveRate | null =>
  requests === null || perSeconds === null ? null : Object.assign(new AdaptiveRate(), { requests, perSeconds });

/** The adaptive limits of these plans (one statement per table, whatever their number). */
export async function adaptiveLimitsOf(em: EntityManager, planIds: readonly string[]): Promise<Map<string, AdaptiveLimit>> {
  const ids = [...new Set(planIds.filter(isUuid).map((id) => id.toLowerCase()))];
  // One after another: inside a mutation they share the transaction's connection.
  const rows = await readAdaptiveRows(em, ids);
  const plans = await readPlanContracts(em, ids, ['rate_requests', 'rate_per_seconds']);
  const changes = ids.length
    ? await query<ChangeRow>(
        em,
        `select plan_id::text as plan_id, occurred_at, state, reason, requests, errors_5xx, error_rate_percent, latency_p95_ms,
                effective_rate_requests, effective_per_seconds
           from (select c.*, row_number() over (partition by plan_id order by id desc) as n
                   from usage.adaptive_limit_change c where plan_id = any(?::uuid[])) ranked
          where n <= ? order by plan_id, n`,
        [`{${ids.join(',')}}`, CHANGES_SHOWN],
      )
    : [];
  const byPlan = new Map(rows.map((row) => [row.plan_id, row]));
  const result = new Map<string, AdaptiveLimit>();
  for (const id of ids) {
    const plan = plans.get(id);
    if (!plan) continue;
    const row = byPlan.get(id) ?? null;
    const tightened = row?.state === 'TIGHTENED';
    result.set(
      id,
      Object.assign(new AdaptiveLimit(), {
        planId: id,
        settings: row
          ? Object.assign(new AdaptiveRateLimitSettings(), {
              floorRequests: row.floor_requests,
              errorRateAbovePercent: Number(row.error_rate_above_percent),
              restoreBelowPercent: Number(row.restore_below_percent),
              latencyP95AboveMs: row.latency_p95_above_ms,
              latencyRestoreBelowMs: row.latency_restore_below_ms,
              windowSeconds: row.window_seconds,
              minRequests: row.min_requests,
              updatedBy: row.updated_by,
              updatedAt: new Date(row.updated_at),
            })
          : null,
        state: tightened ? AdaptiveLimitState.TIGHTENED : AdaptiveLimitState.NORMAL,
        since: row ? new Date(row.since) : null,
        effectiveRate: tightened
          ? rate(row!.effective_rate_requests, row!.effective_per_seconds)
          : rate(plan.rate_requests, plan.rate_per_seconds),
        lastEvaluation:
          row?.last_evaluated_at && row.last_decision
            ? Object.assign(new AdaptiveLimitEvaluation(), {
                at: new Date(row.last_evaluated_at),
                requests: row.last_requests ?? 0,
                errors5xx: row.last_errors_5xx ?? 0,
                errorRatePercent: num(row.last_error_rate_percent) ?? 0,
                latencyP95Ms: num(row.last_latency_p95_ms),
                decision: row.last_decision,
              })
            : null,
        changes: changes
          .filter((c) => c.plan_id === id)
          .map((c) =>
            Object.assign(new AdaptiveLimitChange(), {
              occurredAt: new Date(c.occurred_at),
              state: c.state as AdaptiveLimitState,
              reason: c.reason,
              requests: c.requests,
              errors5xx: c.errors_5xx,
              errorRatePercent: num(c.error_rate_percent),
              latencyP95Ms: num(c.latency_p95_ms),
              effectiveRate: rate(c.effective_rate_requests, c.effective_per_seconds),
            }),
          ),
      }),
    );
  }
  return result;
}

@Resolver(() => PlanRef)
export class PlanAdaptiveLimitResolver {
  @FieldResolver(() => AdaptiveLimit, {
    nullable: true,
    description:
      'How the plan’s rate limit adapts to its upstream’s health: the setting, the state (NORMAL or TIGHTENED), the rate written to the provider, the last evaluation and the last changes. Portal admins only; null for everyone else.',
  })
  async adaptiveLimit(@Root() plan: PlanRef, @Ctx() context: SubgraphContext): Promise<AdaptiveLimit | null> {
    if (!context.caller.isPortalAdmin || !isUuid(plan.id)) return null;
    return requestLoader<string, AdaptiveLimit | null>(context, 'usage:adaptiveLimit', async (ids) => {
      const found = await adaptiveLimitsOf(context.em, ids);
      return ids.map((id) => found.get(id) ?? null);
    }).load(plan.id.toLowerCase());
  }

  @Mutation(() => SetAdaptiveRateLimitPayload, {
    description:
      'Sets how a plan’s rate limit adapts to the health of its upstream (or removes it with `settings: null`): every minute the plan’s traffic of the last `windowSeconds` is evaluated; the rate limit tightens to `floorRequests` when the 5xx share (or p95 latency) is above the trigger, and is restored only after a whole window below the lower restore thresholds. Changes are written to the provider like any plan change, audited, and sent as ADAPTIVE_LIMIT_TIGHTENED / ADAPTIVE_LIMIT_RESTORED webhooks. The plan needs a rate limit above the floor (VALIDATION_FAILED). Portal admins only; anyone else gets FORBIDDEN.',
  })
  async setAdaptiveRateLimit(
    @Arg('input', () => SetAdaptiveRateLimitInput, { description: 'The plan and the setting.' }) input: SetAdaptiveRateLimitInput,
    @Ctx() context: SubgraphContext,
  ): Promise<SetAdaptiveRateLimitPayload> {
    const subject = context.caller.requirePortalAdmin();
    return runMutation<{ adaptiveLimit: AdaptiveLimit | null }>(
      context,
      async (em) => {
        const s = input.settings ?? null;
        const { planId } = await setAdaptiveRateLimit(em, context.clock.now(), subject, {
          planId: input.planId,
          settings: s
            ? {
                floorRequests: s.floorRequests,
                errorRateAbovePercent: s.errorRateAbovePercent,
                restoreBelowPercent: s.restoreBelowPercent,
                latencyP95AboveMs: s.latencyP95AboveMs ?? null,
                latencyRestoreBelowMs: s.latencyRestoreBelowMs ?? null,
                windowSeconds: s.windowSeconds,
                minRequests: s.minRequests,
              }
            : null,
        });
        return { adaptiveLimit: (await adaptiveLimitsOf(em, [planId])).get(planId) ?? null };
      },
      () => ({ adaptiveLimit: null }),
    );
  }
}
