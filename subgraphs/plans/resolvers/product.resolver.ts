import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { Plan } from '../entities/plan';
import { ProductRef } from '../entities/product-ref';
import { availablePlans } from '../data/plans';

/** Fields plans adds to the products subgraph's `Product`. */
@Resolver(() => ProductRef)
export class ProductPlansResolver {
  @FieldResolver(() => [Plan], {
    description:
      'Plans that share a catalog with this product, ordered by tier, then name. Anyone may read it: portal admins see every such plan (any status); everyone else sees PUBLISHED plans that share a catalog with the product that they may see.',
  })
  availablePlans(@Root() product: ProductRef, @Ctx() context: SubgraphContext): Promise<Plan[]> {
    return availablePlans(context, product.id);
  }
}
