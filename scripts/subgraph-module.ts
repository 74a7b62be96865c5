import type { SubgraphModule } from '../common/server';
import type { SubgraphName } from '../common/config';

/**
 * One subgraph's module, loading only that subgraph's code: a process runs one subgraph
 * (scripts/start-one.ts), and loading the others' too cost it about a third of its start-up time.
 */
export async function loadSubgraph(name: SubgraphName): Promise<SubgraphModule> {
  switch (name) {
    case 'products':
      return (await import('../subgraphs/products/index.js')).productsSubgraph;
    case 'plans':
      return (await import('../subgraphs/plans/index.js')).plansSubgraph;
    case 'developers':
      return (await import('../subgraphs/developers/index.js')).developersSubgraph;
    case 'usage':
      return (await import('../subgraphs/usage/index.js')).usageSubgraph;
    case 'provider':
      return (await import('../subgraphs/provider/index.js')).providerSubgraph;
  }
}
