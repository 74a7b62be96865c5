import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError, badInput } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { MAX_QUOTA_PERIOD_SECONDS, Plan, PlanStatus, quotaOf, RateLimit, rateLimitOf, UsageQuota } from '../entities/plan';
import { ProductRef, productRef } from '../entities/product-ref';
import { isUuid, visiblePlans } from '../plan.reference';

export const PlanConnection = connectionType(Plan, 'Plan', 'plan');

/** Internal plan names: letters, digits, spaces, `-` and `_` (checked again by the table). */
export const PLAN_NAME_PATTERN = /^[A-Za-z0-9 _-]{1,100}$/;
export const MAX_PRODUCTS_PER_PLAN = 100;

@InputType({ description: 'Filters for `plans`.' })
export class PlanFilter {
  @Field(() => ID, { nullable: true, description: 'Only plans that grant access to this product.' })
  productId?: string | null;

  @Field(() => [PlanStatus], { nullable: true, description: 'Only these statuses (portal admins; others see PUBLISHED only).' })
  status?: PlanStatus[] | null;
}

@InputType({ description: 'A usage quota: how many requests per period. Leave the whole quota out (or null) for unlimited.' })
export class UsageQuotaInput {
  @Field(() => Int, { description: 'Requests allowed per period, at least 1.' })
  requests!: number;

  @Field(() => Int, { description: `Length of the period in seconds, 1–${MAX_QUOTA_PERIOD_SECONDS} (e.g. 2592000 for 30 days).` })
  periodSeconds!: number;
}

@InputType({ description: 'A rate limit: how many requests per window of seconds. Leave it out (or null) for unlimited.' })
export class RateLimitInput {
  @Field(() => Int, { description: 'Requests allowed per window, at least 1.' })
  requests!: number;

  @Field(() => Int, { description: 'Length of the window in seconds, at least 1.' })
  perSeconds!: number;
}

@InputType({ description: 'A new plan.' })
export class CreatePlanInput {
  @Field(() => String, { description: 'Unique internal name: 1–100 characters of ASCII letters, digits, spaces, `-` and `_`.' })
  name!: string;

  @Field(() => String, { description: 'Name shown in the catalog, 1–120 characters.' })
  displayName!: string;

  @Field(() => String, { nullable: true, description: 'Markdown description, at most 20,000 characters.' })
  description?: string | null;

  @Field(() => [ID], { description: `Ids of the products the plan grants access to: at least one, at most ${MAX_PRODUCTS_PER_PLAN}.` })
  productIds!: string[];

  @Field(() => UsageQuotaInput, { nullable: true, description: 'Usage quota; null or absent means unlimited.' })
  quota?: UsageQuotaInput | null;

  @Field(() => RateLimitInput, { nullable: true, description: 'Rate limit; null or absent means unlimited.' })
  rateLimit?: RateLimitInput | null;

  @Field(() => PlanStatus, { nullable: true, description: 'Initial status (default DRAFT).' })
  status?: PlanStatus | null;
}

@ObjectType({ description: 'Result of `createPlan`.' })
export class CreatePlanPayload {
  @Field(() => Plan, { nullable: true, description: 'The new plan; null when `errors` is not empty.' })
  plan!: Plan | null;

  @Field(() => [UserError], { description: 'Why nothing was created; empty on success.' })
  errors!: UserError[];
}

/** Ids among `ids` that no product has, read from the products subgraph's published view. */
async function missingProductIds(em: EntityManager, ids: string[]): Promise<string[]> {
  const rows = await em
    .getConnection()
    .execute<{ id: string }[]>('select id::text as id from products.product_contract where id in (?)', [ids], 'all', em.getTransactionContext());
  const found = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

@Resolver(() => Plan)
export class PlanResolver {
  @Query(() => PlanConnection, {
    description: 'Plans the caller may see, oldest first. Anyone (anonymous included) sees published plans; portal admins see all.',
  })
  async plans(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PlanFilter, { nullable: true, description: 'Narrow the list.' }) filter: PlanFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    const where: FilterQuery<Plan>[] = [visiblePlans(context)];
    if (filter?.productId !== undefined && filter?.productId !== null) {
      const productId = filter.productId.toLowerCase();
      if (!isUuid(productId)) throw badInput('filter.productId', 'Give a product id (a UUID from `Product.id`).');
      where.push({ productIds: { $contains: [productId] } });
    }
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    return paginate(context.em, Plan, { $and: where }, page);
  }

  @Query(() => Plan, {
    nullable: true,
    description: 'One plan by id; null when it does not exist or the caller may not see it. Anyone sees published plans; portal admins see all.',
  })
  async plan(
    @Arg('id', () => ID, { description: 'Plan id.' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Plan | null> {
    if (!isUuid(id)) return null;
    return context.em.findOne(Plan, { $and: [visiblePlans(context), { id: id.toLowerCase() }] });
  }

  @Mutation(() => CreatePlanPayload, { description: 'Creates a plan granting access to existing products. Portal admins only.' })
  async createPlan(
    @Arg('input', () => CreatePlanInput, { description: 'The plan to create.' }) input: CreatePlanInput,
    @Ctx() context: SubgraphContext,
  ): Promise<CreatePlanPayload> {
    context.caller.requirePortalAdmin();
    return runMutation<{ plan: Plan | null }>(
      context,
      async (em) => {
        const name = input.name.trim();
        const displayName = input.displayName.trim();
        const description = input.description ?? '';
        const productIds = [...new Set(input.productIds.map((id) => id.trim().toLowerCase()))];
        const notIds = productIds.filter((id) => !isUuid(id));
        const { quota, rateLimit } = input;

        const v = new Validation()
          .check(PLAN_NAME_PATTERN.test(name), 'input.name', 'Give a name of 1 to 100 characters using ASCII letters, digits, spaces, `-` and `_` (e.g. `payments-gold`).')
          .check(displayName.length >= 1 && displayName.length <= 120, 'input.displayName', 'Give a display name of 1 to 120 characters.')
          .check(description.length <= 20000, 'input.description', 'Keep the description under 20,000 characters.')
          .check(productIds.length >= 1, 'input.productIds', 'Give the id of at least one product the plan grants access to.')
          .check(productIds.length <= MAX_PRODUCTS_PER_PLAN, 'input.productIds', `A plan grants at most ${MAX_PRODUCTS_PER_PLAN} products: split it into several plans.`)
          .check(notIds.length === 0, 'input.productIds', `These are not product ids (UUIDs): ${notIds.join(', ')}.`);
        if (quota) {
          v.check(quota.requests >= 1, 'input.quota.requests', 'Allow at least 1 request per period, or leave `quota` out for unlimited.');
          v.check(
            quota.periodSeconds >= 1 && quota.periodSeconds <= MAX_QUOTA_PERIOD_SECONDS,
            'input.quota.periodSeconds',
            `Give a period between 1 and ${MAX_QUOTA_PERIOD_SECONDS} seconds (one year), e.g. 2592000 for 30 days.`,
          );
        }
        if (rateLimit) {
          v.check(rateLimit.requests >= 1, 'input.rateLimit.requests', 'Allow at least 1 request per window, or leave `rateLimit` out for unlimited.');
          v.check(rateLimit.perSeconds >= 1, 'input.rateLimit.perSeconds', 'Give a window of at least 1 second.');
        }
        if (productIds.length >= 1 && productIds.length <= MAX_PRODUCTS_PER_PLAN && notIds.length === 0) {
          const missing = await missingProductIds(em, productIds);
          v.check(
            missing.length === 0,
            'input.productIds',
            `No product has these ids: ${missing.join(', ')}. Create the products first or remove these ids.`,
            'NOT_FOUND',
          );
        }
        v.done();

        const plan = em.create(Plan, {
          name,
          displayName,
          description,
          productIds,
          quotaRequests: quota ? quota.requests : null,
          quotaPeriodSeconds: quota ? quota.periodSeconds : null,
          rateRequests: rateLimit ? rateLimit.requests : null,
          ratePerSeconds: rateLimit ? rateLimit.perSeconds : null,
          status: input.status ?? PlanStatus.DRAFT,
        });
        await em.flush();
        return { plan };
      },
      () => ({ plan: null }),
      { uniqueFields: { plan_name_key: { field: 'input.name', message: 'A plan with this name exists already: choose another name.' } } },
    );
  }

  @FieldResolver(() => UsageQuota, { description: 'Usage quota: requests per period, or unlimited.' })
  quota(@Root() plan: Plan): UsageQuota {
    return quotaOf(plan);
  }

  @FieldResolver(() => RateLimit, { description: 'Rate limit: requests per window of seconds, or unlimited.' })
  rateLimit(@Root() plan: Plan): RateLimit {
    return rateLimitOf(plan);
  }

  @FieldResolver(() => [ProductRef], { description: 'The products this plan grants access to (at least one), in the order they were given.' })
  products(@Root() plan: Plan): ProductRef[] {
    return plan.productIds.map(productRef);
  }
}
