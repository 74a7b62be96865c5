import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { forbidden } from '../../../common/errors';
import { HIDDEN_APPS_SQL } from '../../../common/audience';
import type { SubgraphContext } from '../../../common/server';
import { credentialById } from '../contracts/credentials';
import { membershipRole } from '../contracts/membership';
import { counterOf, latestWindow, requestNow } from '../services/quota-status';
import { QUOTA_STATUS_TOPIC, quotaStatusStream } from '../services/quota-status-stream';
import { QuotaStatus } from './usage.types';

const REFUSED = 'Only members of the credential’s organization who may see its app, and portal admins, may watch its quota.';

/**
 * Authorises at subscribe time — before anything is delivered: portal admins, ORG_ADMINs of the
 * credential's (ACTIVE) organization, and its members who may see the credential's app
 * (`App.visibility`). A credential that does not exist is refused the same way (FORBIDDEN), so
 * the answer says nothing about other organizations' credentials. Anonymous: UNAUTHENTICATED.
 */
async function subscribeQuotaStatus({ args, context }: SubscribeResolverData<unknown, { credentialId: string }, SubgraphContext>) {
  const subject = context.caller.requireAuthenticated();
  const credential = await credentialById(context, args.credentialId);
  if (!credential) throw forbidden(REFUSED);
  if (!context.caller.isPortalAdmin) {
    const role = await membershipRole(context.em, credential.organization_id, subject);
    if (!role) throw forbidden(REFUSED);
    if (role === 'MEMBER') {
      const hidden = await context.em
        .getConnection()
        .execute<{ id: string }[]>(`${HIDDEN_APPS_SQL} and a.id = ?`, [credential.organization_id, subject, subject, credential.app_id]);
      if (hidden.length) throw forbidden(REFUSED);
    }
  }
  // The stream listens before the window is read: a batch committing meanwhile is not missed.
  const counter = counterOf(credential);
  // (The read runs as a microtask, after the stream below has started listening.)
  const initial = Promise.resolve().then(async () =>
    counter ? { counter, window: await latestWindow(context, counter, requestNow(context)) } : null,
  );
  const stream = quotaStatusStream(credential, context.pubsub.subscribe(QUOTA_STATUS_TOPIC), context.clock, initial);
  await initial.catch(() => undefined); // without it, only the first reset is not pushed
  return stream;
}

@Resolver(() => QuotaStatus)
export class QuotaStatusResolver {
  @Subscription(() => QuotaStatus, {
    subscribe: subscribeQuotaStatus as never,
    description:
      'The quota a credential draws from (the same status as `Credential.quota`), pushed as it changes: once per ingest batch that counts requests against it (however many the batch carried), and when its window resets. Nothing is sent when subscribing: read `Credential.quota` for the starting point. Portal admins, ORG_ADMINs of the credential’s organization and its members who may see the credential’s app (`App.visibility`) may subscribe; access is checked when subscribing, and anyone else (or for a credential that does not exist) gets a single FORBIDDEN (anonymous: UNAUTHENTICATED) error and no events.',
  })
  quotaStatusChanged(
    @Root() status: QuotaStatus,
    @Arg('credentialId', () => ID, { description: 'The credential whose quota to watch.' }) _credentialId: string,
  ): QuotaStatus {
    return status;
  }
}
