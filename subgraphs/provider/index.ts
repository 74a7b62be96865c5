import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Provider } from './entities/provider';
import { migrations } from './migrations';
import { ProviderResolver } from './resolvers/provider.resolver';
import { resolveProviderReference } from './provider.reference';

/** The provider subgraph: the Tyk Gateways / Dashboards plans and access are written to. */
export const providerSubgraph: SubgraphModule = {
  name: 'provider',
  entities: [Provider],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [ProviderResolver],
      references: { Provider: resolveProviderReference as never },
    }),
};
