/** GraphQL inputs and payloads of the team operations. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { Organization } from '../entities/organization';
import { Team } from '../entities/team';

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
