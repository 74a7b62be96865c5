import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import { checkIdempotencyKey, idempotencyKeyDescription, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { SEARCH_RULE, searchPattern } from '../../../common/search';
import type { SubgraphContext } from '../../../common/server';
import { Organization, OrganizationStatus } from '../entities/organization';
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
} from '../data/loaders';
import { developerMutation } from '../profile';
import { childConnection, readCursor, type SqlCondition } from '../pagination';
import { checkName, checkSlug, checkSubject, MAX_NAME_LENGTH, MAX_SLUG_LENGTH, MAX_SUBJECT_LENGTH, SLUG_PATTERN } from '../validation';
import { AppConnection } from './app.types';

export { SLUG_PATTERN, MAX_SLUG_LENGTH, MAX_NAME_LENGTH, MAX_SUBJECT_LENGTH };

export const OrganizationConnection = connectionType(Organization, 'Organization', 'organization');
export const InvitationConnection = connectionType(Invitation, 'Invitation', 'invitation');

/** The constraint behind "slug taken", for `runMutation`'s `uniqueFields`. */
export const SLUG_TAKEN = {
  organization_slug_key: { field: 'input.slug', message: 'An organization with this slug exists already: choose another slug.' },
};

@InputType({ description: 'Filters for `organizations`.' })
export class OrganizationFilter {
  @Field(() => [OrganizationStatus], { nullable: true, description: 'Only organizations with one of these statuses.' })
  status?: OrganizationStatus[] | null;

  @Field(() => String, { nullable: true, description: `Only organizations whose name or slug contains this text (${SEARCH_RULE}).` })
  search?: string | null;
}

@InputType({ description: 'A new organization, created by a portal admin.' })
export class CreateOrganizationInput {
  @Field(() => String, { description: 'Display name, 1–120 characters.' })
  name!: string;

  @Field(() => String, {
    description: 'Unique URL-safe slug: lowercase letters, digits and single hyphens, at most 64 characters (`acme-corp`).',
  })
  slug!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Token subject (`sub` claim) of the person who administers the organization; they become its ORG_ADMIN. Omit to add members later.',
  })
  adminSubject?: string | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same organization, as it is now') })
  idempotencyKey?: string | null;
}

@ObjectType({ description: 'Result of `createOrganization`.' })
export class CreateOrganizationPayload {
  @Field(() => Organization, { nullable: true, description: 'The new organization; null when `errors` is not empty.' })
  organization!: Organization | null;

  @Field(() => [UserError], { description: 'Why nothing was created; empty on success.' })
  errors!: UserError[];
}

/** SQL for "effective status in …" on `developers.invitation t` (PENDING past expiry is EXPIRED). */
export function invitationStatusCondition(statuses: InvitationStatus[], at: Date): SqlCondition {
  const unique = [...new Set(statuses)].sort();
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const status of unique) {
    if (status === InvitationStatus.PENDING) {
      parts.push(`(t.status = 'PENDING' and t.expires_at > ?)`);
      params.push(at);
    } else if (status === InvitationStatus.EXPIRED) {
      parts.push(`(t.status = 'EXPIRED' or (t.status = 'PENDING' and t.expires_at <= ?))`);
      params.push(at);
    } else {
      parts.push(`t.status = ?`);
      params.push(status);
    }
  }
  return { key: unique.join(','), sql: parts.length ? parts.join(' or ') : 'true', params };
}

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
      "The organization's apps, oldest first. Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
  })
  async apps(@Root() organization: Organization, @Args(() => PageArgs) page: PageArgs, @Ctx() context: SubgraphContext) {
    await requireOrganizationMember(context, organization.id);
    return childConnection<App>(context, { entity: App, table: 'developers.app', parentColumn: 'organization_id' }, organization.id, page);
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
      async (em) => {
        const name = input.name.trim();
        const slug = input.slug.trim();
        const adminSubject = input.adminSubject === null || input.adminSubject === undefined ? null : input.adminSubject.trim();
        const v = new Validation();
        checkName(v, name, 'input.name');
        checkSlug(v, slug, 'input.slug');
        if (adminSubject !== null) checkSubject(v, adminSubject, 'input.adminSubject');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', createdBy, 'createOrganization', input.idempotencyKey, {
          name,
          slug,
          adminSubject,
        });
        return runIdempotent<{ organization: Organization | null }>(em, idempotency, context.clock.now(), {
          replay: async (first) => ({ organization: await em.findOneOrFail(Organization, { id: first.resultId }, { refresh: true }) }),
          resultOf: (result) => ({ id: result.organization!.id }),
          run: async () => {
            const at = context.clock.now();
            const organization = em.create(Organization, {
              name,
              slug,
              status: OrganizationStatus.ACTIVE,
              createdBy,
              decidedBy: createdBy,
              decidedAt: at,
              createdAt: at,
              updatedAt: at,
            });
            if (adminSubject !== null) {
              em.create(OrganizationMember, { organization, subject: adminSubject, role: OrganizationRole.ORG_ADMIN });
            }
            await em.flush();
            return { organization };
          },
        });
      },
      () => ({ organization: null }),
      { uniqueFields: SLUG_TAKEN },
    );
  }
}
