import { visibleCatalogIds } from '../../../common/audience';
import { decodeCursor, pageSize, toConnection, type ConnectionShape, type PageArgs } from '../../../common/relay';
import { asEntities, readRows } from '../../../common/rows';
import type { SubgraphContext } from '../../../common/server';
import { Product, type ProductStatus } from '../entities/product';

/** What `products(filter:)` narrows by, checked and normalised by the resolver. */
export interface ProductPageFilter {
  status?: ProductStatus[];
  /** An `ilike` pattern on name, display name and slug. */
  like?: string | null;
  /** A catalog id (a lowercase UUID); the caller may see it or the page is empty. */
  catalogId?: string;
  /** A lowercase tag the product must carry. */
  tag?: string;
}

/**
 * The `products` page, in hand-written SQL: the rows of the page in one statement, `totalCount`
 * in one more only when it is selected. The visibility rule is `visibleProductsFilter`'s:
 * portal admins see every product; everyone else PUBLISHED products in at least one catalog they
 * may see. Oldest first, keyset pagination over (created_at, id).
 */
export async function productPage(context: SubgraphContext, filter: ProductPageFilter, page: PageArgs): Promise<ConnectionShape<Product>> {
  const limit = pageSize(page.first);
  const after = page.after ? decodeCursor(page.after) : null;
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  let empty = false;
  if (!context.caller.isPortalAdmin) {
    const visible = [...(await visibleCatalogIds(context))];
    if (!visible.length) empty = true;
    where.push(`p.status = 'PUBLISHED'`);
    where.push(
      `exists (select 1 from products.catalog_product cp where cp.product_id = p.id and cp.catalog_id = any(${param(visible)}::uuid[]))`,
    );
    if (filter.catalogId !== undefined && !visible.includes(filter.catalogId)) empty = true;
  }
  if (filter.status?.length) where.push(`p.status = any(${param(filter.status)}::text[])`);
  if (filter.like) {
    const like = param(filter.like);
    where.push(`(p.name ilike ${like} or p.display_name ilike ${like} or p.slug ilike ${like})`);
  }
  if (filter.catalogId !== undefined) {
    where.push(
      `exists (select 1 from products.catalog_product cp where cp.product_id = p.id and cp.catalog_id = ${param(filter.catalogId)}::uuid)`,
    );
  }
  if (filter.tag !== undefined) where.push(`p.tags @> array[${param(filter.tag)}::text]`);
  if (empty) return toConnection<Product>([], limit, page.after, () => Promise.resolve(0));

  const matching = where.length ? `where ${where.join(' and ')}` : '';
  const countValues = [...values];
  const pageWhere = [...where];
  if (after) pageWhere.push(`(p.created_at, p.id) > (${param(after.createdAt)}::timestamptz, ${param(after.id)}::uuid)`);
  const rows = await readRows(
    context.em,
    `select p.* from products.product p ${pageWhere.length ? `where ${pageWhere.join(' and ')}` : ''}
      order by p.created_at, p.id limit ${param(limit + 1)}`,
    values,
  );
  return toConnection(asEntities(context.em, Product, rows), limit, page.after, async () => {
    const [row] = await readRows<{ count: string }>(
      context.em,
      `select count(*) as count from products.product p ${matching}`,
      countValues,
    );
    return Number(row?.count ?? 0);
  });
}
