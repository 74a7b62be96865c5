import type { SubgraphContext } from '../../common/server';
import { loadVisibleProduct } from './access';

/**
 * Batched `__resolveReference` for Product: one SELECT for all products referenced in a request,
 * with the same visibility rule as `product(id)` (null when missing or hidden).
 */
export function resolveProductReference(reference: Record<string, unknown>, context: SubgraphContext) {
  return loadVisibleProduct(context, reference.id);
}
