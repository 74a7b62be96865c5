import { Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { Developer } from '../entities/developer';
import { Invitation, InvitationStatus } from '../entities/invitation';
import { OrganizationStatus } from '../entities/organization';
import { developerBySubjectLoader, requestTime, verifiedEmail, viewerMembershipLoader } from '../data/loaders';

@ObjectType({ description: "The caller's membership of one organization." })
export class OrganizationMembership {
  @Field(() => Organization, { description: 'The organization.' })
  organization!: Organization;

  @Field(() => OrganizationRole, { description: "The caller's role in it." })
  role!: OrganizationRole;

  @Field(() => Date, { description: 'When the caller joined it.' })
  since!: Date;
}

@ObjectType({ description: 'The signed-in caller, as the token describes them, and the organizations they belong to.' })
export class Viewer {
  @Field(() => ID, {
    description:
      'Identity of the caller: the token subject, the same value as `subject`. Client caches normalise `viewer` by it (Apollo Client and graphcache need no configuration for it), so two queries that select different fields of `viewer` fill one cached object.',
  })
  id!: string;

  @Field(() => String, { description: 'Token subject (`sub` claim).' })
  subject!: string;

  @Field(() => String, { nullable: true, description: 'Email address from the token, when it has one.' })
  email!: string | null;

  @Field(() => [String], { description: 'Platform roles from the token (e.g. `portal_admin`). Organization roles are in `memberships`.' })
  roles!: string[];

  @Field(() => Boolean, { description: 'True when the caller is a portal admin.' })
  isPortalAdmin!: boolean;
}

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { nullable: true, description: 'The caller. Anyone may ask; null for anonymous callers.' })
  viewer(@Ctx() context: SubgraphContext): Viewer | null {
    const { caller } = context;
    if (caller.subject === null) return null;
    return Object.assign(new Viewer(), {
      id: caller.subject,
      subject: caller.subject,
      email: caller.email,
      roles: [...caller.roles].sort(),
      isPortalAdmin: caller.isPortalAdmin,
    });
  }

  @FieldResolver(() => [OrganizationMembership], {
    description: 'Organizations the caller belongs to (any status), with their role, oldest membership first.',
  })
  async memberships(@Root() viewer: Viewer, @Ctx() context: SubgraphContext): Promise<OrganizationMembership[]> {
    if (viewer.subject !== context.caller.subject) return [];
    const rows = await context.em.find(
      OrganizationMember,
      { subject: viewer.subject },
      { populate: ['organization'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    // The caller's own role per organization is now known: `organization { viewerRole }` needs no more SQL.
    const loader = viewerMembershipLoader(context);
    for (const row of rows) loader.prime(row.organization.id, row);
    return rows.map((row: OrganizationMember) =>
      Object.assign(new OrganizationMembership(), { organization: row.organization, role: row.role, since: row.createdAt }),
    );
  }

  @FieldResolver(() => Developer, {
    nullable: true,
    description: "The caller's profile; null until they register (`registerDeveloper`) or make their first change.",
  })
  developer(@Root() viewer: Viewer, @Ctx() context: SubgraphContext): Promise<Developer | null> | null {
    if (viewer.subject !== context.caller.subject) return null;
    return developerBySubjectLoader(context, 'viewer').load(viewer.subject);
  }

  @FieldResolver(() => [Invitation], {
    description:
      "PENDING, unexpired invitations into ACTIVE organizations for the caller's token email (case-insensitive), oldest first; empty when the token has no email or marks it unverified.",
  })
  async pendingInvitations(@Root() viewer: Viewer, @Ctx() context: SubgraphContext): Promise<Invitation[]> {
    const email = verifiedEmail(context.caller);
    if (viewer.subject !== context.caller.subject || email === null) return [];
    return context.em.find(
      Invitation,
      {
        email,
        status: InvitationStatus.PENDING,
        expiresAt: { $gt: requestTime(context) },
        organization: { status: OrganizationStatus.ACTIVE },
      },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }
}
