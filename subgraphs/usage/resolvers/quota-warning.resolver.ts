import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { PageArgs, type ConnectionShape } from '../../../common/relay';
import { badInput } from '../../../common/errors';
import { parseEventCursor, type StoredEvent } from '../../../common/pubsub';
import type { SubgraphContext } from '../../../common/server';
import { QuotaWarning } from '../entities/quota-warning';
import { OrganizationRef, organizationRef } from '../entities/organization-ref';
import { isUuid } from '../../../common/ids';
import { HIDDEN_APPS_SQL } from '../../../common/audience';
import { requireOrganizationReader, seesEveryApp } from '../services/authorization';
import { QUOTA_WARNINGS_TOPIC, quotaWarningFromEvent, type QuotaWarningEvent } from '../services/quota-warnings';
import { quotaWarningsHistory } from '../services/quota-warning-history';
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
  const role = await requireOrganizationReader(context, organizationId);
  checkAppId(appId);
  const after = parseEventCursor(args.after);
  const organization = organizationId.toLowerCase();
  const app = appId ? appId.toLowerCase() : null;
  const match: Record<string, string> = app === null ? { organizationId: organization } : { organizationId: organization, appId: app };
  // With `after`: the stored warnings after that cursor, then live ones (no gap, no duplicate).
  // The subscription's own EntityManager (its context's) reads that history: no second fork to
  // keep for as long as it runs.
  const events = context.pubsub.subscribeFrom<QuotaWarningEvent>(context.em, QUOTA_WARNINGS_TOPIC, after, match);
  if (seesEveryApp(role)) return events;
  // A MEMBER gets warnings about apps it may see only (the developers subgraph's app visibility),
  // each app looked up once per subscription.
  const subject = context.caller.subject!;
  const seen = new Map<string, Promise<boolean>>();
  const visible = (id: string) => {
    let known = seen.get(id);
    if (!known) {
      known = context.em
        .getConnection()
        .execute<{ id: string }[]>(`${HIDDEN_APPS_SQL} and a.id = ?`, [organization, subject, subject, id])
        .then((rows) => rows.length === 0);
      seen.set(id, known);
    }
    return known;
  };
  return filterEvents(events, async (event) => !event.payload.appId || (await visible(event.payload.appId)));
}

/** The events of `source` that pass `keep`, in order; returning ends the source too. */
function filterEvents<T>(source: AsyncIterableIterator<T>, keep: (event: T) => Promise<boolean>): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const result = await source.next();
        if (result.done || (await keep(result.value))) return result;
      }
    },
    return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
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
    const role = await requireOrganizationReader(context, organizationId);
    checkAppId(appId);
    const memberSubject = seesEveryApp(role) ? null : context.caller.subject;
    return quotaWarningsHistory(context.em, { organizationId, appId, since, page, memberSubject });
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
