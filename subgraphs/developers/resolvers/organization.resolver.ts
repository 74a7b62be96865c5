import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { PageArgs, paginate } from '../../../common/relay';
import { searchPattern } from '../../../common/search';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { Team } from '../entities/team';
import { App } from '../entities/app';
import { Invitation, InvitationStatus } from '../entities/invitation';
import { isOrganizationAdmin, requireOrganizationAdmin, requireOrganizationMember, viewerRole } from '../services/authorize';
import {
  loadVisibleOrganization,
  organizationMembersLoader,
  requestTime,
  teamsByOrganizationLoader,
  visibleOrganizations,
  appVisibleCondition,
} from '../data/loaders';
import { invitationStatusCondition } from '../data/invitations';
import { developerMutation } from '../services/profile';
import { childConnection, readCursor } from '../data/pagination';
import { serviceOps } from '../../../common/ops';
import { createOrganization, SLUG_TAKEN } from '../services/organizations';
import { AppConnection } from './app.types';
import {
  CreateOrganizationInput,
  CreateOrganizationPayload,
  InvitationConnection,
  OrganizationConnection,
  OrganizationFilter,
} from './organization.types';

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => OrganizationConnection, {
    description:
      'Organizations the caller may see, oldest first. Portal admins see all; a signed-in developer sees the organizations they belong to (any status, so requesters see their PENDING requests). Anonymous callers get UNAUTHENTICATED.',
  })
  async organizations(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => OrganizationFilter, { nullable: true, description: 'Narrow the list.' }) filter: OrganizationFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    context.caller.requireAuthenticated();
    if (page.after) readCursor(page.after);
    const where: FilterQuery<Organization>[] = [visibleOrganizations(context)!];
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    const like = searchPattern(filter?.search);
    if (like) {
      where.push({ $or: [{ name: { $ilike: like } }, { slug: { $ilike: like } }] });
    }
    return paginate(context.em, Organization, { $and: where }, page);
  }

  @Query(() => Organization, {
    nullable: true,
    description: 'One organization by id. Its members and portal admins get it; everyone else gets null, whether or not it exists.',
  })
  async organization(
    @Arg('id', () => ID, { description: 'Organization id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<Organization | null> {
    return loadVisibleOrganization(context, id);
  }

  @FieldResolver(() => [OrganizationMember], {
    nullable: true,
    description:
      "Everyone who belongs to the organization, oldest first. Readable by the organization's ORG_ADMINs and portal admins; others get a FORBIDDEN error on this field.",
  })
  async members(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<OrganizationMember[]> {
    await requireOrganizationAdmin(context, organization.id);
    return organizationMembersLoader(context).load(organization.id);
  }

  @FieldResolver(() => [Team], {
    nullable: true,
    description:
      "The organization's teams, by name. Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
  })
  async teams(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<Team[]> {
    await requireOrganizationMember(context, organization.id);
    return teamsByOrganizationLoader(context).load(organization.id);
  }

  @FieldResolver(() => AppConnection, {
    nullable: true,
    description:
      "The organization's apps, oldest first: those the caller may see by each app's `visibility` (ORG_ADMINs and portal admins: all). Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
  })
  async apps(@Root() organization: Organization, @Args(() => PageArgs) page: PageArgs, @Ctx() context: SubgraphContext) {
    await requireOrganizationMember(context, organization.id);
    return childConnection<App>(
      context,
      { entity: App, table: 'developers.app', parentColumn: 'organization_id', where: appVisibleCondition(context, 't.id') },
      organization.id,
      page,
    );
  }

  @FieldResolver(() => InvitationConnection, {
    nullable: true,
    description:
      "Invitations to join the organization, oldest first. Readable by the organization's ORG_ADMINs and portal admins; others get a FORBIDDEN error on this field.",
  })
  async invitations(
    @Root() organization: Organization,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [InvitationStatus], { nullable: true, description: 'Only invitations with one of these statuses (default: all).' })
    status: InvitationStatus[] | null,
    @Ctx() context: SubgraphContext,
  ) {
    await requireOrganizationAdmin(context, organization.id);
    const where = status?.length ? invitationStatusCondition(status, requestTime(context)) : undefined;
    return childConnection<Invitation>(
      context,
      { entity: Invitation, table: 'developers.invitation', parentColumn: 'organization_id', where },
      organization.id,
      page,
    );
  }

  @FieldResolver(() => OrganizationRole, {
    nullable: true,
    description: "The caller's role in this organization; null when the caller is not a member (portal admins included).",
  })
  async viewerRole(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<OrganizationRole | null> {
    return viewerRole(context, organization.id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Token subject of whoever created (or requested) the organization. Portal admins only; null for everyone else.',
  })
  createdBy(@Root() organization: Organization, @Ctx() context: SubgraphContext): string | null {
    return context.caller.isPortalAdmin ? organization.createdBy : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Token subject of the portal admin who made the latest status decision (approval, rejection, suspension, reactivation, or creation). Readable by portal admins and the organization's ORG_ADMINs; null for everyone else and before any decision.",
  })
  async decidedBy(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<string | null> {
    return (await isOrganizationAdmin(context, organization.id)) ? organization.decidedBy : null;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description:
      "When the latest status decision was made. Readable by portal admins and the organization's ORG_ADMINs; null for everyone else and before any decision.",
  })
  async decidedAt(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<Date | null> {
    return (await isOrganizationAdmin(context, organization.id)) ? organization.decidedAt : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Reason given with the latest rejection or suspension. Readable by portal admins and the organization's ORG_ADMINs; null for everyone else and for approvals and reactivations.",
  })
  async decisionReason(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<string | null> {
    return (await isOrganizationAdmin(context, organization.id)) ? organization.decisionReason : null;
  }

  @Mutation(() => CreateOrganizationPayload, {
    description:
      'Creates an ACTIVE organization and, when `adminSubject` is given, makes that subject its ORG_ADMIN, in one transaction. Portal admins only.',
  })
  async createOrganization(
    @Arg('input', () => CreateOrganizationInput, { description: 'The organization to create.' }) input: CreateOrganizationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<CreateOrganizationPayload> {
    const createdBy = context.caller.requirePortalAdmin();
    return developerMutation<{ organization: Organization | null }>(
      context,
      (em) => createOrganization(serviceOps(context, em), createdBy, input),
      () => ({ organization: null }),
      { uniqueFields: SLUG_TAKEN },
    );
  }
}
