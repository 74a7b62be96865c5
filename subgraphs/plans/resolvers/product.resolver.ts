import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { Plan } from '../entities/plan';
import { ProductRef } from '../entities/product-ref';
import { availablePlans } from '../plan.reference';

/** Fields plans adds to the products subgraph's `Product`. */
@Resolver(() => ProductRef)
export class ProductPlansResolver {
  @FieldResolver(() => [Plan], {
    description: 'Plans that grant access to this product and that the caller may see, oldest first. Anyone sees published plans; portal admins see all.',
  })
  availablePlans(@Root() product: ProductRef, @Ctx() context: SubgraphContext): Promise<Plan[]> {
    return availablePlans(context, product.id);
  }
}
