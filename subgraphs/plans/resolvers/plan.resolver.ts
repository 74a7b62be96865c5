import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/postgresql';
import { badInput } from '../../../common/errors';
import { LABEL_MAX } from '../../../common/catalog-labels';
import { keyValue, KeyValue } from '../../../common/key-value';
import { renderMarkdown } from '../../../common/markdown';
import { PageArgs, paginate } from '../../../common/relay';
import { searchPattern } from '../../../common/search';
import type { SubgraphContext } from '../../../common/server';
import { CatalogRef, catalogRef } from '../entities/catalog-ref';
import { AccessRequestLimit, BoostAllowance, Plan, RateLimit, UsageQuota } from '../entities/plan';
import { isUuid } from '../../../common/ids';
import { catalogIdsOfProducts, shownCatalogIds } from '../contracts/products';
import { inCatalogs, visiblePlans } from '../data/plans';
import { visibleCatalogIds } from '../../../common/audience';
import type { AccessRequestLimitSetting, BoostAllowanceSetting, QuotaSetting, RateLimitSetting } from '../services/settings';
import { PlanConnection, PlanFilter } from './plan.types';

export function usageQuota(quota: QuotaSetting | null): UsageQuota {
  return Object.assign(new UsageQuota(), {
    unlimited: quota === null,
    requests: quota?.requests ?? null,
    period: quota?.period ?? null,
    periodSeconds: quota?.periodSeconds ?? null,
  });
}

export function rateLimit(rate: RateLimitSetting | null): RateLimit {
  return Object.assign(new RateLimit(), {
    unlimited: rate === null,
    requests: rate?.requests ?? null,
    perSeconds: rate?.perSeconds ?? null,
  });
}

export function accessRequestLimit(limit: AccessRequestLimitSetting | null): AccessRequestLimit {
  return Object.assign(new AccessRequestLimit(), {
    unlimited: limit === null,
    allowance: limit?.allowance ?? null,
    renewalSeconds: limit?.renewalSeconds ?? null,
  });
}

export function boostAllowance(a: BoostAllowanceSetting | null): BoostAllowance | null {
  return a ? Object.assign(new BoostAllowance(), a) : null;
}

@Resolver(() => Plan)
export class PlanResolver {
  @Query(() => PlanConnection, {
    description:
      'Plans the caller may see, oldest first. Anyone may call it (anonymous included): portal admins see every plan; everyone else sees PUBLISHED plans that are in at least one catalog they may see (PUBLIC catalogs, and PRIVATE catalogs whose audience includes their organization or team).',
  })
  async plans(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => PlanFilter, { nullable: true, description: 'Narrow the list.' }) filter: PlanFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    const where: FilterQuery<Plan>[] = [await visiblePlans(context)];
    const visible = context.caller.isPortalAdmin ? null : await visibleCatalogIds(context);
    if (filter?.catalogId !== undefined && filter?.catalogId !== null) {
      const catalogId = filter.catalogId.trim().toLowerCase();
      if (!isUuid(catalogId)) throw badInput('filter.catalogId', 'Give a catalog id (a UUID from `Catalog.id`).');
      where.push(inCatalogs(!visible || visible.has(catalogId) ? [catalogId] : []));
    }
    if (filter?.productId !== undefined && filter?.productId !== null) {
      const productId = filter.productId.trim().toLowerCase();
      if (!isUuid(productId)) throw badInput('filter.productId', 'Give a product id (a UUID from `Product.id`).');
      const catalogs = (await catalogIdsOfProducts(context.em, [productId])).get(productId) ?? [];
      where.push(inCatalogs(visible ? catalogs.filter((id) => visible.has(id)) : catalogs));
    }
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    const pattern = searchPattern(filter?.search);
    if (pattern) where.push({ $or: [{ name: { $ilike: pattern } }, { displayName: { $ilike: pattern } }] });
    if (filter?.key !== undefined && filter?.key !== null) {
      const key = filter.key.trim();
      if (key.length > LABEL_MAX) throw badInput('filter.key', `Give a key of at most ${LABEL_MAX} characters.`);
      where.push({ key });
    }
    return paginate(context.em, Plan, { $and: where }, page);
  }

  @Query(() => Plan, {
    nullable: true,
    description:
      'One plan by id; null when it does not exist or the caller may not see it. Anyone may call it: portal admins see every plan, everyone else PUBLISHED plans in a catalog they may see.',
  })
  async plan(
    @Arg('id', () => ID, { description: 'Plan id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Plan | null> {
    if (!isUuid(id)) return null;
    return context.em.findOne(Plan, { $and: [await visiblePlans(context), { id: id.toLowerCase() }] });
  }

  @FieldResolver(() => String, {
    description: 'The description rendered from Markdown to safe HTML (raw HTML escaped, dangerous links removed).',
  })
  descriptionHtml(@Root() plan: Plan): string {
    return renderMarkdown(plan.description);
  }

  @FieldResolver(() => UsageQuota, { description: 'Usage quota: requests per period, or unlimited.' })
  quota(@Root() plan: Plan): UsageQuota {
    if (plan.quotaRequests === null || plan.quotaPeriod === null || plan.quotaPeriodSeconds === null) return usageQuota(null);
    return usageQuota({ requests: plan.quotaRequests, period: plan.quotaPeriod, periodSeconds: plan.quotaPeriodSeconds });
  }

  @FieldResolver(() => RateLimit, { description: 'Rate limit: requests per window of seconds, or unlimited.' })
  rateLimit(@Root() plan: Plan): RateLimit {
    if (plan.rateRequests === null || plan.ratePerSeconds === null) return rateLimit(null);
    return rateLimit({ requests: plan.rateRequests, perSeconds: plan.ratePerSeconds });
  }

  @FieldResolver(() => AccessRequestLimit, {
    description:
      'How many access requests one organization may make under this plan per renewal interval (enforced by the developers subgraph), or unlimited.',
  })
  accessRequestLimit(@Root() plan: Plan): AccessRequestLimit {
    if (plan.accessRequestAllowance === null || plan.accessRequestRenewalSeconds === null) return accessRequestLimit(null);
    return accessRequestLimit({ allowance: plan.accessRequestAllowance, renewalSeconds: plan.accessRequestRenewalSeconds });
  }

  @FieldResolver(() => BoostAllowance, {
    nullable: true,
    description:
      'What an ORG_ADMIN may grant as a temporary quota boost on a credential under this plan (`grantQuotaBoost`); null when only portal admins grant boosts.',
  })
  boostAllowance(@Root() plan: Plan): BoostAllowance | null {
    return boostAllowance(plan.boostAllowance);
  }

  @FieldResolver(() => [KeyValue], {
    description: 'Key/value pairs attached to every credential issued under this plan (Tyk key metadata), in the order given.',
  })
  credentialMetadata(@Root() plan: Plan): KeyValue[] {
    return plan.credentialMetadata.map((e) => keyValue(e.key, e.value));
  }

  @FieldResolver(() => [CatalogRef], {
    description:
      'The catalogs the plan is offered in, in the order given. Portal admins see all of them; everyone else only the catalogs they may see.',
  })
  async catalogs(@Root() plan: Plan, @Ctx() context: SubgraphContext): Promise<CatalogRef[]> {
    return (await shownCatalogIds(context, plan.catalogIds)).map(catalogRef);
  }
}
