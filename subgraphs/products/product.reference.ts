import { byKeys, requestLoader } from '../../common/loaders';
import { heldGrants } from '../../common/audience';
import { isUuid } from '../../common/ids';
import type { SubgraphContext } from '../../common/server';
import { Product } from './entities/product';
import { loadVisibleProduct } from './data/loaders';

/**
 * Batched `__resolveReference` for Product: one SELECT for all products referenced in a request,
 * with the same visibility rule as `product(id)` (null when missing or hidden) — except that
 * products the caller's organizations hold credentials or access requests for always resolve, so
 * entitlements keep naming what they grant after a product leaves the catalogue.
 */
export async function resolveProductReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const visible = await loadVisibleProduct(context, reference.id);
  if (visible || context.caller.isPortalAdmin || !isUuid(reference.id)) return visible;
  const id = reference.id.toLowerCase();
  if (!(await heldGrants(context)).productIds.has(id)) return null;
  return requestLoader<string, Product | null>(context, 'heldProduct', async (ids) => {
    const rows = await context.em.find(Product, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (p) => p.id);
  }).load(id);
}
