import { requestLoader, byKeys } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { Provider } from './entities/provider';
import { isUuid } from '../../common/ids';

/** Batched `__resolveReference`: one SELECT for all providers referenced in a request; null for non-admins. */
export function resolveProviderReference(reference: Record<string, unknown>, context: SubgraphContext) {
  if (!context.caller.isPortalAdmin) return null;
  const id = String(reference.id);
  if (!isUuid(id)) return null;
  return requestLoader<string, Provider | null>(context, 'provider', async (ids) => {
    const rows = await context.em.find(Provider, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (p) => p.id);
  }).load(id);
}
