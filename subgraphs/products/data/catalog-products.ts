import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../../../common/sql';

/**
 * Writes of `products.catalog_product` (which products a catalog contains), inside the
 * mutation's transaction. Ids must already be checked to exist.
 */

/** Makes `catalogIds` exactly the product's catalogs. */
export async function replaceProductCatalogs(em: EntityManager, productId: string, catalogIds: readonly string[]): Promise<void> {
  if (catalogIds.length) {
    await query(em, `delete from products.catalog_product where product_id = ? and catalog_id not in (?)`, [productId, [...catalogIds]]);
    await query(
      em,
      `insert into products.catalog_product (catalog_id, product_id)
       select c, ?::uuid from unnest(array[?]::uuid[]) c
       on conflict do nothing`,
      [productId, [...catalogIds]],
    );
  } else {
    await query(em, `delete from products.catalog_product where product_id = ?`, [productId]);
  }
}

/** Adds products to a catalog; returns the ids that were not in it before. */
export async function addCatalogProducts(em: EntityManager, catalogId: string, productIds: readonly string[]): Promise<string[]> {
  if (!productIds.length) return [];
  const rows = await query<{ product_id: string }>(
    em,
    `insert into products.catalog_product (catalog_id, product_id)
     select ?::uuid, p from unnest(array[?]::uuid[]) p
     on conflict do nothing
     returning product_id`,
    [catalogId, [...productIds]],
  );
  return rows.map((row) => row.product_id);
}

/** Removes products from a catalog; returns the ids that were in it. */
export async function removeCatalogProducts(em: EntityManager, catalogId: string, productIds: readonly string[]): Promise<string[]> {
  if (!productIds.length) return [];
  const rows = await query<{ product_id: string }>(
    em,
    `delete from products.catalog_product where catalog_id = ? and product_id in (?) returning product_id`,
    [catalogId, [...productIds]],
  );
  return rows.map((row) => row.product_id);
}

/** A catalog membership change is a change of the product: bump its version and update time. */
export async function touchProducts(em: EntityManager, productIds: readonly string[]): Promise<void> {
  if (!productIds.length) return;
  await query(em, `update products.product set version = version + 1, updated_at = now() where id in (?)`, [[...productIds]]);
}
