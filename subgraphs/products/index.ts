import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Catalog, CatalogAudienceMember } from './entities/catalog';
import { Product } from './entities/product';
import { migrations } from './migrations';
import { ProductResolver } from './resolvers/product.resolver';
import { CatalogResolver } from './resolvers/catalog.resolver';
import { resolveProductReference } from './product.reference';
import { resolveCatalogReference } from './catalog.reference';
import { productsJobs } from './jobs';
import { catalogueChangesRoute } from '../../common/catalogue-changes';

/** The products subgraph: what APIs offer (products) and to whom (catalogs); bare products imported from providers. */
export const productsSubgraph: SubgraphModule = {
  name: 'products',
  entities: [Product, Catalog, CatalogAudienceMember],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [ProductResolver, CatalogResolver],
      references: { Product: resolveProductReference as never, Catalog: resolveCatalogReference as never },
    }),
  jobs: productsJobs,
  // The gateways' response caches follow catalogue changes made by jobs here (common/catalogue-changes.ts).
  routes: catalogueChangesRoute,
};
