import type { SubgraphContext } from '../../common/server';
import { loadVisibleOrganization } from './data/loaders';

/**
 * Batched `__resolveReference` for Organization: one SELECT for all organizations referenced in
 * a request, with the same visibility rule as `organization(id)` (null when hidden).
 */
export function resolveOrganizationReference(reference: Record<string, unknown>, context: SubgraphContext) {
  return loadVisibleOrganization(context, String(reference.id));
}
