import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgPubSub } from '../../common/pubsub';
import { publishQuotaStatuses } from '../../subgraphs/usage/services/quota-status-stream';

/**
 * Announces a change of a credential's own quota counter outside an ingest (the ingest's own
 * `publishQuotaStatuses`, in a transaction of its own), for tests that need a `quotaStatusChanged`
 * event at a moment of their choosing — such as a probe telling that a subscription is live.
 * The credential's organization, app and plan are read from `developers.credential_contract`.
 * Nothing is stored: subscribers get the event when the transaction commits.
 */
export async function announceQuotaStatus(
  em: EntityManager,
  pubsub: Pick<PgPubSub, 'notify'>,
  credentialId: string,
  window: { used: number; limit: number; windowStart: Date; resetsAt: Date },
): Promise<void> {
  await em.transactional(async (tx) => {
    const [row] = await (tx as EntityManager).getConnection().execute<{ organization_id: string; app_id: string; plan_id: string }[]>(
      `select organization_id::text as organization_id, app_id::text as app_id, plan_id::text as plan_id
           from developers.credential_contract where id = ?`,
      [credentialId],
      'all',
      tx.getTransactionContext(),
    );
    if (!row) throw new Error(`announceQuotaStatus: no credential ${credentialId}`);
    await publishQuotaStatuses(tx as EntityManager, pubsub, [
      {
        scope: 'CREDENTIAL',
        planId: row.plan_id,
        organizationId: row.organization_id,
        appId: row.app_id,
        credentialId,
        periodSeconds: Math.round((window.resetsAt.getTime() - window.windowStart.getTime()) / 1000),
        ...window,
      },
    ]);
  });
}
