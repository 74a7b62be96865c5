import { byKeys, requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { QuotaWarning } from './entities/quota-warning';
import { isUuid } from '../../common/ids';
import { membershipRole } from './contracts/membership';

/**
 * Batched `__resolveReference`: one SELECT for every QuotaWarning referenced in a request, plus
 * one membership lookup for their organizations. Callers who are neither members of the
 * warning's organization nor portal admins get null.
 */
export function resolveQuotaWarningReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id).toLowerCase();
  const subject = context.caller.subject;
  if (!isUuid(id) || subject === null) return null;
  return requestLoader<string, QuotaWarning | null>(context, 'usage:quotaWarning', async (ids) => {
    const rows = await context.em.find(QuotaWarning, { id: { $in: [...ids] } });
    let visible = rows;
    if (!context.caller.isPortalAdmin) {
      const roles = await Promise.all(rows.map((row) => membershipRole(context.em, row.organizationId, subject)));
      visible = rows.filter((_, index) => roles[index] !== null);
    }
    return byKeys(ids, visible, (warning) => warning.id);
  }).load(id);
}
