import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { badInput, notFound } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { readPlanContracts } from '../../../common/contracts/plans';
import { readPlanChangeContract } from '../../../common/contracts/plan-changes';
import { readPlanMigrationContract } from '../../../common/contracts/plan-migrations';
import { QuotaScope } from '../../../common/shared-enums';
import { appRef, credentialRef, planRef } from '../entities/refs';
import { organizationRef } from '../entities/organization-ref';
import { requestNow } from '../services/quota-status';
import { DEFAULT_IMPACT_DAYS, MAX_IMPACT_DAYS, replayPlanTraffic, type ImpactLimits } from '../services/plan-impact';
import {
  MAX_IMPACT_PERIOD_SECONDS,
  MAX_IMPACT_REQUESTS,
  PlanChangeImpact,
  PlanChangeImpactInput,
  PlanChangeImpactSubject,
  PlanChangeRequestRef,
  PlanMigrationRef,
} from './plan-impact.types';

const MAX_LISTED = 100;

function checkDays(days: number | null | undefined, field: string): number {
  const value = days ?? DEFAULT_IMPACT_DAYS;
  if (!Number.isInteger(value) || value < 1 || value > MAX_IMPACT_DAYS) throw badInput(field, `Give 1–${MAX_IMPACT_DAYS} days.`);
  return value;
}

function inRange(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= max;
}

/** Replays the plan's traffic and shapes the answer. */
async function impactOf(context: SubgraphContext, planId: string, limits: ImpactLimits, days: number): Promise<PlanChangeImpact> {
  const { from, to, subjects } = await replayPlanTraffic(context.em, planId, limits, days, requestNow(context));
  const affected = subjects.filter((s) => s.requestsOverQuota + s.requestsOverRateLimit > 0);
  return Object.assign(new PlanChangeImpact(), {
    plan: planRef(planId),
    from,
    to,
    quota: limits.quota,
    rateLimit: limits.rateLimit,
    quotaScope: limits.scope,
    countersWithTraffic: subjects.length,
    countersAffected: affected.length,
    organizationsAffected: new Set(affected.map((s) => s.organizationId)).size,
    requestsOverQuota: subjects.reduce((sum, s) => sum + s.requestsOverQuota, 0),
    requestsOverRateLimit: subjects.reduce((sum, s) => sum + s.requestsOverRateLimit, 0),
    affected: affected.slice(0, MAX_LISTED).map((s) =>
      Object.assign(new PlanChangeImpactSubject(), {
        ...s,
        organization: organizationRef(s.organizationId),
        app: s.appId ? appRef(s.appId) : null,
        credential: s.credentialId ? credentialRef(s.credentialId) : null,
      }),
    ),
  });
}

@Resolver()
export class PlanImpactResolver {
  @Query(() => PlanChangeImpact, {
    description:
      'Previews limits for a plan before they are proposed: the plan’s recorded traffic of the last days replayed against them, as Tyk would count, listing the organizations, apps and credentials that would have been refused, how often and by how much. Portal admins only; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  async planChangeImpact(
    @Arg('input', () => PlanChangeImpactInput, { description: 'The plan and the limits to try.' }) input: PlanChangeImpactInput,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanChangeImpact> {
    context.caller.requirePortalAdmin();
    const planId = String(input.planId).toLowerCase();
    if (!isUuid(planId)) throw badInput('input.planId', 'Give a plan id (a UUID).');
    const days = checkDays(input.days, 'input.days');
    if (
      input.quota &&
      (!inRange(input.quota.requests, MAX_IMPACT_REQUESTS) || !inRange(input.quota.periodSeconds, MAX_IMPACT_PERIOD_SECONDS))
    )
      throw badInput(
        'input.quota',
        `Give 1–${MAX_IMPACT_REQUESTS} requests per 1–${MAX_IMPACT_PERIOD_SECONDS} seconds, or null for unlimited.`,
      );
    if (input.rateLimit && (!inRange(input.rateLimit.requests, MAX_IMPACT_REQUESTS) || !inRange(input.rateLimit.perSeconds, 86_400)))
      throw badInput('input.rateLimit', `Give 1–${MAX_IMPACT_REQUESTS} requests per 1–86400 seconds, or null for unlimited.`);
    const plan = (
      await readPlanContracts(
        context.em,
        [planId],
        ['quota_requests', 'quota_period_seconds', 'rate_requests', 'rate_per_seconds', 'quota_scope'],
      )
    ).get(planId);
    if (!plan) throw notFound('Plan', 'input.planId');
    const currentQuota =
      plan.quota_requests !== null && plan.quota_period_seconds !== null
        ? { requests: plan.quota_requests, periodSeconds: plan.quota_period_seconds }
        : null;
    const currentRate =
      plan.rate_requests !== null && plan.rate_per_seconds !== null
        ? { requests: plan.rate_requests, perSeconds: plan.rate_per_seconds }
        : null;
    const limits: ImpactLimits = {
      quota:
        input.quota === undefined
          ? currentQuota
          : input.quota && { requests: input.quota.requests, periodSeconds: input.quota.periodSeconds },
      rateLimit:
        input.rateLimit === undefined
          ? currentRate
          : input.rateLimit && { requests: input.rateLimit.requests, perSeconds: input.rateLimit.perSeconds },
      scope: (input.quotaScope ?? plan.quota_scope) as QuotaScope,
    };
    return impactOf(context, planId, limits, days);
  }
}

@Resolver(() => PlanChangeRequestRef)
export class PlanChangeRequestImpactResolver {
  @FieldResolver(() => PlanChangeImpact, {
    nullable: true,
    description:
      'What the change would have done to the plan’s subscribers: the plan’s recorded traffic of the last days replayed against the limits it would have once applied (see `planChangeImpact`), so the second admin approves knowingly. Portal admins only (FORBIDDEN for anyone else); null when the request no longer exists.',
  })
  async impact(
    @Root() request: PlanChangeRequestRef,
    @Ctx() context: SubgraphContext,
    @Arg('days', () => Int, {
      nullable: true,
      description: `How many days of traffic to replay, ending now: 1–${MAX_IMPACT_DAYS} (default ${DEFAULT_IMPACT_DAYS}).`,
    })
    days: number | null,
  ): Promise<PlanChangeImpact | null> {
    context.caller.requirePortalAdmin();
    const span = checkDays(days, 'days');
    if (!isUuid(request.id)) return null;
    const row = await readPlanChangeContract(context.em, request.id.toLowerCase());
    if (!row) return null;
    const limits: ImpactLimits = {
      quota:
        row.quota_requests !== null && row.quota_period_seconds !== null
          ? { requests: row.quota_requests, periodSeconds: row.quota_period_seconds }
          : null,
      rateLimit:
        row.rate_requests !== null && row.rate_per_seconds !== null
          ? { requests: row.rate_requests, perSeconds: row.rate_per_seconds }
          : null,
      scope: row.quota_scope as QuotaScope,
    };
    return impactOf(context, row.plan_id, limits, span);
  }
}

@Resolver(() => PlanMigrationRef)
export class PlanMigrationImpactResolver {
  @FieldResolver(() => PlanChangeImpact, {
    nullable: true,
    description:
      'What the migration would do (or did) to the moved subscribers’ traffic: the source plan’s recorded traffic of the last days replayed against the target plan’s current limits (see `planChangeImpact`). Portal admins only (FORBIDDEN for anyone else); null when the migration or a plan no longer exists.',
  })
  async impact(
    @Root() migration: PlanMigrationRef,
    @Ctx() context: SubgraphContext,
    @Arg('days', () => Int, {
      nullable: true,
      description: `How many days of traffic to replay, ending now: 1–${MAX_IMPACT_DAYS} (default ${DEFAULT_IMPACT_DAYS}).`,
    })
    days: number | null,
  ): Promise<PlanChangeImpact | null> {
    context.caller.requirePortalAdmin();
    const span = checkDays(days, 'days');
    if (!isUuid(migration.id)) return null;
    const row = await readPlanMigrationContract(context.em, migration.id.toLowerCase());
    if (!row) return null;
    const target = (
      await readPlanContracts(
        context.em,
        [row.to_plan_id],
        ['quota_requests', 'quota_period_seconds', 'rate_requests', 'rate_per_seconds', 'quota_scope'],
      )
    ).get(row.to_plan_id);
    if (!target) return null;
    const limits: ImpactLimits = {
      quota:
        target.quota_requests !== null && target.quota_period_seconds !== null
          ? { requests: target.quota_requests, periodSeconds: target.quota_period_seconds }
          : null,
      rateLimit:
        target.rate_requests !== null && target.rate_per_seconds !== null
          ? { requests: target.rate_requests, perSeconds: target.rate_per_seconds }
          : null,
      scope: target.quota_scope as QuotaScope,
    };
    return impactOf(context, row.from_plan_id, limits, span);
  }
}
