import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import type { OrganizationMember } from '../entities/organization-member';
import { Developer } from '../entities/developer';
import { Invitation, InvitationStatus, effectiveStatus } from '../entities/invitation';
import { developerBySubjectLoader, parentOrganization, requestTime } from '../data/loaders';
import { developerMutation } from '../services/profile';
import {
  acceptInvitation,
  inviteMember,
  removeMember,
  revokeInvitation,
  setMemberRole,
  type InvitationResult,
} from '../services/memberships';
import { serviceOps } from '../../../common/ops';
import {
  AcceptInvitationInput,
  AcceptInvitationPayload,
  InviteMemberInput,
  InviteMemberPayload,
  RemoveMemberInput,
  RemoveMemberPayload,
  RevokeInvitationInput,
  RevokeInvitationPayload,
  SetMemberRoleInput,
  SetMemberRolePayload,
} from './membership.types';

@Resolver(() => Invitation)
export class MembershipResolver {
  @FieldResolver(() => InvitationStatus, { description: 'Where the invitation stands; a PENDING invitation past `expiresAt` is EXPIRED.' })
  status(@Root() invitation: Invitation, @Ctx() context: SubgraphContext): InvitationStatus {
    return effectiveStatus(invitation, requestTime(context));
  }

  @FieldResolver(() => Organization, {
    description: 'The organization the invitation is for (its name, slug and status are readable by the invitee).',
  })
  async organization(@Root() invitation: Invitation, @Ctx() context: SubgraphContext): Promise<Organization> {
    return parentOrganization(context, invitation.organization, 'invitation');
  }

  @FieldResolver(() => Developer, { nullable: true, description: 'Profile of whoever sent the invitation; null when they have none.' })
  inviter(@Root() invitation: Invitation, @Ctx() context: SubgraphContext): Promise<Developer | null> {
    return developerBySubjectLoader(context, 'inviter').load(invitation.invitedBy);
  }

  @Mutation(() => InviteMemberPayload, {
    description:
      'Invites an email address into an ACTIVE organization with a role; the invitation expires after 7 days. ORG_ADMINs of the organization and portal admins.',
  })
  async inviteMember(
    @Arg('input', () => InviteMemberInput, { description: 'Who to invite, where, with which role.' }) input: InviteMemberInput,
    @Ctx() context: SubgraphContext,
  ): Promise<InvitationResult> {
    return developerMutation<InvitationResult>(
      context,
      (em, inviter) => inviteMember(serviceOps(context, em), context.caller, inviter.subject, input),
      () => ({ invitation: null }),
      {
        uniqueFields: {
          invitation_pending_key: {
            field: 'input.email',
            message: 'This email address has a pending invitation already: revoke it first to send a new one.',
          },
        },
      },
    );
  }

  @Mutation(() => AcceptInvitationPayload, {
    description:
      'Accepts an invitation: the caller becomes a member with its role. Only the signed-in invitee (token email equal to the invitation email, case-insensitively, and not marked unverified) may call it; anyone else gets FORBIDDEN. Accepting again changes nothing.',
  })
  async acceptInvitation(
    @Arg('input', () => AcceptInvitationInput, { description: 'The invitation to accept.' }) input: AcceptInvitationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<InvitationResult> {
    return developerMutation<InvitationResult>(
      context,
      (em) => acceptInvitation(serviceOps(context, em), context.caller, input),
      () => ({ invitation: null }),
    );
  }

  @Mutation(() => RevokeInvitationPayload, {
    description: 'Withdraws a PENDING invitation. Revoking it again changes nothing. ORG_ADMINs of its organization and portal admins.',
  })
  async revokeInvitation(
    @Arg('input', () => RevokeInvitationInput, { description: 'The invitation to revoke.' }) input: RevokeInvitationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<InvitationResult> {
    return developerMutation<InvitationResult>(
      context,
      (em) => revokeInvitation(serviceOps(context, em), context.caller, input),
      () => ({ invitation: null }),
    );
  }

  @Mutation(() => SetMemberRolePayload, {
    description:
      'Changes a member’s role. Refuses to demote the last ORG_ADMIN (LAST_ADMIN). Setting the role they have changes nothing. ORG_ADMINs of the organization and portal admins.',
  })
  async setMemberRole(
    @Arg('input', () => SetMemberRoleInput, { description: 'The member and their new role.' }) input: SetMemberRoleInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ member: OrganizationMember | null }> {
    return developerMutation<{ member: OrganizationMember | null }>(
      context,
      (em) => setMemberRole(serviceOps(context, em), context.caller, input),
      () => ({ member: null }),
    );
  }

  @Mutation(() => RemoveMemberPayload, {
    description:
      'Removes a member from the organization and from all its teams. Refuses to remove the last ORG_ADMIN (LAST_ADMIN). ORG_ADMINs of the organization and portal admins.',
  })
  async removeMember(
    @Arg('input', () => RemoveMemberInput, { description: 'The member to remove.' }) input: RemoveMemberInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ organization: Organization | null }> {
    return developerMutation<{ organization: Organization | null }>(
      context,
      (em) => removeMember(serviceOps(context, em), context.caller, input),
      () => ({ organization: null }),
    );
  }
}
