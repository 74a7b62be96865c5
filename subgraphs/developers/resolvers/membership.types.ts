/** GraphQL inputs and payloads of the membership operations: invitations, roles, removal. */
import { Field, ID, InputType } from 'type-graphql';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { Invitation } from '../entities/invitation';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';

@InputType({ description: 'Who to invite into which organization, with which role.' })
export class InviteMemberInput {
  @Field(() => ID, { description: 'Organization to invite into (must be ACTIVE).' })
  organizationId!: string;

  @Field(() => String, { description: 'Email address of the invitee; whoever signs in with it may accept (matched case-insensitively).' })
  email!: string;

  @Field(() => OrganizationRole, { description: 'Role the invitee gets on accepting.' })
  role!: OrganizationRole;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same invitation, as it is now (an invitation carries no token: the invitee accepts it by signing in with the email address; the address is compared case-insensitively)',
    ),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which invitation to accept.' })
export class AcceptInvitationInput {
  @Field(() => ID, { description: 'Invitation id.' })
  invitationId!: string;
}

@InputType({ description: 'Which invitation to revoke.' })
export class RevokeInvitationInput {
  @Field(() => ID, { description: 'Invitation id.' })
  invitationId!: string;
}

@InputType({ description: "A member's new role." })
export class SetMemberRoleInput {
  @Field(() => ID, { description: 'Organization id.' })
  organizationId!: string;

  @Field(() => String, { description: 'Token subject of the member.' })
  subject!: string;

  @Field(() => OrganizationRole, { description: 'The role to give them.' })
  role!: OrganizationRole;
}

@InputType({ description: 'Which member to remove from which organization.' })
export class RemoveMemberInput {
  @Field(() => ID, { description: 'Organization id.' })
  organizationId!: string;

  @Field(() => String, { description: 'Token subject of the member to remove.' })
  subject!: string;
}

export const InviteMemberPayload = payloadType(
  'InviteMemberPayload',
  'inviteMember',
  'invitation',
  Invitation,
  'The new PENDING invitation',
);
export const AcceptInvitationPayload = payloadType(
  'AcceptInvitationPayload',
  'acceptInvitation',
  'invitation',
  Invitation,
  'The ACCEPTED invitation',
);
export const RevokeInvitationPayload = payloadType(
  'RevokeInvitationPayload',
  'revokeInvitation',
  'invitation',
  Invitation,
  'The REVOKED invitation',
);
export const SetMemberRolePayload = payloadType(
  'SetMemberRolePayload',
  'setMemberRole',
  'member',
  OrganizationMember,
  'The membership with its new role',
);
export const RemoveMemberPayload = payloadType(
  'RemoveMemberPayload',
  'removeMember',
  'organization',
  Organization,
  'The organization the member left',
);
