import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { CatalogRef } from '../entities/catalog-ref';
import { Plan } from '../entities/plan';
import { plansOfCatalog } from '../data/plans';

/** Fields plans adds to the products subgraph's `Catalog`. */
@Resolver(() => CatalogRef)
export class CatalogPlansResolver {
  @FieldResolver(() => [Plan], {
    description:
      'The plans offered in this catalog, ordered by tier, then name. Anyone may read it: portal admins see every plan in it (any status); everyone else sees its PUBLISHED plans, and nothing for a catalog they may not see.',
  })
  plans(@Root() catalog: CatalogRef, @Ctx() context: SubgraphContext): Promise<Plan[]> {
    return plansOfCatalog(context, catalog.id);
  }
}
