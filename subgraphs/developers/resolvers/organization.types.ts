/** GraphQL inputs, payloads, filter and connections of the organization operations. */
import { Field, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { connectionType } from '../../../common/relay';
import { SEARCH_RULE } from '../../../common/search';
import { Invitation } from '../entities/invitation';
import { Organization, OrganizationStatus } from '../entities/organization';

export const OrganizationConnection = connectionType(Organization, 'Organization', 'organization');
export const InvitationConnection = connectionType(Invitation, 'Invitation', 'invitation');

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
