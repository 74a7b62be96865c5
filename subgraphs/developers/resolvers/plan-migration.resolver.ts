/**
 * Bulk plan migration, served by the developers subgraph (it owns the credentials that move):
 * `migratePlanSubscribers` (portal admins; a run needs MFA) and `planMigration` (portal admins).
 */
import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { paginate, type ConnectionShape } from '../../../common/relay';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { serviceOps } from '../../../common/ops';
import type { SubgraphContext } from '../../../common/server';
import { Credential } from '../entities/credential';
import { Organization } from '../entities/organization';
import { PlanMigration, PlanMigrationItemStatus } from '../entities/plan-migration';
import { planRef, PlanRef } from '../entities/refs';
import {
  findPlanMigration,
  migratePlanSubscribers,
  migrationCounts,
  migrationItems,
  migrationSteps,
  nextEvaluationAt,
  rollBackPlanMigration,
  stagePercent,
} from '../services/plan-migrations';
import { averageLatency, errorRate } from '../../../common/staging';
import { developerMutation } from '../services/profile';
import {
  MigratePlanSubscribersInput,
  MigratePlanSubscribersPayload,
  PlanMigrationCounts,
  PlanMigrationConnection,
  PlanMigrationItemView,
  PlanMigrationsArgs,
  PlanMigrationStaging,
  PlanMigrationStepView,
  RollBackPlanMigrationInput,
  RollBackPlanMigrationPayload,
} from './plan-migration.types';

const MAX_ITEMS = 100;

@Resolver(() => PlanMigration)
export class PlanMigrationResolver {
  @Mutation(() => MigratePlanSubscribersPayload, {
    description:
      'Moves every ACTIVE credential of a plan (for example an ARCHIVED one) to another, PUBLISHED plan, as plan changes that keep each credential: same id, secret and Tyk key, quota counters kept, new limits and metadata. A credential moves only when the target plan is offered to its organization together with its products (else its item is FAILED with why). With `dryRun` it only stores a PREVIEW (what would move, what would not, and `impact`). Otherwise the migration is RUNNING: a job moves the credentials a batch at a time (progress in `planMigration`), publishes PLAN_MIGRATED to each credential’s organization (subscription and webhook) and PLAN_MIGRATION_COMPLETED at the end; one RUNNING migration per source plan (PLAN_MIGRATION_RUNNING). With `staged` it moves a deterministic share of the credentials first and, stage by stage, compares the moved credentials’ 5xx share and average latency with the rest’s (usage figures) before widening, or moves every moved credential back (ROLLED_BACK, with the reason) when a threshold is crossed; every step is in `steps`, with PLAN_MIGRATION_STAGE_ADVANCED and PLAN_MIGRATION_ROLLED_BACK webhooks. Audited. Portal admins only (FORBIDDEN for anyone else, UNAUTHENTICATED when signed out); a run (not a dry run) needs a token that asserts MFA (MFA_REQUIRED).',
  })
  async migratePlanSubscribers(
    @Arg('input', () => MigratePlanSubscribersInput, { description: 'The plans, why, and whether only to preview.' })
    input: MigratePlanSubscribersInput,
    @Ctx() context: SubgraphContext,
  ): Promise<MigratePlanSubscribersPayload> {
    const subject = context.caller.requirePortalAdmin();
    if (!input.dryRun) context.caller.requireMfa('Moving every subscriber of a plan');
    return developerMutation<{ planMigration: PlanMigration | null }>(
      context,
      (em) => migratePlanSubscribers(serviceOps(context, em), subject, input),
      () => ({ planMigration: null }),
    );
  }

  @Mutation(() => RollBackPlanMigrationPayload, {
    description:
      'The rollback plan of a bulk plan migration: stops a RUNNING migration (staged or not) or undoes a COMPLETED one — every credential it moved that is still under the target plan goes back to the source plan, keeping its secret, key and quota counters (PLAN_MIGRATED to its organization). The migration ends ROLLED_BACK with the reason (a ROLLED_BACK step; PLAN_MIGRATION_ROLLED_BACK webhook). Rolling back again changes nothing; a PREVIEW is INVALID_TRANSITION. Audited. Portal admins only (FORBIDDEN for anyone else, UNAUTHENTICATED when signed out), with a token that asserts MFA (MFA_REQUIRED).',
  })
  async rollBackPlanMigration(
    @Arg('input', () => RollBackPlanMigrationInput, { description: 'The migration and why.' }) input: RollBackPlanMigrationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RollBackPlanMigrationPayload> {
    const subject = context.caller.requirePortalAdmin();
    context.caller.requireMfa('Rolling back a plan migration');
    return developerMutation<{ planMigration: PlanMigration | null }>(
      context,
      (em) => rollBackPlanMigration(serviceOps(context, em), subject, input),
      () => ({ planMigration: null }),
    );
  }

  @Query(() => PlanMigration, {
    nullable: true,
    description:
      'A bulk plan migration (or its PREVIEW) by id, with its progress; null when there is none. Portal admins only (FORBIDDEN for anyone else, UNAUTHENTICATED when signed out).',
  })
  async planMigration(
    @Arg('id', () => ID, { description: 'Migration id (from `migratePlanSubscribers`).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<PlanMigration | null> {
    context.caller.requirePortalAdmin();
    return isUuid(id) ? findPlanMigration(context.em, id) : null;
  }

  @Query(() => PlanMigrationConnection, {
    description:
      'Bulk plan migrations and their previews, oldest first, optionally of one plan (from or to it) or in one status. Portal admins only (FORBIDDEN for anyone else, UNAUTHENTICATED when signed out).',
  })
  async planMigrations(
    @Args(() => PlanMigrationsArgs) args: PlanMigrationsArgs,
    @Ctx() context: SubgraphContext,
  ): Promise<ConnectionShape<PlanMigration>> {
    context.caller.requirePortalAdmin();
    const where: FilterQuery<PlanMigration>[] = [];
    if (args.planId !== undefined && args.planId !== null) {
      const planId = args.planId.toLowerCase();
      where.push({ $or: [{ fromPlanId: planId }, { toPlanId: planId }] });
    }
    if (args.status) where.push({ status: args.status });
    return paginate(context.em, PlanMigration, where.length ? { $and: where } : {}, args);
  }

  @FieldResolver(() => PlanRef, { description: 'The plan whose credentials move.' })
  fromPlan(@Root() migration: PlanMigration): PlanRef {
    return planRef(migration.fromPlanId);
  }

  @FieldResolver(() => PlanRef, { description: 'The plan they move to.' })
  toPlan(@Root() migration: PlanMigration): PlanRef {
    return planRef(migration.toPlanId);
  }

  @FieldResolver(() => PlanMigrationCounts, { description: 'Its credentials by status: the progress of a run, the forecast of a PREVIEW.' })
  async counts(@Root() migration: PlanMigration, @Ctx() context: SubgraphContext): Promise<PlanMigrationCounts> {
    return Object.assign(new PlanMigrationCounts(), await migrationCounts(context.em, migration.id));
  }

  @FieldResolver(() => [PlanMigrationItemView], {
    description: `Its credentials and what happened to each, by credential id; at most \`first\` (1–${MAX_ITEMS}, default 50).`,
  })
  async items(
    @Root() migration: PlanMigration,
    @Ctx() context: SubgraphContext,
    @Arg('status', () => PlanMigrationItemStatus, { nullable: true, description: 'Only items in this status (e.g. FAILED).' })
    status: PlanMigrationItemStatus | null,
    @Arg('first', () => Int, { nullable: true, description: `How many (1–${MAX_ITEMS}, default 50).` }) first: number | null,
  ): Promise<PlanMigrationItemView[]> {
    const limit = first ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ITEMS) throw badInput('first', `Give 1–${MAX_ITEMS}.`);
    const items = await migrationItems(context.em, migration.id, status ?? null, limit);
    const credentials = new Map(
      (await context.em.find(Credential, { id: { $in: items.map((i) => i.credentialId) } })).map((c) => [c.id, c]),
    );
    const organizations = new Map(
      (await context.em.find(Organization, { id: { $in: [...new Set(items.map((i) => i.organizationId))] } })).map((o) => [o.id, o]),
    );
    return items.map((item) =>
      Object.assign(new PlanMigrationItemView(), {
        credential: credentials.get(item.credentialId) ?? null,
        organization: organizations.get(item.organizationId) ?? null,
        status: item.status,
        errorCode: item.errorCode,
        errorMessage: item.errorMessage,
        movedAt: item.movedAt,
      }),
    );
  }

  @FieldResolver(() => PlanMigrationStaging, {
    nullable: true,
    description: 'How a staged migration moves and where it stands; null when it moves everything at once.',
  })
  staging(@Root() migration: PlanMigration): PlanMigrationStaging | null {
    if (!migration.stages) return null;
    return Object.assign(new PlanMigrationStaging(), {
      stages: migration.stages,
      currentStagePercent: stagePercent(migration),
      stageDurationSeconds: migration.stageDurationSeconds,
      maxErrorRateDeltaPercent: migration.maxErrorRateDeltaPercent,
      maxLatencyRatioPercent: migration.maxLatencyRatioPercent,
      minRequests: migration.minRequests,
      stageStartedAt: migration.stageStartedAt,
      nextEvaluationAt: nextEvaluationAt(migration),
    });
  }

  @FieldResolver(() => [PlanMigrationStepView], {
    description:
      'Every step of a staged migration, oldest first: stages moved, evaluations (with their figures) and their decisions. Empty when not staged.',
  })
  async steps(@Root() migration: PlanMigration, @Ctx() context: SubgraphContext): Promise<PlanMigrationStepView[]> {
    const steps = await migrationSteps(context.em, migration.id);
    return steps.map((step) => {
      const evaluated = step.cohortRequests !== null && step.restRequests !== null;
      const cohort = {
        requests: step.cohortRequests ?? 0,
        errors5xx: step.cohortErrors5xx ?? 0,
        latencySumMs: step.cohortLatencySumMs ?? 0,
      };
      const rest = { requests: step.restRequests ?? 0, errors5xx: step.restErrors5xx ?? 0, latencySumMs: step.restLatencySumMs ?? 0 };
      return Object.assign(new PlanMigrationStepView(), {
        at: step.at,
        action: step.action,
        stagePercent: step.stagePercent,
        reason: step.reason,
        cohortRequests: evaluated ? cohort.requests : null,
        cohortErrorRatePercent: evaluated ? errorRate(cohort) : null,
        cohortAverageLatencyMs: evaluated ? averageLatency(cohort) : null,
        restRequests: evaluated ? rest.requests : null,
        restErrorRatePercent: evaluated ? errorRate(rest) : null,
        restAverageLatencyMs: evaluated ? averageLatency(rest) : null,
      });
    });
  }
}
