import type { SubgraphContext } from '../../common/server';
import { loadVisibleCatalog } from './data/loaders';

/**
 * Batched `__resolveReference` for Catalog: one SELECT for all catalogs referenced in a request,
 * with the same visibility rule as `catalog(id)` (null when missing or hidden).
 */
export function resolveCatalogReference(reference: Record<string, unknown>, context: SubgraphContext) {
  return loadVisibleCatalog(context, reference.id);
}
