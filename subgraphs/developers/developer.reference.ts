import type { SubgraphContext } from '../../common/server';
import { isUuid } from '../../common/ids';
import { visibleDeveloperLoader } from './data/loaders';

/**
 * Batched `__resolveReference` for Developer: one SELECT for all developers referenced in a
 * request. Visible to the developer themselves, people who share an organization with them, and
 * portal admins; null for everyone else.
 */
export function resolveDeveloperReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id);
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleDeveloperLoader(context).load(id.toLowerCase());
}
