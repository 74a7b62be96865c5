import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import { Developer } from '../entities/developer';
import { Team } from '../entities/team';
import { TeamMember } from '../entities/team-member';
import { developerBySubjectLoader, parentOrganization, teamMembersLoader } from '../data/loaders';
import { developerMutation } from '../services/profile';
import { serviceOps } from '../../../common/ops';
import { addTeamMember, createTeam, deleteTeam, removeTeamMember, type TeamResult } from '../services/teams';
import {
  AddTeamMemberInput,
  AddTeamMemberPayload,
  CreateTeamInput,
  CreateTeamPayload,
  DeleteTeamInput,
  DeleteTeamPayload,
  RemoveTeamMemberInput,
  RemoveTeamMemberPayload,
} from './team.types';

@Resolver(() => Team)
export class TeamResolver {
  @FieldResolver(() => Organization, { description: 'The organization the team belongs to.' })
  async organization(@Root() team: Team, @Ctx() context: SubgraphContext): Promise<Organization> {
    return parentOrganization(context, team.organization, 'team');
  }

  @FieldResolver(() => [TeamMember], { description: 'Who is in the team, earliest added first. Readable by whoever may see the team.' })
  members(@Root() team: Team, @Ctx() context: SubgraphContext): Promise<TeamMember[]> {
    return teamMembersLoader(context).load(team.id);
  }

  @Mutation(() => CreateTeamPayload, {
    description: 'Creates a team in an ACTIVE organization. ORG_ADMINs of the organization and portal admins.',
  })
  async createTeam(
    @Arg('input', () => CreateTeamInput, { description: 'The team to create.' }) input: CreateTeamInput,
    @Ctx() context: SubgraphContext,
  ): Promise<TeamResult> {
    return developerMutation<TeamResult>(
      context,
      (em) => createTeam(serviceOps(context, em), context.caller, input),
      () => ({ team: null }),
      {
        uniqueFields: {
          team_organization_name_key: {
            field: 'input.name',
            message: 'The organization has a team with this name already: choose another name.',
          },
        },
      },
    );
  }

  @Mutation(() => AddTeamMemberPayload, {
    description:
      "Adds a member of the team's ACTIVE organization to the team (NOT_A_MEMBER for anyone else). Adding someone who is in the team already changes nothing. ORG_ADMINs of the organization and portal admins.",
  })
  async addTeamMember(
    @Arg('input', () => AddTeamMemberInput, { description: 'The team and the member to add.' }) input: AddTeamMemberInput,
    @Ctx() context: SubgraphContext,
  ): Promise<TeamResult> {
    return developerMutation<TeamResult>(
      context,
      (em) => addTeamMember(serviceOps(context, em), context.caller, input),
      () => ({ team: null }),
      // A concurrent add of the same person: the other request added them.
      { uniqueFields: { team_member_key: { field: 'input.subject', message: 'This member was just added to the team by someone else.' } } },
    );
  }

  @Mutation(() => RemoveTeamMemberPayload, {
    description:
      'Takes someone out of a team. Removing someone who is not in the team changes nothing. ORG_ADMINs of the organization and portal admins.',
  })
  async removeTeamMember(
    @Arg('input', () => RemoveTeamMemberInput, { description: 'The team and the member to remove.' }) input: RemoveTeamMemberInput,
    @Ctx() context: SubgraphContext,
  ): Promise<TeamResult> {
    return developerMutation<TeamResult>(
      context,
      (em) => removeTeamMember(serviceOps(context, em), context.caller, input),
      () => ({ team: null }),
    );
  }

  @Mutation(() => DeleteTeamPayload, {
    description:
      "Deletes a team and its memberships; the team's apps stay in the organization without a team. ORG_ADMINs of the organization and portal admins.",
  })
  async deleteTeam(
    @Arg('input', () => DeleteTeamInput, { description: 'The team to delete.' }) input: DeleteTeamInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DeleteTeamPayload> {
    return developerMutation<{ deletedTeamId: string | null; organization: Organization | null }>(
      context,
      (em) => deleteTeam(serviceOps(context, em), context.caller, input),
      () => ({ deletedTeamId: null, organization: null }),
    );
  }
}

@Resolver(() => TeamMember)
export class TeamMemberResolver {
  @FieldResolver(() => Developer, { nullable: true, description: "The member's profile; null until they have one." })
  developer(@Root() member: TeamMember, @Ctx() context: SubgraphContext): Promise<Developer | null> {
    return developerBySubjectLoader(context, 'teamMember').load(member.subject);
  }
}
