import type { SubgraphContext } from '../../common/server';
import { isUuid } from '../../common/ids';
import { visibleInvitationLoader } from './data/loaders';

/**
 * Batched `__resolveReference` for Invitation: one SELECT for all invitations referenced in a
 * request. Visible to ORG_ADMINs of its organization, the invitee and portal admins; null otherwise.
 */
export function resolveInvitationReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id);
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleInvitationLoader(context).load(id.toLowerCase());
}
