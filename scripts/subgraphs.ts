import type { SubgraphModule } from '../common/server';
import type { SubgraphName } from '../common/config';
import { productsSubgraph } from '../subgraphs/products';

/** Every subgraph module, by name. Only scripts and tests import this list. */
export const SUBGRAPHS: Partial<Record<SubgraphName, SubgraphModule>> = {
  products: productsSubgraph,
};

export function subgraphModules(): SubgraphModule[] {
  return Object.values(SUBGRAPHS);
}
