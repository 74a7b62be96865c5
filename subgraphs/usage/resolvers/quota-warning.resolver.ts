import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { PageArgs, type ConnectionShape } from '../../../common/relay';
import { badInput } from '../../../common/errors';
import { parseEventCursor, type StoredEvent } from '../../../common/pubsub';
import type { SubgraphContext } from '../../../common/server';
import { QuotaWarning } from '../entities/quota-warning';
import { OrganizationRef, organizationRef } from '../entities/organization-ref';
import { isUuid } from '../../../common/ids';
import { requireOrganizationReader } from '../services/authorization';
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
  await requireOrganizationReader(context, organizationId);
  checkAppId(appId);
  const after = parseEventCursor(args.after);
  const organization = organizationId.toLowerCase();
  const app = appId ? appId.toLowerCase() : null;
  const match: Record<string, string> = app === null ? { organizationId: organization } : { organizationId: organization, appId: app };
  // With `after`: the stored warnings after that cursor, then live ones (no gap, no duplicate).
  // The subscription's own EntityManager (its context's) reads that history: no second fork to
  // keep for as long as it runs.
  return context.pubsub.subscribeFrom<QuotaWarningEvent>(context.em, QUOTA_WARNINGS_TOPIC, after, match);
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
    return quotaWarningsHistory(context.em, { organizationId, appId, since, page });
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
