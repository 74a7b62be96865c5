import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgPubSub } from './pubsub';
import type { SubgraphContext } from './server';

/**
 * One operation's environment, what every use case (`subgraphs/<name>/services/`) takes instead of the
 * GraphQL context: its transaction, the event bus, its "now" (read once, from the subgraph's clock)
 * and the settings' environment.
 */
export interface Ops {
  em: EntityManager;
  pubsub: PgPubSub;
  now: Date;
  env: NodeJS.ProcessEnv;
}

/** What a use case needs from the request: its transaction, the event bus, the time, the settings. */
export function serviceOps(context: SubgraphContext, em: EntityManager): Ops {
  return { em, pubsub: context.pubsub, now: context.clock.now(), env: context.env };
}
