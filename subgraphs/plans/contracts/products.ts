/**
 * What the products subgraph publishes and plans read: which catalogs exist, which products they
 * hold, which products exist (`products.catalog_contract`, `products.catalog_product_contract`,
 * `products.product_contract`), in the caller's transaction.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { visibleCatalogIds } from '../../../common/audience';
import { requestLoader } from '../../../common/loaders';
import type { SubgraphContext } from '../../../common/server';
import { query } from '../../../common/sql';

/** Catalog ids of each product, from the products subgraph's published view (one statement). */
export async function catalogIdsOfProducts(em: EntityManager, productIds: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(productIds.map((id) => [id, []]));
  if (!productIds.length) return result;
  const rows = await query<{ catalog_id: string; product_id: string }>(
    em,
    'select catalog_id::text as catalog_id, product_id::text as product_id from products.catalog_product_contract where product_id in (?)',
    [[...productIds]],
  );
  for (const row of rows) result.get(row.product_id)?.push(row.catalog_id);
  return result;
}

/** Ids among `ids` that no catalog has, read from the products subgraph's published view. */
export async function missingCatalogIds(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await query<{ id: string }>(em, 'select id::text as id from products.catalog_contract where id in (?)', [[...ids]]);
  const found = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

/** Ids among `ids` (at least one) that a product has, read from the products subgraph's published view. */
export async function existingProductIds(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
  const rows = await query<{ id: string }>(em, 'select id::text as id from products.product_contract where id in (?)', [ids]);
  return new Set(rows.map((r) => r.id));
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
