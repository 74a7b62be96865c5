import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { userError, UserError, UserErrorException } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import {
  checkIdempotencyKey,
  firstResultGone,
  idempotencyKeyDescription,
  idempotentCall,
  runIdempotent,
} from '../../../common/idempotency';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { Developer } from '../entities/developer';
import { Team } from '../entities/team';
import { TeamMember } from '../entities/team-member';
import { developerBySubjectLoader, parentOrganization, teamMembersLoader } from '../data/loaders';
import { authorizeOrganization, authorizeTeam, requireActive } from '../services/authorize';
import { developerMutation } from '../profile';
import { payloadType } from '../../../common/payloads';
import { checkName, checkSubject } from '../validation';

@InputType({ description: 'A new team in an organization.' })
export class CreateTeamInput {
  @Field(() => ID, { description: 'Organization the team belongs to (must be ACTIVE).' })
  organizationId!: string;

  @Field(() => String, { description: 'Name, 1–120 characters, unique within the organization.' })
  name!: string;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same team, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'A member of the organization to add to one of its teams.' })
export class AddTeamMemberInput {
  @Field(() => ID, { description: 'Team id.' })
  teamId!: string;

  @Field(() => String, { description: "Token subject of the person to add; they must be a member of the team's organization." })
  subject!: string;
}

@InputType({ description: 'Someone to take out of a team.' })
export class RemoveTeamMemberInput {
  @Field(() => ID, { description: 'Team id.' })
  teamId!: string;

  @Field(() => String, { description: 'Token subject of the person to remove from the team.' })
  subject!: string;
}

@InputType({ description: 'Which team to delete.' })
export class DeleteTeamInput {
  @Field(() => ID, { description: 'Team id.' })
  id!: string;
}

export const CreateTeamPayload = payloadType('CreateTeamPayload', 'createTeam', 'team', Team, 'The new team');
export const AddTeamMemberPayload = payloadType('AddTeamMemberPayload', 'addTeamMember', 'team', Team, 'The team with its members');
export const RemoveTeamMemberPayload = payloadType(
  'RemoveTeamMemberPayload',
  'removeTeamMember',
  'team',
  Team,
  'The team with its members',
);

@ObjectType({ description: 'Result of `deleteTeam`.' })
export class DeleteTeamPayload {
  @Field(() => ID, { nullable: true, description: 'Id of the deleted team; null when `errors` is not empty.' })
  deletedTeamId!: string | null;

  @Field(() => Organization, { nullable: true, description: 'The organization the team belonged to; null when `errors` is not empty.' })
  organization!: Organization | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

type TeamResult = { team: Team | null };

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
      async (em) => {
        const { organization } = await authorizeOrganization(context, em, input.organizationId, OrganizationRole.ORG_ADMIN);
        const name = input.name.trim();
        const v = new Validation();
        checkName(v, name, 'input.name');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', context.caller.requireAuthenticated(), 'createTeam', input.idempotencyKey, {
          organizationId: organization.id,
          name,
        });
        return runIdempotent<TeamResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => {
            const team = await em.findOne(Team, { id: first.resultId }, { refresh: true });
            if (!team) throw firstResultGone('team');
            return { team };
          },
          resultOf: (result) => ({ id: result.team!.id }),
          run: async () => {
            requireActive(organization);
            const at = context.clock.now();
            const team = em.create(Team, { organization, name, createdAt: at, updatedAt: at });
            await em.flush();
            return { team };
          },
        });
      },
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
      async (em) => {
        const { team, organization } = await authorizeTeam(context, em, input.teamId, OrganizationRole.ORG_ADMIN);
        const subject = input.subject.trim();
        checkSubject(new Validation(), subject, 'input.subject').done();
        requireActive(organization);
        if (!(await em.findOne(OrganizationMember, { organization, subject }))) {
          throw new UserErrorException([
            userError('NOT_A_MEMBER', 'input.subject', "This subject is not a member of the team's organization: invite them first."),
          ]);
        }
        if (!(await em.findOne(TeamMember, { team, subject }))) {
          em.create(TeamMember, { team, subject });
          await em.flush();
        }
        return { team };
      },
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
      async (em) => {
        const { team } = await authorizeTeam(context, em, input.teamId, OrganizationRole.ORG_ADMIN);
        const subject = input.subject.trim();
        checkSubject(new Validation(), subject, 'input.subject').done();
        await em.nativeDelete(TeamMember, { team, subject });
        return { team };
      },
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
      async (em) => {
        const { team, organization } = await authorizeTeam(context, em, input.id, OrganizationRole.ORG_ADMIN, 'input.id');
        // team_member rows cascade; apps keep their organization and lose the team (on delete set null).
        await em.nativeDelete(Team, { id: team.id });
        return { deletedTeamId: team.id, organization };
      },
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
