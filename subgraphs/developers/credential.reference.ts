import type { SubgraphContext } from '../../common/server';
import { loadVisibleCredential } from './data/loaders';

/**
 * Batched `__resolveReference` for Credential: one SELECT for all credentials referenced in a
 * request, with the rule of `credential(id)` (members of its organization and portal admins;
 * null otherwise).
 */
export function resolveCredentialReference(reference: Record<string, unknown>, context: SubgraphContext) {
  return loadVisibleCredential(context, String(reference.id));
}
