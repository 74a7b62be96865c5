import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { lazy, PageArgs, PageInfo, pageSize, type ConnectionShape } from '../../../common/relay';
import { badInput } from '../../../common/errors';
import { parseEventCursor, type StoredEvent } from '../../../common/pubsub';
import type { SubgraphContext } from '../../../common/server';
import { QuotaWarning } from '../entities/quota-warning';
import { OrganizationRef, organizationRef } from '../entities/organization-ref';
import { isUuid } from '../../../common/ids';
import { requireOrganizationReader } from '../services/authorization';
import { QUOTA_WARNINGS_TOPIC, quotaWarningFromEvent, type QuotaWarningEvent } from '../services/quota-warnings';
import { QuotaWarningConnection } from './quota-warning.types';

interface QuotaWarningsArgs {
  organizationId: string;
  appId?: string | null;
  after?: string | null;
}

function checkAppId(appId: string | null | undefined): void {
  if (appId !== null && appId !== undefined && !isUuid(appId))
    throw badInput('appId', 'Pass an app id (a UUID), or leave `appId` out for the whole organization.');
}

/**
 * Authorises at subscribe time — before anything is delivered — then (with `after`) replays the
 * stored warnings after that cursor and streams live ones: only the
 * organization's (and, with `appId`, that app's) warnings. A refused subscription ends with a
 * single UNAUTHENTICATED / FORBIDDEN / BAD_USER_INPUT error result.
 */
async function subscribeQuotaWarnings({ args, context }: SubscribeResolverData<unknown, QuotaWarningsArgs, SubgraphContext>) {
  const { organizationId, appId } = args;
  await requireOrganizationReader(context, organizationId);
  checkAppId(appId);
  const after = parseEventCursor(args.after);
  const organization = organizationId.toLowerCase();
  const app = appId ? appId.toLowerCase() : null;
  const match: Record<string, string> = app === null ? { organizationId: organization } : { organizationId: organization, appId: app };
  // With `after`: the stored warnings after that cursor, then live ones (no gap, no duplicate).
  return context.pubsub.subscribeFrom<QuotaWarningEvent>(context.em.fork(), QUOTA_WARNINGS_TOPIC, after, match);
}

@Resolver(() => QuotaWarning)
export class QuotaWarningResolver {
  @FieldResolver(() => OrganizationRef, { description: 'The organization whose quota the warning is about.' })
  organization(@Root() warning: QuotaWarning): OrganizationRef {
    return organizationRef(warning.organizationId);
  }

  @Query(() => QuotaWarningConnection, {
    description:
      'Quota warnings raised for an organization (optionally one app), in the order `quotaWarnings` delivered them (oldest first), as they are now (warnings retracted because late usage replaced their quota window are left out). Page with `after` (a warning’s `cursor` or `pageInfo.endCursor`) — exact: no warning can later appear behind a cursor — or start at a time with `since`. Members of that organization (any role) and portal admins may call it; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  // Parameters are listed in reverse of the schema's argument order (type-graphql registers
  // parameter decorators last-first): organizationId, appId, first, after.
  async quotaWarningsHistory(
    @Ctx() context: SubgraphContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('since', () => Date, { nullable: true, description: 'Only warnings raised at or after this time.' }) since: Date | null,
    @Arg('appId', () => ID, { nullable: true, description: 'Only warnings about this app of the organization; omit for all.' })
    appId: string | null,
    @Arg('organizationId', () => ID, { description: 'Organization whose warnings to list.' }) organizationId: string,
  ): Promise<ConnectionShape<QuotaWarning>> {
    await requireOrganizationReader(context, organizationId);
    checkAppId(appId);
    const limit = pageSize(page.first);
    const after = parseEventCursor(page.after);
    if (since !== null && since !== undefined && Number.isNaN(since.getTime())) throw badInput('since', 'Pass a valid date-time.');
    const match = JSON.stringify(
      appId
        ? { organizationId: organizationId.toLowerCase(), appId: appId.toLowerCase() }
        : { organizationId: organizationId.toLowerCase() },
    );
    const sinceText = (since ?? new Date(0)).toISOString();
    // In event order (the stream `quotaWarnings` delivers, ids in commit order: an exact resume
    // point), showing each warning as it is now; warnings retracted since (their quota window was
    // replaced by late usage) are left out.
    const from = `from platform.event e join usage.quota_warning w on w.id = (e.payload->>'id')::uuid
      where e.topic = ? and e.payload @> ?::jsonb and w.created_at >= ?`;
    const connection = context.em.getConnection();
    const rows = await connection.execute<Record<string, unknown>[]>(
      `select e.id as event_cursor, w.* ${from} and e.id > ? order by e.id limit ?`,
      [QUOTA_WARNINGS_TOPIC, match, sinceText, after ?? '0', limit + 1],
    );
    const edges = rows.slice(0, limit).map((row) => {
      const cursor = String(row.event_cursor);
      const { event_cursor: _cursor, ...columns } = row;
      const node = Object.assign(context.em.map(QuotaWarning, columns), { cursor });
      return { cursor, node };
    });
    return {
      edges,
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: rows.length > limit,
        hasPreviousPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      }),
      totalCount: lazy(async () => {
        const counted = await connection.execute<{ n: number }[]>(`select count(*)::int as n ${from}`, [
          QUOTA_WARNINGS_TOPIC,
          match,
          sinceText,
        ]);
        return Number(counted[0]?.n ?? 0);
      }),
    };
  }

  @Subscription(() => QuotaWarning, {
    subscribe: subscribeQuotaWarnings as never,
    description:
      'Quota warnings of an organization (optionally one app) as they are raised. Members of that organization (any role) and portal admins may subscribe; access is checked when subscribing, and anyone else gets a single FORBIDDEN (anonymous: UNAUTHENTICATED) error and no events. To resume after a disconnect, pass the `cursor` of the last warning received as `after`: the warnings raised since are delivered first (as they were raised), then live ones, each exactly once and in order; `quotaWarningsHistory` reads them back too.',
  })
  // Parameters in reverse of the schema's argument order: organizationId, appId, after.
  quotaWarnings(
    @Root() event: StoredEvent<QuotaWarningEvent>,
    @Arg('after', () => String, {
      nullable: true,
      description: 'Resume after this warning: the `cursor` of the last warning received (up to 18 digits). Omit for live warnings only.',
    })
    _after: string | null,
    @Arg('appId', () => ID, { nullable: true, description: 'Only warnings about this app of the organization; omit for all.' })
    _appId: string | null,
    @Arg('organizationId', () => ID, { description: 'Organization whose warnings to receive.' }) _organizationId: string,
  ): QuotaWarning {
    return Object.assign(quotaWarningFromEvent(event.payload), { cursor: event.id });
  }
}
