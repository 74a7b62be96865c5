import type { SubgraphContext } from '../../common/server';
import { isUuid } from '../../common/ids';
import { findPlanMigration } from './services/plan-migrations';

/** `__resolveReference` for PlanMigration: portal admins only (null for anyone else), as `planMigration(id)`. */
export async function resolvePlanMigrationReference(reference: Record<string, unknown>, context: SubgraphContext) {
  const id = String(reference.id);
  if (!context.caller.isPortalAdmin || !isUuid(id)) return null;
  return findPlanMigration(context.em, id);
}
