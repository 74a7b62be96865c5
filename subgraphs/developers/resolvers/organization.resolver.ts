import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import { UserError } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { Organization, OrganizationStatus } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { loadVisibleOrganization, organizationMembersLoader, requireOrganizationAdmin, viewerRole, visibleOrganizations } from '../access';

export const OrganizationConnection = connectionType(Organization, 'Organization', 'organization');

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = 64;
export const MAX_NAME_LENGTH = 120;
export const MAX_SUBJECT_LENGTH = 255;

@InputType({ description: 'Filters for `organizations`.' })
export class OrganizationFilter {
  @Field(() => [OrganizationStatus], { nullable: true, description: 'Only organizations with one of these statuses.' })
  status?: OrganizationStatus[] | null;

  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of the name or slug.' })
  search?: string | null;
}

@InputType({ description: 'A new organization, created by a portal admin.' })
export class CreateOrganizationInput {
  @Field(() => String, { description: 'Display name, 1–120 characters.' })
  name!: string;

  @Field(() => String, { description: 'Unique URL-safe slug: lowercase letters, digits and single hyphens, at most 64 characters (`acme-corp`).' })
  slug!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Token subject (`sub` claim) of the person who administers the organization; they become its ORG_ADMIN. Omit to add members later.',
  })
  adminSubject?: string | null;
}

@ObjectType({ description: 'Result of `createOrganization`.' })
export class CreateOrganizationPayload {
  @Field(() => Organization, { nullable: true, description: 'The new organization; null when `errors` is not empty.' })
  organization!: Organization | null;

  @Field(() => [UserError], { description: 'Why nothing was created; empty on success.' })
  errors!: UserError[];
}

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => OrganizationConnection, {
    description:
      'Organizations the caller may see, oldest first. Portal admins see all; a signed-in developer sees the organizations they belong to. Anonymous callers get UNAUTHENTICATED.',
  })
  async organizations(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => OrganizationFilter, { nullable: true, description: 'Narrow the list.' }) filter: OrganizationFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    context.caller.requireAuthenticated();
    const where: FilterQuery<Organization>[] = [visibleOrganizations(context)!];
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    if (filter?.search) {
      const like = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push({ $or: [{ name: { $ilike: like } }, { slug: { $ilike: like } }] });
    }
    return paginate(context.em, Organization, { $and: where }, page);
  }

  @Query(() => Organization, {
    nullable: true,
    description:
      'One organization by id. Its members and portal admins get it; everyone else gets null, whether or not it exists.',
  })
  async organization(
    @Arg('id', () => ID, { description: 'Organization id.' }) id: string,
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

  @FieldResolver(() => OrganizationRole, {
    nullable: true,
    description: "The caller's role in this organization; null when the caller is not a member (portal admins included).",
  })
  async viewerRole(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<OrganizationRole | null> {
    return viewerRole(context, organization.id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Token subject of whoever created the organization. Portal admins only; null for everyone else.',
  })
  createdBy(@Root() organization: Organization, @Ctx() context: SubgraphContext): string | null {
    return context.caller.isPortalAdmin ? organization.createdBy : null;
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
    return runMutation<{ organization: Organization | null }>(
      context,
      async (em) => {
        const name = input.name.trim();
        const slug = input.slug.trim();
        const adminSubject = input.adminSubject === null || input.adminSubject === undefined ? null : input.adminSubject.trim();
        new Validation()
          .check(
            name.length >= 1 && name.length <= MAX_NAME_LENGTH,
            'input.name',
            `Give a name of 1 to ${MAX_NAME_LENGTH} characters.`,
          )
          .check(
            SLUG_PATTERN.test(slug) && slug.length <= MAX_SLUG_LENGTH,
            'input.slug',
            `Use lowercase letters, digits and single hyphens, at most ${MAX_SLUG_LENGTH} characters (e.g. \`acme-corp\`).`,
          )
          .check(
            adminSubject === null || (adminSubject.length >= 1 && adminSubject.length <= MAX_SUBJECT_LENGTH),
            'input.adminSubject',
            `Give the admin's token subject (1 to ${MAX_SUBJECT_LENGTH} characters), or leave it out.`,
          )
          .done();
        const organization = em.create(Organization, { name, slug, status: OrganizationStatus.ACTIVE, createdBy });
        if (adminSubject !== null) {
          em.create(OrganizationMember, { organization, subject: adminSubject, role: OrganizationRole.ORG_ADMIN });
        }
        await em.flush();
        return { organization };
      },
      () => ({ organization: null }),
      {
        uniqueFields: {
          organization_slug_key: { field: 'input.slug', message: 'An organization with this slug exists already: choose another slug.' },
        },
      },
    );
  }
}
