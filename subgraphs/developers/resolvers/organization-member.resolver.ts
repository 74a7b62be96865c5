import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { wrap } from '@mikro-orm/core';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import { OrganizationMember } from '../entities/organization-member';
import { Developer } from '../entities/developer';
import { developerBySubjectLoader, loadVisibleOrganization } from '../data/loaders';

@Resolver(() => OrganizationMember)
export class OrganizationMemberResolver {
  @FieldResolver(() => Organization, { description: 'The organization the member belongs to.' })
  async organization(@Root() member: OrganizationMember, @Ctx() context: SubgraphContext): Promise<Organization | null> {
    // Members are only listed to callers who may see their organization, which is then
    // already loaded in this request's identity map; otherwise load it (batched).
    if (wrap(member.organization).isInitialized()) return member.organization;
    return loadVisibleOrganization(context, member.organization.id);
  }

  @FieldResolver(() => Developer, { nullable: true, description: "The member's profile; null until they have one." })
  developer(@Root() member: OrganizationMember, @Ctx() context: SubgraphContext): Promise<Developer | null> {
    return developerBySubjectLoader(context, 'member').load(member.subject);
  }
}
