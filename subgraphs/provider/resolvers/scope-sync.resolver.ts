import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { ProductRef } from '../entities/refs';
import { productScopeSyncs } from '../services/sync-state';
import { ApiScopeSync } from './scope-sync.types';

@Resolver(() => ProductRef)
export class ProductScopeSyncResolver {
  @FieldResolver(() => [ApiScopeSync], {
    nullable: true,
    description:
      "JWT scope sync of each of the product's Tyk APIs: the scope → policy entries the portal keeps in the API definition for the plans with live access to the product. Empty when no plan with JWT scopes has access. Portal admins only; null for everyone else.",
  })
  scopeSync(@Root() product: ProductRef, @Ctx() context: SubgraphContext): Promise<ApiScopeSync[] | null> {
    return productScopeSyncs(context, product.id);
  }
}
