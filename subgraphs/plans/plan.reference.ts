/**
 * Who sees which plans, and every batched lookup of the plans subgraph: references, `Catalog.plans`,
 * `Product.availablePlans` and `Plan.catalogs`. Each is one SQL statement per request (plus the
 * caller's visible catalogs, memoised per request), whatever the number of parents.
 */
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { heldGrants, visibleCatalogIds } from '../../common/audience';
import { isUuid } from '../../common/ids';
import { byKeys, requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { Plan, PlanStatus } from './entities/plan';
import { PlanVersion } from './entities/plan-version';

export { isUuid };

/** Matches no row (MikroORM renders an empty `$in` as `1 = 0`). */
const NOTHING: FilterQuery<Plan> = { id: { $in: [] } };

/**
 * Plans a caller may see. Portal admins: all. Everyone else (anonymous included): PUBLISHED plans
 * in at least one catalog the caller may see (`visibleCatalogIds`).
 */
export async function visiblePlans(context: SubgraphContext): Promise<FilterQuery<Plan>> {
  if (context.caller.isPortalAdmin) return {};
  const catalogs = await visibleCatalogIds(context);
  if (catalogs.size === 0) return NOTHING;
  return { status: PlanStatus.PUBLISHED, catalogIds: { $overlap: [...catalogs] } };
}

/** Plans in at least one of these catalogs (none → matches nothing). */
export function inCatalogs(catalogIds: readonly string[]): FilterQuery<Plan> {
  return catalogIds.length ? { catalogIds: { $overlap: [...catalogIds] } } : NOTHING;
}

/** Tier, then name: the order of every plan list that is not a connection. */
export function byTierThenName(a: Plan, b: Plan): number {
  return a.tier - b.tier || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Catalog ids of each product, from the products subgraph's published view (one statement). */
export async function catalogIdsOfProducts(em: EntityManager, productIds: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(productIds.map((id) => [id, []]));
  if (!productIds.length) return result;
  const rows = await em
    .getConnection()
    .execute<{ catalog_id: string; product_id: string }[]>(
      'select catalog_id::text as catalog_id, product_id::text as product_id from products.catalog_product_contract where product_id in (?)',
      [[...productIds]],
      'all',
      em.getTransactionContext(),
    );
  for (const row of rows) result.get(row.product_id)?.push(row.catalog_id);
  return result;
}

/** Ids among `ids` that no catalog has, read from the products subgraph's published view. */
export async function missingCatalogIds(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await em
    .getConnection()
    .execute<{ id: string }[]>(
      'select id::text as id from products.catalog_contract where id in (?)',
      [[...ids]],
      'all',
      em.getTransactionContext(),
    );
  const found = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

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

/**
 * `Catalog.plans`: the plans in a catalog that the caller may see, by tier then name. Portal
 * admins see every plan; others see PUBLISHED plans, and only for catalogs they may see.
 * Batched: all catalogs of a request → ONE `catalog_ids && {...}` SELECT, grouped in memory.
 */
export function plansOfCatalog(context: SubgraphContext, catalogId: string): Promise<Plan[]> {
  const key = catalogId.toLowerCase();
  if (!isUuid(key)) return Promise.resolve([]);
  return requestLoader<string, Plan[]>(context, 'catalogPlans', async (catalogIds) => {
    const admin = context.caller.isPortalAdmin;
    const visible = admin ? null : await visibleCatalogIds(context);
    const wanted = catalogIds.filter((id) => !visible || visible.has(id));
    const groups = new Map<string, Plan[]>(catalogIds.map((id) => [id, []]));
    if (wanted.length) {
      const rows = await context.em.find(Plan, { $and: [admin ? {} : { status: PlanStatus.PUBLISHED }, inCatalogs(wanted)] });
      rows.sort(byTierThenName);
      const wantedSet = new Set(wanted);
      for (const plan of rows) for (const id of new Set(plan.catalogIds)) if (wantedSet.has(id)) groups.get(id)!.push(plan);
    }
    return catalogIds.map((id) => groups.get(id)!);
  }).load(key);
}

/**
 * `Product.availablePlans`: plans that share a catalog with the product, by tier then name.
 * Portal admins: every such plan. Others: PUBLISHED plans sharing a catalog the caller may see.
 * Batched: one statement for the products' catalogs (published view), one for the plans.
 */
export function availablePlans(context: SubgraphContext, productId: string): Promise<Plan[]> {
  const key = productId.toLowerCase();
  if (!isUuid(key)) return Promise.resolve([]);
  return requestLoader<string, Plan[]>(context, 'availablePlans', async (productIds) => {
    const admin = context.caller.isPortalAdmin;
    const catalogsByProduct = await catalogIdsOfProducts(context.em, productIds);
    const visible = admin ? null : await visibleCatalogIds(context);
    const all = new Set<string>();
    for (const [product, ids] of catalogsByProduct) {
      const shown = visible ? ids.filter((id) => visible.has(id)) : ids;
      catalogsByProduct.set(product, shown);
      shown.forEach((id) => all.add(id));
    }
    if (!all.size) return productIds.map(() => []);
    const rows = await context.em.find(Plan, { $and: [admin ? {} : { status: PlanStatus.PUBLISHED }, inCatalogs([...all])] });
    rows.sort(byTierThenName);
    return productIds.map((product) => {
      const shared = new Set(catalogsByProduct.get(product));
      return rows.filter((plan) => plan.catalogIds.some((id) => shared.has(id)));
    });
  }).load(key);
}

/**
 * Which of these catalog ids the caller may be shown: for portal admins the ones that still exist
 * (one batched statement per request), for everyone else the ones they may see.
 */
export async function shownCatalogIds(context: SubgraphContext, catalogIds: readonly string[]): Promise<string[]> {
  if (!catalogIds.length) return [];
  if (!context.caller.isPortalAdmin) {
    const visible = await visibleCatalogIds(context);
    return catalogIds.filter((id) => visible.has(id));
  }
  const exists = requestLoader<string, boolean>(context, 'catalogExists', async (ids) => {
    const missing = new Set(await missingCatalogIds(context.em, ids));
    return ids.map((id) => !missing.has(id));
  });
  const flags = await exists.loadMany([...catalogIds]);
  return catalogIds.filter((_, i) => flags[i] === true);
}
