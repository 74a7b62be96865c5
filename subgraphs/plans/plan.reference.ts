import type { FilterQuery } from '@mikro-orm/core';
import { requestLoader, byKeys } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { Plan, PlanStatus } from './entities/plan';

import { isUuid } from '../../common/ids';

export { isUuid };

/** Plans a caller may see: portal admins see all, everyone else (anonymous included) published ones. */
export function visiblePlans(context: SubgraphContext): FilterQuery<Plan> {
  return context.caller.isPortalAdmin ? {} : { status: PlanStatus.PUBLISHED };
}

/** Batched `__resolveReference` for Plan: one SELECT for all plans referenced in a request. */
export function resolvePlanReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id).toLowerCase();
  if (!isUuid(id)) return null;
  return requestLoader<string, Plan | null>(context, 'plan', async (ids) => {
    const rows = await context.em.find(Plan, { $and: [visiblePlans(context), { id: { $in: [...ids] } }] });
    return byKeys(ids, rows, (p) => p.id);
  }).load(id);
}

/** `__resolveReference` for the Product stub: plans only adds fields to it, so the key is enough. */
export function resolveProductReference(reference: Record<string, unknown>) {
  return { id: String(reference.id) };
}

/**
 * Plans granting a product that the caller may see, oldest first. Batched: every product of a
 * request is answered by ONE `product_ids && {...}` SELECT, grouped in memory.
 */
export function availablePlans(context: SubgraphContext, productId: string): Promise<Plan[]> {
  const key = productId.toLowerCase();
  if (!isUuid(key)) return Promise.resolve([]);
  return requestLoader<string, Plan[]>(context, 'availablePlans', async (productIds) => {
    const rows = await context.em.find(
      Plan,
      { $and: [visiblePlans(context), { productIds: { $overlap: [...productIds] } }] },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    const groups = new Map<string, Plan[]>(productIds.map((id) => [id, []]));
    for (const plan of rows) {
      for (const id of plan.productIds) groups.get(id)?.push(plan);
    }
    return productIds.map((id) => groups.get(id)!);
  }).load(key);
}
