import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { visibleCatalogIds } from '../../../common/audience';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { serviceOps } from '../../../common/ops';
import { PageArgs } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { AccessRequest } from '../entities/access-request';
import { App } from '../entities/app';
import { Credential } from '../entities/credential';
import { PlanRef, planRef } from '../entities/refs';
import { UpgradeOffer, UpgradeOfferStatus, effectiveOfferStatus } from '../entities/upgrade-offer';
import {
  appVisibleCondition,
  bothConditions,
  loadVisibleAccessRequest,
  loadVisibleCredential,
  requestTime,
  visibleAppLoader,
} from '../data/loaders';
import { childConnection, type SqlCondition } from '../data/pagination';
import { requireOrganizationMember } from '../services/authorize';
import { developerMutation } from '../services/profile';
import { acceptUpgradeOffer, declineUpgradeOffer, type OfferResult } from '../services/upgrade-offers';
import { AcceptUpgradeOfferInput, DeclineUpgradeOfferInput, UpgradeOfferConnection, UpgradeOfferPayload } from './upgrade-offer.types';

/** Offers with one of these effective statuses at `now` (an OPEN offer past its expiry is EXPIRED). */
function statusCondition(statuses: UpgradeOfferStatus[] | null, now: Date): SqlCondition | undefined {
  if (!statuses?.length) return undefined;
  const at = now.toISOString();
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const status of [...new Set(statuses)].sort()) {
    if (status === UpgradeOfferStatus.OPEN) {
      parts.push(`(t.status = 'OPEN' and t.expires_at > ?::timestamptz)`);
      params.push(at);
    } else if (status === UpgradeOfferStatus.EXPIRED) {
      parts.push(`(t.status = 'EXPIRED' or (t.status = 'OPEN' and t.expires_at <= ?::timestamptz))`);
      params.push(at);
    } else {
      parts.push(`t.status = ?`);
      params.push(status);
    }
  }
  return { key: `offer-status:${[...new Set(statuses)].sort().join(',')}:${at}`, sql: parts.join(' or '), params };
}

@Resolver(() => UpgradeOffer)
export class UpgradeOfferResolver {
  @Query(() => UpgradeOfferConnection, {
    description:
      'Upgrade offers made to an organization, oldest first: the next tier for apps whose usage is projected to pass their plan’s quota. Members (any role) of the organization (offers for the apps they may see, `App.visibility`) and portal admins; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  // Parameters in reverse of the schema's argument order.
  async upgradeOffers(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [UpgradeOfferStatus], { nullable: true, description: 'Only offers with one of these statuses (default: all).' })
    status: UpgradeOfferStatus[] | null,
    @Arg('organizationId', () => ID, { description: 'The organization whose offers to list.' }) organizationId: string,
    @Ctx() context: SubgraphContext,
  ) {
    if (!isUuid(organizationId)) throw badInput('organizationId', 'Pass an organization id (a UUID).');
    const id = organizationId.toLowerCase();
    await requireOrganizationMember(context, id);
    const visible = appVisibleCondition(context, 't.app_id');
    const byStatus = statusCondition(status, requestTime(context));
    return childConnection<UpgradeOffer>(
      context,
      {
        entity: UpgradeOffer,
        table: 'developers.upgrade_offer',
        parentColumn: 'organization_id',
        where: bothConditions(byStatus, visible),
      },
      id,
      page,
    );
  }

  @Mutation(() => UpgradeOfferPayload, {
    description:
      'Accepts an OPEN upgrade offer: requests the offered plan for the app’s credential (a PLAN_CHANGE through `requestAccess` that keeps the credential, its id and secret; approved at once under an auto-approve plan, otherwise PENDING for a portal admin). ORG_ADMINs of the offer’s organization only — portal admins cannot consent for an organization (FORBIDDEN). OFFER_EXPIRED after `expiresAt`, OFFER_STALE when the credential left the plan, and the refusals of `requestAccess`. Accepting it again returns it unchanged.',
  })
  async acceptUpgradeOffer(
    @Arg('input', () => AcceptUpgradeOfferInput, { description: 'The offer.' }) input: AcceptUpgradeOfferInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OfferResult> {
    const subject = context.caller.requireAuthenticated();
    // Read before the transaction (as requestAccess does).
    const callerCatalogs = context.caller.isPortalAdmin ? null : await visibleCatalogIds(context);
    return developerMutation<OfferResult>(
      context,
      (em, developer) =>
        acceptUpgradeOffer(serviceOps(context, em), context.caller, { subject, requestedBy: developer.subject, callerCatalogs }, input),
      () => ({ upgradeOffer: null, accessRequest: null }),
    );
  }

  @Mutation(() => UpgradeOfferPayload, {
    description:
      'Declines an OPEN upgrade offer; nothing changes. Members (any role) of the offer’s organization who may see its app; everyone else (portal admins included) FORBIDDEN. Declining it again returns it unchanged.',
  })
  async declineUpgradeOffer(
    @Arg('input', () => DeclineUpgradeOfferInput, { description: 'The offer.' }) input: DeclineUpgradeOfferInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OfferResult> {
    return developerMutation<OfferResult>(
      context,
      (em) => declineUpgradeOffer(serviceOps(context, em), context.caller, input),
      () => ({ upgradeOffer: null, accessRequest: null }),
    );
  }

  @FieldResolver(() => UpgradeOfferStatus, {
    description: 'OPEN, ACCEPTED, DECLINED or EXPIRED (an OPEN offer past `expiresAt` reads EXPIRED).',
  })
  status(@Root() offer: UpgradeOffer, @Ctx() context: SubgraphContext): UpgradeOfferStatus {
    return effectiveOfferStatus(offer, requestTime(context));
  }

  @FieldResolver(() => App, { nullable: true, description: 'The app the offer is for (null when the caller may not see it).' })
  app(@Root() offer: UpgradeOffer, @Ctx() context: SubgraphContext): Promise<App | null> {
    return visibleAppLoader(context).load(offer.appId);
  }

  @FieldResolver(() => Credential, {
    nullable: true,
    description: 'The credential whose plan would change (null when the caller may not see it).',
  })
  credential(@Root() offer: UpgradeOffer, @Ctx() context: SubgraphContext): Promise<Credential | null> {
    return loadVisibleCredential(context, offer.credentialId);
  }

  @FieldResolver(() => PlanRef, { description: 'The plan the app is on (the one projected to run out).' })
  fromPlan(@Root() offer: UpgradeOffer): PlanRef {
    return planRef(offer.fromPlanId);
  }

  @FieldResolver(() => PlanRef, {
    description: 'The plan offered: the next tier (select its name, quota and rate limit through the gateway).',
  })
  toPlan(@Root() offer: UpgradeOffer): PlanRef {
    return planRef(offer.toPlanId);
  }

  @FieldResolver(() => AccessRequest, { nullable: true, description: 'The plan-change request an acceptance made; null otherwise.' })
  accessRequest(@Root() offer: UpgradeOffer, @Ctx() context: SubgraphContext): Promise<AccessRequest | null> | null {
    return offer.accessRequestId ? loadVisibleAccessRequest(context, offer.accessRequestId) : null;
  }
}
