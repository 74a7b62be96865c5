import { Ctx, Field, FieldResolver, ID, Int, ObjectType, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { ApiScopeLink } from '../entities/api-scope-link';
import { ProductRef } from '../entities/refs';
import { SyncStatus } from '../entities/sync-state';
import { syncStuckSeconds } from '../../../common/config';
import { pendingJobOf } from '../data/loaders';
import { query } from '../../../common/sql';
import { isUuid } from '../../../common/ids';

@ObjectType({ description: 'A JWT scope the portal maps to a policy in a Tyk API definition.' })
export class ScopeMappingEntry {
  @Field(() => String, { description: 'The scope (a value of the token’s scope claim).' })
  scope!: string;

  @Field(() => String, {
    description: 'The Tyk policy it selects: the JWT policy of the plan that has the scope (`pg-jwt-<plan id hex>`).',
  })
  policyId!: string;
}

@ObjectType({
  description:
    'How the JWT scopes of the plans with access to a product reach one of its Tyk APIs: the scope → policy entries the portal owns in that API definition and how the last sync went.',
})
export class ApiScopeSync {
  @Field(() => String, { description: 'The Tyk API id (one of the product’s `tykApiIds`).' })
  apiId!: string;

  @Field(() => ID, { nullable: true, description: 'The provider whose API definition holds the mapping; null before the first sync.' })
  providerId!: string | null;

  @Field(() => SyncStatus, {
    description: 'PENDING (a change waits), SYNCED, FAILED (see `lastError`, retried) or MISSING (the provider has no such API).',
  })
  status!: SyncStatus;

  @Field(() => [ScopeMappingEntry], {
    description: 'The entries the portal wrote and owns in the definition (entries written by others are never changed).',
  })
  mapping!: ScopeMappingEntry[];

  @Field(() => Int, { description: 'Attempts since the last successful sync, the successful one included.' })
  attempts!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed or what it could not map (conflicting scopes, API without JWT); null when all is well.',
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the portal last tried to write it.' })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was last written successfully (or found already right).' })
  syncedAt!: Date | null;

  @Field(() => Boolean, {
    description: 'True when a change has waited longer than SYNC_STUCK_SECONDS (default 300) or its retries are exhausted.',
  })
  stuck!: boolean;
}

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
