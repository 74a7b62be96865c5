import { filter, pipe } from '@graphql-yoga/subscription';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { badInput, forbidden } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { byKeys, requestLoader } from '../../../common/loaders';
import { parseEventCursor, type StoredEvent } from '../../../common/pubsub';
import { connectionType, lazy, PageInfo, pageSize, type ConnectionShape } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { appVisibleCondition, beginEventScope, EVENT_APP_SQL, loadVisibleAccessRequest, loadVisibleCredential } from '../data/loaders';
import { AccessRequest } from '../entities/access-request';
import { AccessRequestEvent } from '../entities/access-request-event';
import { Credential } from '../entities/credential';
import { QuotaBoost } from '../entities/quota-boost';
import { UpgradeOffer } from '../entities/upgrade-offer';
import { PlanRef, planRef } from '../entities/refs';
import { OrganizationRole } from '../entities/organization-member';
import { isMember, memberMaySeeAccessEvent } from '../services/authorize';
import { ACCESS_REQUEST_EVENTS_TOPIC, eventFromPayload, type AccessRequestEventPayload } from '../services/events';

interface EventsArgs {
  organizationId?: string | null;
  after?: string | null;
}

export const AccessRequestEventConnection = connectionType(AccessRequestEvent, 'AccessRequestEvent', 'access-request event');

/** True when `subject` still belongs to the organization (asked again for every event: a count, never a cached entity). */
const stillMember = (context: SubgraphContext, organizationId: string, subject: string) => isMember(context.em, organizationId, subject);

/**
 * Authorises when subscribing — before anything is delivered: portal admins may watch one
 * organization or (without `organizationId`) all; anyone else must name an organization they
 * belong to. Then streams only that organization's events, and only while the subscriber is still
 * a member. A refused subscription ends with one UNAUTHENTICATED / FORBIDDEN / BAD_USER_INPUT error.
 */
async function authorizeEvents(
  context: SubgraphContext,
  given: string | null,
): Promise<{ subject: string; admin: boolean; organizationId: string | null }> {
  const subject = context.caller.requireAuthenticated();
  const admin = context.caller.isPortalAdmin;
  if (given === null && !admin)
    throw badInput('organizationId', 'Pass the id of an organization you belong to (only portal admins may watch all organizations).');
  if (given !== null && !isUuid(given)) throw badInput('organizationId', 'Pass an organization id (a UUID).');
  const organizationId = given === null ? null : given.toLowerCase();
  if (organizationId !== null && !admin && !(await stillMember(context, organizationId, subject))) {
    throw forbidden('Only members of this organization and portal admins may watch its access requests.', OrganizationRole.MEMBER);
  }
  return { subject, admin, organizationId };
}

/**
 * Authorises when subscribing — before anything is delivered: portal admins may watch one
 * organization or (without `organizationId`) all; anyone else must name an organization they
 * belong to. With `after`, first delivers the stored events after that cursor, then live ones
 * (PgPubSub.subscribeFrom: no gap, no duplicate at the seam). Streams only that organization's
 * events, and only while the subscriber is still a member. A refused subscription ends with one
 * UNAUTHENTICATED / FORBIDDEN / BAD_USER_INPUT error.
 */
async function subscribeAccessRequestEvents({ args, context }: SubscribeResolverData<unknown, EventsArgs, SubgraphContext>) {
  const { subject, admin, organizationId } = await authorizeEvents(context, args.organizationId ?? null);
  const after = parseEventCursor(args.after);
  const match: Record<string, string> = organizationId === null ? {} : { organizationId };
  const events = context.pubsub.subscribeFrom<AccessRequestEventPayload>(context.em.fork(), ACCESS_REQUEST_EVENTS_TOPIC, after, match);
  return pipe(
    events,
    filter(async (event: StoredEvent<AccessRequestEventPayload>) => admin || memberMaySeeAccessEvent(context.em, event.payload, subject)),
  );
}

@Resolver(() => AccessRequestEvent)
export class AccessRequestEventResolver {
  @Subscription(() => AccessRequestEvent, {
    subscribe: subscribeAccessRequestEvents as never,
    description:
      'Access-request and credential events as they happen (REQUESTED, APPROVED, REJECTED, CANCELLED, CREDENTIAL_ISSUED, CREDENTIAL_ROTATED, CREDENTIAL_REVOKED, CREDENTIAL_EXPIRING, CREDENTIAL_REVOCATION_SCHEDULED, CREDENTIAL_REVOCATION_CANCELLED, QUOTA_BOOST_GRANTED, QUOTA_BOOST_REVOKED, QUOTA_BOOST_EXPIRED, UPGRADE_OFFERED, PLAN_MIGRATED, ADAPTIVE_LIMIT_TIGHTENED, ADAPTIVE_LIMIT_RESTORED, PLAN_ROLLOUT_LIMITS_CHANGED, PLAN_ROLLOUT_ROLLED_BACK, PLAN_ROLLOUT_COMPLETED). To resume after a disconnect, pass the `cursor` of the last event received as `after`: the events stored since are delivered first, then live ones, each exactly once and in order. Members (any role) of an organization may watch it (`organizationId` required), and get the events of the apps they may see (`App.visibility`); portal admins may watch one organization or, without `organizationId`, all. Checked when subscribing: anyone else gets a single FORBIDDEN (anonymous: UNAUTHENTICATED) error and no events. The event’s `accessRequest` and `credential` are read when the event is delivered, so their fields (and, through the gateway, plan and product fields) are current.',
  })
  // Parameters in reverse of the schema's argument order (type-graphql registers them last-first).
  accessRequestEvents(
    @Root() event: StoredEvent<AccessRequestEventPayload>,
    @Ctx() context: SubgraphContext,
    @Arg('after', () => String, {
      nullable: true,
      description: 'Resume after this event: the `cursor` of the last event received (up to 18 digits). Omit for live events only.',
    })
    _after: string | null,
    @Arg('organizationId', () => ID, { nullable: true, description: 'The organization to watch; required unless you are a portal admin.' })
    _organizationId: string | null,
  ): AccessRequestEvent {
    // One context serves the whole subscription: give this event fresh loaders and entities.
    beginEventScope(context);
    return eventFromPayload(event.payload, event.id);
  }

  @Query(() => AccessRequestEventConnection, {
    description:
      'Stored access-request and credential events of an organization, oldest first: what `accessRequestEvents` delivered or would have delivered. Page with `after` (a `cursor` of an event, or `pageInfo.endCursor`) — exact: no event can later appear behind a cursor — or start at a time with `since`. Members (any role) of the organization (events of the apps they may see, `App.visibility`; a page may then hold fewer than `first`) and portal admins may call it (portal admins may omit `organizationId` for all organizations); anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  // Parameters in reverse of the schema's argument order: organizationId, after, since, first.
  async accessRequestEventsHistory(
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { nullable: true, description: 'How many events to return (1–100, default 20).' }) first: number | null,
    @Arg('since', () => Date, { nullable: true, description: 'Only events stored at or after this time.' }) since: Date | null,
    @Arg('after', () => String, {
      nullable: true,
      description: 'Only events after this cursor (an event’s `cursor` or `pageInfo.endCursor`).',
    })
    after: string | null,
    @Arg('organizationId', () => ID, {
      nullable: true,
      description: 'The organization whose events to list; required unless you are a portal admin.',
    })
    organizationId: string | null,
  ): Promise<ConnectionShape<AccessRequestEvent>> {
    const scope = await authorizeEvents(context, organizationId ?? null);
    const limit = pageSize(first);
    const cursor = parseEventCursor(after);
    if (since !== null && since !== undefined && Number.isNaN(since.getTime())) throw badInput('since', 'Pass a valid date-time.');
    const match: Record<string, string> = scope.organizationId === null ? {} : { organizationId: scope.organizationId };
    const rows = await context.pubsub.history<AccessRequestEventPayload>(context.em, ACCESS_REQUEST_EVENTS_TOPIC, cursor, limit + 1, {
      since,
      match,
    });
    // Events about apps the caller may not see (`App.visibility`) are left out: a page may then
    // hold fewer than `first` events; `hasNextPage` and the cursors still follow every stored event.
    const page = rows.slice(0, limit);
    const appRule = appVisibleCondition(context, EVENT_APP_SQL);
    let shown = page;
    if (!scope.admin && page.length) {
      const visible = await context.em
        .getConnection()
        .execute<{ id: string }[]>(`select e.id::text as id from platform.event e where e.id in (?) and ${appRule.sql}`, [
          page.map((row) => row.id),
          ...appRule.params,
        ]);
      const ids = new Set(visible.map((v) => String(v.id)));
      shown = page.filter((row) => ids.has(String(row.id)));
    }
    const edges = shown.map((row) => ({ cursor: row.id, node: eventFromPayload(row.payload, row.id) }));
    return {
      edges,
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: rows.length > limit,
        hasPreviousPage: cursor !== null,
        startCursor: page[0]?.id ?? null,
        endCursor: page[page.length - 1]?.id ?? null,
      }),
      totalCount: lazy(async () => {
        const counted = await context.em.getConnection().execute<{ n: number }[]>(
          `select count(*)::int as n from platform.event e
              where e.topic = ? and e.created_at >= ? and e.payload @> ?::jsonb and ${appRule.sql}`,
          [ACCESS_REQUEST_EVENTS_TOPIC, (since ?? new Date(0)).toISOString(), JSON.stringify(match), ...appRule.params],
        );
        return Number(counted[0]?.n ?? 0);
      }),
    };
  }

  @FieldResolver(() => AccessRequest, {
    nullable: true,
    description: 'The access request the event is about, as it is now; null for credential-only events.',
  })
  accessRequest(@Root() event: AccessRequestEvent, @Ctx() context: SubgraphContext): Promise<AccessRequest | null> | null {
    return event.accessRequestId ? loadVisibleAccessRequest(context, event.accessRequestId) : null;
  }

  @FieldResolver(() => Credential, {
    nullable: true,
    description: 'The credential the event is about, as it is now; null for events before a credential exists.',
  })
  credential(@Root() event: AccessRequestEvent, @Ctx() context: SubgraphContext): Promise<Credential | null> | null {
    return event.credentialId ? loadVisibleCredential(context, event.credentialId) : null;
  }

  @FieldResolver(() => QuotaBoost, {
    nullable: true,
    description: 'QUOTA_BOOST_* events: the boost, as it is now (null for other types, and when the caller may not see its credential).',
  })
  async quotaBoost(@Root() event: AccessRequestEvent, @Ctx() context: SubgraphContext): Promise<QuotaBoost | null> {
    if (!event.quotaBoostId || !event.credentialId || !(await loadVisibleCredential(context, event.credentialId))) return null;
    return requestLoader<string, QuotaBoost | null>(context, 'developers:eventQuotaBoost', async (ids) =>
      byKeys(ids, await context.em.find(QuotaBoost, { id: { $in: [...ids] } }), (b) => b.id),
    ).load(event.quotaBoostId);
  }

  @FieldResolver(() => UpgradeOffer, {
    nullable: true,
    description: 'UPGRADE_OFFERED events: the offer, as it is now (null for other types, and when the caller may not see its credential).',
  })
  async upgradeOffer(@Root() event: AccessRequestEvent, @Ctx() context: SubgraphContext): Promise<UpgradeOffer | null> {
    if (!event.upgradeOfferId || !event.credentialId || !(await loadVisibleCredential(context, event.credentialId))) return null;
    return requestLoader<string, UpgradeOffer | null>(context, 'developers:eventUpgradeOffer', async (ids) =>
      byKeys(ids, await context.em.find(UpgradeOffer, { id: { $in: [...ids] } }), (o) => o.id),
    ).load(event.upgradeOfferId);
  }

  @FieldResolver(() => PlanRef, {
    nullable: true,
    description:
      'ADAPTIVE_LIMIT_* events: the plan whose rate limit changed; PLAN_ROLLOUT_* events: the plan whose change is rolled out (null for other types).',
  })
  plan(@Root() event: AccessRequestEvent): PlanRef | null {
    return event.planId ? planRef(event.planId) : null;
  }
}
