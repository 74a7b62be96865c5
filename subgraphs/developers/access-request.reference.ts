import type { SubgraphContext } from '../../common/server';
import { loadVisibleAccessRequest } from './data/loaders';

/**
 * Batched `__resolveReference` for AccessRequest: one SELECT for all access requests referenced
 * in a request, with the rule of `accessRequest(id)` (members of its organization and portal
 * admins; null otherwise).
 */
export function resolveAccessRequestReference(reference: Record<string, unknown>, context: SubgraphContext) {
  return loadVisibleAccessRequest(context, String(reference.id));
}
