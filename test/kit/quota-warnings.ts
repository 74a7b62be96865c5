import type { EntityManager } from '@mikro-orm/postgresql';
import { ormNow } from '../../common/clock';
import type { PgPubSub } from '../../common/pubsub';
import type { QuotaWarning } from '../../subgraphs/usage/entities/quota-warning';
import { insertQuotaWarnings, type RaiseQuotaWarningInput } from '../../subgraphs/usage/services/quota-warnings';

export type { RaiseQuotaWarningInput };

/**
 * Raises one quota warning outside an ingest, for tests and benchmarks that need a warning at a
 * moment of their choosing: the ingest's own `insertQuotaWarnings` in a transaction of its own,
 * so the row, its `platform.event` and the notification are written exactly as the ingest
 * writes them, and subscribers get the event when it commits. A warning fires once per scope
 * (organization, app, credential), kind, threshold and quota window: raising the same one again
 * stores nothing, publishes nothing and returns null. Malformed input throws a RangeError and
 * writes nothing.
 */
export async function raiseQuotaWarning(
  em: EntityManager,
  pubsub: Pick<PgPubSub, 'emit'>,
  input: RaiseQuotaWarningInput,
): Promise<QuotaWarning | null> {
  return em.transactional(async (tx) => {
    const [warning] = await insertQuotaWarnings(tx as EntityManager, pubsub, [input], ormNow(tx));
    return warning ?? null;
  });
}
