import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgPubSub } from '../../../common/pubsub';
import type { SubgraphContext } from '../../../common/server';

/** One operation's environment: its transaction, the event bus, its "now" and the settings' environment. */
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
