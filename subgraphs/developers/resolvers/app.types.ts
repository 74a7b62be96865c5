/** GraphQL inputs, payloads, filter and connection of the app operations. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { connectionType } from '../../../common/relay';
import { SEARCH_RULE } from '../../../common/search';
import { App, AppVisibility } from '../entities/app';
import { Organization } from '../entities/organization';

export const AppConnection = connectionType(App, 'App', 'app');

@InputType({ description: 'Filters for `apps`.' })
export class AppFilter {
  @Field(() => ID, { nullable: true, description: 'Only apps of this organization.' })
  organizationId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only apps of this team.' })
  teamId?: string | null;

  @Field(() => String, { nullable: true, description: `Only apps whose name contains this text (${SEARCH_RULE}).` })
  search?: string | null;
}

@InputType({ description: 'A new app of an organization.' })
export class CreateAppInput {
  @Field(() => ID, { description: 'Organization that owns the app (must be ACTIVE).' })
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'Team of that organization the app belongs to; omit for none.' })
  teamId?: string | null;

  @Field(() => String, { description: 'Name, 1–120 characters, unique (case-insensitively) within the organization.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the app does, at most 2000 characters.' })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'OAuth redirect URIs: absolute `https` URLs (or `http` for localhost / 127.0.0.1), without fragments; at most 10.',
  })
  redirectUris?: string[] | null;

  @Field(() => AppVisibility, {
    nullable: true,
    description:
      'Which members may see and use the app (default ORGANIZATION). TEAM needs `teamId` (else VISIBILITY_NEEDS_TEAM on `input.teamId`).',
  })
  visibility?: AppVisibility | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same app, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Changes to an app; omitted fields keep their value.' })
export class UpdateAppInput {
  @Field(() => ID, { description: 'App id.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, 1–120 characters, unique (case-insensitively) within the organization.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description, at most 2000 characters.' })
  description?: string | null;

  @Field(() => [String], { nullable: true, description: 'New redirect URIs (replace the old list); same rules as in `createApp`.' })
  redirectUris?: string[] | null;

  @Field(() => ID, {
    nullable: true,
    description: "New team (of the app's organization); pass null to take the app out of its team, omit to keep it.",
  })
  teamId?: string | null;

  @Field(() => AppVisibility, {
    nullable: true,
    description:
      'New visibility; omit to keep it. TEAM needs the app to be in a team (VISIBILITY_NEEDS_TEAM otherwise), and a TEAM app cannot be taken out of its team.',
  })
  visibility?: AppVisibility | null;
}

@InputType({ description: 'Which app to delete.' })
export class DeleteAppInput {
  @Field(() => ID, { description: 'App id.' })
  id!: string;
}

export const CreateAppPayload = payloadType('CreateAppPayload', 'createApp', 'app', App, 'The new app');
export const UpdateAppPayload = payloadType('UpdateAppPayload', 'updateApp', 'app', App, 'The changed app');

@ObjectType({ description: 'Result of `deleteApp`.' })
export class DeleteAppPayload {
  @Field(() => ID, { nullable: true, description: 'Id of the deleted app; null when `errors` is not empty.' })
  deletedAppId!: string | null;

  @Field(() => Organization, { nullable: true, description: 'The organization the app belonged to; null when `errors` is not empty.' })
  organization!: Organization | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}
