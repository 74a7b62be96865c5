import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { ApiScopeLink } from '../entities/api-scope-link';
import { ProductRef } from '../entities/refs';
import { SyncStatus } from '../entities/sync-state';
import { syncStuckSeconds } from '../../../common/config';
import { pendingJobOf } from '../data/loaders';
import { query } from '../../../common/sql';
import { isUuid } from '../../../common/ids';
import { ApiScopeSync, ScopeMappingEntry } from './scope-sync.types';

@Resolver(() => ProductRef)
export class ProductScopeSyncResolver {
  @FieldResolver(() => [ApiScopeSync], {
    nullable: true,
    description:
      "JWT scope sync of each of the product's Tyk APIs: the scope → policy entries the portal keeps in the API definition for the plans with live access to the product. Empty when no plan with JWT scopes has access. Portal admins only; null for everyone else.",
  })
  async scopeSync(@Root() product: ProductRef, @Ctx() context: SubgraphContext): Promise<ApiScopeSync[] | null> {
    if (!context.caller.isPortalAdmin || !isUuid(product.id)) return null;
    const [row] = await query<{ tyk_api_ids: string[] | null }>(
      context.em,
      `select tyk_api_ids from products.product_contract where id = ?`,
      [product.id],
    );
    const apiIds = row?.tyk_api_ids ?? [];
    if (!apiIds.length) return [];
    const links = await context.em.find(ApiScopeLink, { apiId: { $in: apiIds } }, { orderBy: { apiId: 'asc' } });
    const now = context.clock.now();
    const out: ApiScopeSync[] = [];
    for (const link of links) {
      const job = await pendingJobOf(context, `api-scopes:${link.providerId}:${link.apiId}`);
      const waiting = job !== null && !(job.lockedAt && link.syncedAt && link.syncedAt >= job.lockedAt);
      const exhausted = waiting && job!.lockedAt === null && job!.attempts >= job!.maxAttempts;
      out.push(
        Object.assign(new ApiScopeSync(), {
          apiId: link.apiId,
          providerId: link.providerId,
          status: exhausted ? SyncStatus.FAILED : waiting && link.status === SyncStatus.SYNCED ? SyncStatus.PENDING : link.status,
          mapping: Object.entries(link.mapping)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([scope, policyId]) => Object.assign(new ScopeMappingEntry(), { scope, policyId })),
          attempts: link.attempts,
          lastError: link.lastError,
          lastAttemptAt: link.lastAttemptAt,
          syncedAt: link.syncedAt,
          stuck: exhausted || (waiting && now.getTime() - job!.createdAt.getTime() > syncStuckSeconds(context.env) * 1000),
        }),
      );
    }
    return out;
  }
}
