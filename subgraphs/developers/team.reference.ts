import type { SubgraphContext } from '../../common/server';
import { isUuid } from '../../common/ids';
import { visibleTeamLoader } from './data/loaders';

/**
 * Batched `__resolveReference` for Team: one SELECT for all teams referenced in a request.
 * Visible to members of the team's organization and portal admins; null for everyone else.
 */
export function resolveTeamReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id);
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleTeamLoader(context).load(id.toLowerCase());
}
