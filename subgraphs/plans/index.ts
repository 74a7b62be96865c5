import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Plan } from './entities/plan';
import { migrations } from './migrations';
import { PlanResolver } from './resolvers/plan.resolver';
import { ProductPlansResolver } from './resolvers/product.resolver';
import { resolvePlanReference, resolveProductReference } from './plan.reference';

/** The plans subgraph: what developers get (plans) for which products, with quota and rate limit. */
export const plansSubgraph: SubgraphModule = {
  name: 'plans',
  entities: [Plan],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [PlanResolver, ProductPlansResolver],
      references: { Plan: resolvePlanReference as never, Product: resolveProductReference as never },
    }),
};
