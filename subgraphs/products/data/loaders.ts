import type { FilterQuery } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { visibleCatalogIds } from '../../../common/audience';
import { byKeys, groupByKeys, renewLoaderScope, requestLoader } from '../../../common/loaders';
import { decodeCursor, pageSize, toConnection, type ConnectionShape, type PageArgs } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { query } from '../../../common/sql';
import { asEntities, readRows } from '../../../common/rows';
import { isUuid } from '../../../common/ids';
import { Catalog, CatalogAudienceMember } from '../entities/catalog';
import { Product, ProductStatus } from '../entities/product';

/**
 * Who may see which catalogs and products, and the per-request loaders every resolver shares.
 *
 * Portal admins see everything. Everyone else (anonymous included) sees the catalogs in
 * `visibleCatalogIds(context)` and the PUBLISHED products that belong to at least one of them.
 * Every lookup is batched: the number of SQL statements per request does not grow with list sizes.
 */

/** Catalogs filter for the caller (portal admins: no restriction). */
export async function visibleCatalogsFilter(context: SubgraphContext): Promise<FilterQuery<Catalog>> {
  if (context.caller.isPortalAdmin) return {};
  return { id: { $in: [...(await visibleCatalogIds(context))] } };
}

/** Products filter for the caller: portal admins all; others PUBLISHED products in a visible catalog. */
export async function visibleProductsFilter(context: SubgraphContext): Promise<FilterQuery<Product>> {
  if (context.caller.isPortalAdmin) return {};
  const catalogIds = [...(await visibleCatalogIds(context))];
  if (!catalogIds.length) return { id: { $in: [] } };
  return { status: ProductStatus.PUBLISHED, catalogs: { $some: { id: { $in: catalogIds } } } };
}

/** True when the caller may see the catalog. */
export async function canSeeCatalog(context: SubgraphContext, catalogId: string): Promise<boolean> {
  if (context.caller.isPortalAdmin) return true;
  return (await visibleCatalogIds(context)).has(catalogId);
}

/** Forgets everything the request's loaders cached (after a mutation changed it): a fresh loader scope. */
export function clearLoaders(context: SubgraphContext): void {
  renewLoaderScope(context);
}

/** Visible products by id (null when missing or hidden): one SELECT per request. */
export function visibleProductLoader(context: SubgraphContext) {
  return requestLoader<string, Product | null>(context, 'products:visibleProduct', async (ids) => {
    const rows = await context.em.find(Product, { $and: [await visibleProductsFilter(context), { id: { $in: [...ids] } }] });
    return byKeys(ids, rows, (p) => p.id);
  });
}

/** Loads a visible product; null for ids that are not UUIDs, missing or hidden. */
export function loadVisibleProduct(context: SubgraphContext, id: unknown): Promise<Product | null> {
  if (!isUuid(id)) return Promise.resolve(null);
  return visibleProductLoader(context).load(id.toLowerCase());
}

/** Visible catalogs by id (null when missing or hidden): one SELECT per request. */
export function visibleCatalogLoader(context: SubgraphContext) {
  return requestLoader<string, Catalog | null>(context, 'products:visibleCatalog', async (ids) => {
    const rows = await context.em.find(Catalog, { $and: [await visibleCatalogsFilter(context), { id: { $in: [...ids] } }] });
    return byKeys(ids, rows, (c) => c.id);
  });
}

/** Loads a visible catalog; null for ids that are not UUIDs, missing or hidden. */
export function loadVisibleCatalog(context: SubgraphContext, id: unknown): Promise<Catalog | null> {
  if (!isUuid(id)) return Promise.resolve(null);
  return visibleCatalogLoader(context).load(id.toLowerCase());
}

/** The catalogs of each product that the caller may see, oldest first: one SELECT per request. */
export function productCatalogsLoader(context: SubgraphContext) {
  return requestLoader<string, Catalog[]>(context, 'products:productCatalogs', async (productIds) => {
    const [rows, visible] = await Promise.all([
      readRows<Record<string, unknown> & { __product_id: string }>(
        context.em,
        `select c.*, cp.product_id as __product_id
           from products.catalog_product cp
           join products.catalog c on c.id = cp.catalog_id
          where cp.product_id = any($1::uuid[])
          order by c.created_at, c.id`,
        [[...productIds]],
      ),
      context.caller.isPortalAdmin ? Promise.resolve(null) : visibleCatalogIds(context),
    ]);
    const shown = visible === null ? rows : rows.filter((row) => visible.has(String(row.id)));
    const catalogs = asEntities(context.em, Catalog, shown);
    const pairs = shown.map((row, i) => ({ productId: row.__product_id, catalog: catalogs[i] }));
    return groupByKeys(productIds, pairs, (pair) => pair.productId).map((group) => group.map((pair) => pair.catalog));
  });
}

/** The audience of each catalog, organizations then teams, oldest first: one SELECT per request. Authorise before calling. */
export function catalogAudienceLoader(context: SubgraphContext) {
  return requestLoader<string, CatalogAudienceMember[]>(context, 'products:catalogAudience', async (catalogIds) => {
    const rows = await context.em.find(
      CatalogAudienceMember,
      { catalogId: { $in: [...catalogIds] } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    const ordered = [...rows.filter((m) => m.organizationId !== null), ...rows.filter((m) => m.organizationId === null)];
    return groupByKeys(catalogIds, ordered, (m) => m.catalogId);
  });
}

/** Throws FORBIDDEN unless the caller is a portal admin (anonymous callers included). */
export function requirePortalAdminField(context: SubgraphContext): void {
  if (context.caller.isPortalAdmin) return;
  throw new GraphQLError('Only portal admins may read this field.', { extensions: { code: 'FORBIDDEN', requiredRole: 'portal_admin' } });
}

// --- Catalog.products: one page per catalog, all catalogs of a request in one SELECT ------------

/**
 * Products of one catalog as a connection. The catalog must already be visible to the caller;
 * non-admins then see its PUBLISHED products (they belong to this visible catalog). Pages of all
 * catalogs asked with the same arguments load in one SELECT (ranked per catalog); `totalCount`
 * in one grouped COUNT.
 */
export async function catalogProducts(context: SubgraphContext, catalogId: string, page: PageArgs): Promise<ConnectionShape<Product>> {
  const limit = pageSize(page.first);
  const after = page.after ? decodeCursor(page.after) : null;
  const onlyPublished = !context.caller.isPortalAdmin;
  const loader = requestLoader<string, Product[]>(context, `products:catalogProducts:${limit}:${page.after ?? ''}`, async (catalogIds) => {
    const params: unknown[] = [[...catalogIds]];
    let conditions = '';
    if (onlyPublished) conditions += ` and p.status = 'PUBLISHED'`;
    if (after) {
      conditions += ` and (p.created_at > ? or (p.created_at = ? and p.id > ?))`;
      params.push(after.createdAt, after.createdAt, after.id);
    }
    params.push(limit + 1);
    const rows = await query<Record<string, unknown> & { __catalog_id: string; __rank: string }>(
      context.em,
      `select * from (
         select p.*, cp.catalog_id as __catalog_id,
                row_number() over (partition by cp.catalog_id order by p.created_at, p.id) as __rank
           from products.catalog_product cp
           join products.product p on p.id = cp.product_id
          where cp.catalog_id in (?)${conditions}
       ) ranked
       where __rank <= ?
       order by __catalog_id, created_at, id`,
      params,
    );
    const pairs = rows.map(({ __catalog_id, __rank: _rank, ...row }) => ({
      catalogId: __catalog_id,
      product: context.em.map(Product, row),
    }));
    return groupByKeys(catalogIds, pairs, (pair) => pair.catalogId).map((group) => group.map((pair) => pair.product));
  });
  const rows = await loader.load(catalogId);
  return toConnection(rows, limit, page.after, () => catalogProductCountLoader(context).load(catalogId));
}

function catalogProductCountLoader(context: SubgraphContext) {
  return requestLoader<string, number>(context, 'products:catalogProductCounts', async (catalogIds) => {
    const onlyPublished = !context.caller.isPortalAdmin;
    const rows = await query<{ catalog_id: string; count: string }>(
      context.em,
      `select cp.catalog_id, count(*) as count
         from products.catalog_product cp
         join products.product p on p.id = cp.product_id
        where cp.catalog_id in (?)${onlyPublished ? ` and p.status = 'PUBLISHED'` : ''}
        group by cp.catalog_id`,
      [[...catalogIds]],
    );
    return byKeys(catalogIds, rows, (row) => row.catalog_id).map((row) => Number(row?.count ?? 0));
  });
}
