import type { SubgraphModule } from '../common/server';
import type { SubgraphName } from '../common/config';
import { productsSubgraph } from '../subgraphs/products';
import { plansSubgraph } from '../subgraphs/plans';
import { developersSubgraph } from '../subgraphs/developers';
import { usageSubgraph } from '../subgraphs/usage';
import { providerSubgraph } from '../subgraphs/provider';

/** Every subgraph module, by name. Only scripts and tests import this list. */
export const SUBGRAPHS: Partial<Record<SubgraphName, SubgraphModule>> = {
  products: productsSubgraph,
  plans: plansSubgraph,
  developers: developersSubgraph,
  usage: usageSubgraph,
  provider: providerSubgraph,
};

export function subgraphModules(): SubgraphModule[] {
  return Object.values(SUBGRAPHS);
}
