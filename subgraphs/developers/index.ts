import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Organization } from './entities/organization';
import { OrganizationMember } from './entities/organization-member';
import { migrations } from './migrations';
import { OrganizationResolver } from './resolvers/organization.resolver';
import { OrganizationMemberResolver } from './resolvers/organization-member.resolver';
import { ViewerResolver } from './resolvers/viewer.resolver';
import { resolveOrganizationReference } from './organization.reference';

/** The developers subgraph: who uses the portal (viewer), their organizations and memberships. */
export const developersSubgraph: SubgraphModule = {
  name: 'developers',
  entities: [Organization, OrganizationMember],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [ViewerResolver, OrganizationResolver, OrganizationMemberResolver],
      references: { Organization: resolveOrganizationReference as never },
    }),
};
