/**
 * The plan rows: the lock every change of a plan takes, who sees which plans, and the batched plan
 * lists of `Catalog.plans` and `Product.availablePlans`. Each list is one SQL statement per
 * request (plus the caller's visible catalogs, memoised per request), whatever the number of
 * parents.
 */
import { LockMode, type EntityManager, type FilterQuery } from '@mikro-orm/postgresql';
import { visibleCatalogIds } from '../../../common/audience';
import { refuse } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { requestLoader } from '../../../common/loaders';
import { asEntities, readRows } from '../../../common/rows';
import type { SubgraphContext } from '../../../common/server';
import { Plan, PlanStatus } from '../entities/plan';

/** Loads the plan and locks its row for the rest of the transaction (concurrent changes wait). */
export async function lockPlan(em: EntityManager, id: string, field = 'input.id'): Promise<Plan> {
  const key = id.trim().toLowerCase();
  const plan = isUuid(key) ? await em.findOne(Plan, { id: key }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true }) : null;
  if (!plan) refuse('NOT_FOUND', field, `No plan has the id ${JSON.stringify(id)}: check the id (plans(filter) lists them).`);
  return plan;
}

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
 * Batched: one hand-written statement for all the request's products (their catalogs from the
 * products subgraph's published view, joined to the plans), plus the caller's visible catalogs
 * (memoised per request). The rows become unmanaged `Plan`s: a read path that never writes them.
 */
export function availablePlans(context: SubgraphContext, productId: string): Promise<Plan[]> {
  const key = productId.toLowerCase();
  if (!isUuid(key)) return Promise.resolve([]);
  return requestLoader<string, Plan[]>(context, 'availablePlans', async (productIds) => {
    const admin = context.caller.isPortalAdmin;
    const values: unknown[] = [[...productIds]];
    let shown = '';
    if (!admin) {
      const visible = [...(await visibleCatalogIds(context))];
      if (!visible.length) return productIds.map(() => []);
      values.push(visible);
      shown = ' and cp.catalog_id = any($2::uuid[])';
    }
    const rows = await readRows<Record<string, unknown> & { __product_ids: string[] }>(
      context.em,
      `with shared as (
         select cp.product_id, cp.catalog_id from products.catalog_product_contract cp
          where cp.product_id = any($1::uuid[])${shown}
       )
       select p.*, array_agg(distinct s.product_id::text) as __product_ids
         from plans.plan p join shared s on p.catalog_ids @> array[s.catalog_id]
        where ${admin ? 'true' : `p.status = 'PUBLISHED'`}
        group by p.id`,
      values,
    );
    const plans = asEntities(context.em, Plan, rows);
    const order = plans.map((plan, i) => ({ plan, products: rows[i].__product_ids })).sort((a, b) => byTierThenName(a.plan, b.plan));
    return productIds.map((product) => order.filter((entry) => entry.products.includes(product)).map((entry) => entry.plan));
  }).load(key);
}
