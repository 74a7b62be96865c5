/**
 * Federation `__resolveReference` of the plans subgraph's entities and stubs, batched: one SQL
 * statement per request whatever the number of references.
 */
import type { FilterQuery } from '@mikro-orm/postgresql';
import { heldGrants } from '../../common/audience';
import { isUuid } from '../../common/ids';
import { byKeys, requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { visiblePlans } from './data/plans';
import { Plan } from './entities/plan';
import { PlanChangeRequest } from './entities/plan-change-request';
import { PlanVersion } from './entities/plan-version';

/** Batched `__resolveReference` for Plan: one SELECT for all plans referenced in a request. */
export function resolvePlanReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id).toLowerCase();
  if (!isUuid(id)) return null;
  return requestLoader<string, Plan | null>(context, 'plan', async (ids) => {
    // Plans the caller's organizations hold access to resolve too (e.g. archived since).
    const held = context.caller.isPortalAdmin ? [] : [...(await heldGrants(context)).planIds];
    const where = held.length ? { $or: [await visiblePlans(context), { id: { $in: held } }] } : await visiblePlans(context);
    const rows = await context.em.find(Plan, { $and: [where, { id: { $in: [...ids] } }] } as FilterQuery<Plan>);
    return byKeys(ids, rows, (p) => p.id);
  }).load(id);
}

/** Batched `__resolveReference` for PlanVersion: portal admins only (others get null). */
export function resolvePlanVersionReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id).toLowerCase();
  if (!isUuid(id) || !context.caller.isPortalAdmin) return null;
  return requestLoader<string, PlanVersion | null>(context, 'planVersion', async (ids) => {
    const rows = await context.em.find(PlanVersion, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (v) => v.id);
  }).load(id);
}

/** `__resolveReference` for stubs plans only adds fields to (Product, Catalog): the key is enough. */
export function resolveStubReference(reference: Record<string, unknown>) {
  return { id: String(reference.id) };
}

/** Batched `__resolveReference` for PlanChangeRequest: portal admins only (others get null). */
export function resolvePlanChangeRequestReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id).toLowerCase();
  if (!isUuid(id) || !context.caller.isPortalAdmin) return null;
  return requestLoader<string, PlanChangeRequest | null>(context, 'planChangeRequest', async (ids) => {
    const rows = await context.em.find(PlanChangeRequest, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (r) => r.id);
  }).load(id);
}
