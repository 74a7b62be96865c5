import { requestLoader, byKeys } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { Product } from './entities/product';
import { isUuid, visibleProducts } from './resolvers/product.resolver';

/** Batched `__resolveReference`: one SELECT for all products referenced in a request. */
export function resolveProductReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id);
  if (!isUuid(id)) return null;
  return requestLoader<string, Product | null>(context, 'product', async (ids) => {
    const rows = await context.em.find(Product, { $and: [visibleProducts(context), { id: { $in: [...ids] } }] });
    return byKeys(ids, rows, (p) => p.id);
  }).load(id);
}
