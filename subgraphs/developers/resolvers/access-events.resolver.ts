import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { filter, pipe } from '@graphql-yoga/subscription';
import { badInput } from '../../../common/errors';
import type { SubgraphContext } from '../../../common/server';
import { AccessRequest } from '../entities/access-request';
import { Credential } from '../entities/credential';
import { OrganizationRole } from '../entities/organization-member';
import { beginEventScope, forbidden, isUuid } from '../access';
import { loadVisibleAccessRequest, loadVisibleCredential } from '../grant-loaders';
import { ACCESS_REQUEST_EVENTS_TOPIC, AccessRequestEvent, eventFromPayload, type AccessRequestEventPayload } from '../events';

interface EventsArgs {
  organizationId?: string | null;
}

/** True when `subject` still belongs to the organization (checked again for every event). */
async function stillMember(context: SubgraphContext, organizationId: string, subject: string): Promise<boolean> {
  const rows = await context.em
    .getConnection()
    .execute<{ n: number }[]>('select count(*)::int as n from developers.organization_member where organization_id = ? and subject = ?', [organizationId, subject]);
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Authorises when subscribing — before anything is delivered: portal admins may watch one
 * organization or (without `organizationId`) all; anyone else must name an organization they
 * belong to. Then streams only that organization's events, and only while the subscriber is still
 * a member. A refused subscription ends with one UNAUTHENTICATED / FORBIDDEN / BAD_USER_INPUT error.
 */
async function subscribeAccessRequestEvents({ args, context }: SubscribeResolverData<unknown, EventsArgs, SubgraphContext>) {
  const subject = context.caller.requireAuthenticated();
  const admin = context.caller.isPortalAdmin;
  const given = args.organizationId ?? null;
  if (given === null && !admin) throw badInput('organizationId', 'Pass the id of an organization you belong to (only portal admins may watch all organizations).');
  if (given !== null && !isUuid(given)) throw badInput('organizationId', 'Pass an organization id (a UUID).');
  const organizationId = given === null ? null : given.toLowerCase();
  if (organizationId !== null && !admin && !(await stillMember(context, organizationId, subject))) {
    throw forbidden('Only members of this organization and portal admins may watch its access requests.', OrganizationRole.MEMBER);
  }
  return pipe(
    context.pubsub.subscribe(ACCESS_REQUEST_EVENTS_TOPIC) as AsyncIterable<AccessRequestEventPayload>,
    filter(async (event: AccessRequestEventPayload) => {
      if (organizationId !== null && event.organizationId !== organizationId) return false;
      return admin || stillMember(context, event.organizationId, subject);
    }),
  );
}

@Resolver(() => AccessRequestEvent)
export class AccessRequestEventResolver {
  @Subscription(() => AccessRequestEvent, {
    subscribe: subscribeAccessRequestEvents as never,
    description:
      'Access-request and credential events as they happen (REQUESTED, APPROVED, REJECTED, CANCELLED, CREDENTIAL_ISSUED, CREDENTIAL_ROTATED, CREDENTIAL_REVOKED, CREDENTIAL_EXPIRING). Members (any role) of an organization may watch it (`organizationId` required); portal admins may watch one organization or, without `organizationId`, all. Checked when subscribing: anyone else gets a single FORBIDDEN (anonymous: UNAUTHENTICATED) error and no events. The event’s `accessRequest` and `credential` are read when the event is delivered, so their fields (and, through the gateway, plan and product fields) are current.',
  })
  accessRequestEvents(
    @Root() payload: AccessRequestEventPayload,
    @Arg('organizationId', () => ID, { nullable: true, description: 'The organization to watch; required unless you are a portal admin.' }) _organizationId: string | null,
    @Ctx() context: SubgraphContext,
  ): AccessRequestEvent {
    // One context serves the whole subscription: give this event fresh loaders and entities.
    beginEventScope(context);
    return eventFromPayload(payload);
  }

  @FieldResolver(() => AccessRequest, { nullable: true, description: 'The access request the event is about, as it is now; null for credential-only events.' })
  accessRequest(@Root() event: AccessRequestEvent, @Ctx() context: SubgraphContext): Promise<AccessRequest | null> | null {
    return event.accessRequestId ? loadVisibleAccessRequest(context, event.accessRequestId) : null;
  }

  @FieldResolver(() => Credential, { nullable: true, description: 'The credential the event is about, as it is now; null for events before a credential exists.' })
  credential(@Root() event: AccessRequestEvent, @Ctx() context: SubgraphContext): Promise<Credential | null> | null {
    return event.credentialId ? loadVisibleCredential(context, event.credentialId) : null;
  }
}
