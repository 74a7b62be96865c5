import type { SubgraphContext } from '../../common/server';
import { loadVisibleApp } from './data/loaders';

/**
 * Batched `__resolveReference` for App: one SELECT for all apps referenced in a request, with
 * the same rule as `app(id)` (members of its organization and portal admins; null otherwise).
 */
export function resolveAppReference(reference: Record<string, unknown>, context: SubgraphContext) {
  return loadVisibleApp(context, String(reference.id));
}
