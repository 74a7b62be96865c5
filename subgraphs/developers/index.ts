import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Organization } from './entities/organization';
import { OrganizationMember } from './entities/organization-member';
import { Developer } from './entities/developer';
import { Invitation } from './entities/invitation';
import { Team } from './entities/team';
import { TeamMember } from './entities/team-member';
import { App } from './entities/app';
import { migrations } from './migrations';
import { OrganizationResolver } from './resolvers/organization.resolver';
import { OrganizationLifecycleResolver } from './resolvers/organization-lifecycle.resolver';
import { OrganizationMemberResolver } from './resolvers/organization-member.resolver';
import { MembershipResolver } from './resolvers/membership.resolver';
import { DeveloperResolver } from './resolvers/developer.resolver';
import { TeamMemberResolver, TeamResolver } from './resolvers/team.resolver';
import { AppResolver } from './resolvers/app.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { resolveOrganizationReference } from './organization.reference';
import { resolveDeveloperReference } from './developer.reference';
import { resolveTeamReference } from './team.reference';
import { resolveAppReference } from './app.reference';
import { resolveInvitationReference } from './invitation.reference';

/**
 * The developers subgraph: who uses the portal (viewer, developer profiles), their
 * organizations (requested, approved, suspended), memberships and invitations, teams, and apps.
 */
export const developersSubgraph: SubgraphModule = {
  name: 'developers',
  entities: [Organization, OrganizationMember, Developer, Invitation, Team, TeamMember, App],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [
        ViewerResolver,
        DeveloperResolver,
        OrganizationResolver,
        OrganizationLifecycleResolver,
        OrganizationMemberResolver,
        MembershipResolver,
        TeamResolver,
        TeamMemberResolver,
        AppResolver,
      ],
      references: {
        Organization: resolveOrganizationReference as never,
        Developer: resolveDeveloperReference as never,
        Team: resolveTeamReference as never,
        App: resolveAppReference as never,
        Invitation: resolveInvitationReference as never,
      },
    }),
};
