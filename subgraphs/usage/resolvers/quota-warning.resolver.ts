import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { filter, pipe } from '@graphql-yoga/subscription';
import type { FilterQuery } from '@mikro-orm/core';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { badInput } from '../../../common/errors';
import type { SubgraphContext } from '../../../common/server';
import { QuotaWarning } from '../entities/quota-warning';
import { OrganizationRef, organizationRef } from '../entities/organization-ref';
import { isUuid, requireOrganizationReader } from '../membership';
import { QUOTA_WARNINGS_TOPIC, quotaWarningFromEvent, type QuotaWarningEvent } from '../warnings';

export const QuotaWarningConnection = connectionType(QuotaWarning, 'QuotaWarning', 'quota warning');

interface QuotaWarningsArgs {
  organizationId: string;
  appId?: string | null;
}

function checkAppId(appId: string | null | undefined): void {
  if (appId !== null && appId !== undefined && !isUuid(appId)) throw badInput('appId', 'Pass an app id (a UUID), or leave `appId` out for the whole organization.');
}

/**
 * Authorises at subscribe time — before anything is delivered — then streams only the
 * organization's (and, with `appId`, that app's) warnings. A refused subscription ends with a
 * single UNAUTHENTICATED / FORBIDDEN / BAD_USER_INPUT error result.
 */
async function subscribeQuotaWarnings({ args, context }: SubscribeResolverData<unknown, QuotaWarningsArgs, SubgraphContext>) {
  const { organizationId, appId } = args;
  await requireOrganizationReader(context, organizationId);
  checkAppId(appId);
  const organization = organizationId.toLowerCase();
  const app = appId ? appId.toLowerCase() : null;
  return pipe(
    context.pubsub.subscribe(QUOTA_WARNINGS_TOPIC) as AsyncIterable<QuotaWarningEvent>,
    filter((event: QuotaWarningEvent) => event.organizationId === organization && (app === null || event.appId === app)),
  );
}

@Resolver(() => QuotaWarning)
export class QuotaWarningResolver {
  @FieldResolver(() => OrganizationRef, { description: 'The organization whose quota the warning is about.' })
  organization(@Root() warning: QuotaWarning): OrganizationRef {
    return organizationRef(warning.organizationId);
  }

  @Query(() => QuotaWarningConnection, {
    description:
      'Quota warnings raised for an organization (optionally one app), oldest first. Members of that organization (any role) and portal admins may call it; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  // Parameters are listed in reverse of the schema's argument order (type-graphql registers
  // parameter decorators last-first): organizationId, appId, first, after.
  async quotaWarningsHistory(
    @Ctx() context: SubgraphContext,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('appId', () => ID, { nullable: true, description: 'Only warnings about this app of the organization; omit for all.' }) appId: string | null,
    @Arg('organizationId', () => ID, { description: 'Organization whose warnings to list.' }) organizationId: string,
  ) {
    await requireOrganizationReader(context, organizationId);
    checkAppId(appId);
    const where: FilterQuery<QuotaWarning> = appId ? { organizationId, appId } : { organizationId };
    return paginate(context.em, QuotaWarning, where, page);
  }

  @Subscription(() => QuotaWarning, {
    subscribe: subscribeQuotaWarnings as never,
    description:
      'Quota warnings of an organization (optionally one app) as they are raised. Members of that organization (any role) and portal admins may subscribe; access is checked when subscribing, and anyone else gets a single FORBIDDEN (anonymous: UNAUTHENTICATED) error and no events. Missed events can be read back with `quotaWarningsHistory`.',
  })
  quotaWarnings(
    @Root() event: QuotaWarningEvent,
    @Arg('appId', () => ID, { nullable: true, description: 'Only warnings about this app of the organization; omit for all.' }) _appId: string | null,
    @Arg('organizationId', () => ID, { description: 'Organization whose warnings to receive.' }) _organizationId: string,
  ): QuotaWarning {
    return quotaWarningFromEvent(event);
  }
}
