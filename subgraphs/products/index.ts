import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Product } from './entities/product';
import { migrations } from './migrations';
import { ProductResolver } from './resolvers/product.resolver';
import { resolveProductReference } from './product.reference';

/** The products subgraph: what APIs offer (products) and to whom (catalogs). */
export const productsSubgraph: SubgraphModule = {
  name: 'products',
  entities: [Product],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [ProductResolver],
      references: { Product: resolveProductReference as never },
    }),
};
