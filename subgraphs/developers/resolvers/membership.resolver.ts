import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, Resolver, Root } from 'type-graphql';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { userError, UserErrorException, forbidden } from '../../../common/errors';
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
import { Invitation, InvitationStatus, INVITATION_LIFETIME_SECONDS, effectiveStatus } from '../entities/invitation';
import { developerBySubjectLoader, now, parentOrganization, requestTime, verifiedEmail } from '../data/loaders';
import { isUuid } from '../../../common/ids';
import { authorizeInvitation, authorizeOrganization, requireActive } from '../services/authorize';
import { developerMutation } from '../profile';
import { payloadType } from '../../../common/payloads';
import { checkEmail, checkSubject } from '../validation';

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

type InvitationResult = { invitation: Invitation | null };

function fail(code: string, field: string | null, message: string): UserErrorException {
  return new UserErrorException([userError(code, field, message)]);
}

/** Number of ORG_ADMINs of an organization (call with the organization row locked). */
async function adminCount(em: EntityManager, organization: Organization): Promise<number> {
  return em.count(OrganizationMember, { organization, role: OrganizationRole.ORG_ADMIN });
}

const LAST_ADMIN_MESSAGE = 'This is the last ORG_ADMIN of the organization: make another member ORG_ADMIN first.';

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
      async (em, inviter) => {
        const { organization } = await authorizeOrganization(context, em, input.organizationId, OrganizationRole.ORG_ADMIN);
        const email = input.email.trim().toLowerCase();
        const v = new Validation();
        checkEmail(v, email, 'input.email');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', inviter.subject, 'inviteMember', input.idempotencyKey, {
          organizationId: organization.id,
          email,
          role: input.role,
        });
        return runIdempotent<InvitationResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => {
            const invitation = await em.findOne(Invitation, { id: first.resultId }, { refresh: true });
            if (!invitation) throw firstResultGone('invitation');
            return { invitation };
          },
          resultOf: (result) => ({ id: result.invitation!.id }),
          run: async () => {
            requireActive(organization);
            const at = now(context);
            // Pending invitations past their expiry are EXPIRED: mark them so they do not block a new one.
            await em.nativeUpdate(
              Invitation,
              { organization, email, status: InvitationStatus.PENDING, expiresAt: { $lte: at } },
              { status: InvitationStatus.EXPIRED },
            );
            const members = await em.getConnection().execute<{ n: number }[]>(
              `select count(*)::int as n from developers.organization_member m
                   join developers.developer d on d.subject = m.subject
                  where m.organization_id = ? and lower(d.email) = ?`,
              [organization.id, email],
              'all',
              em.getTransactionContext(),
            );
            if (Number(members[0].n) > 0)
              throw fail('ALREADY_MEMBER', 'input.email', 'Someone with this email address is a member already.');
            if (await em.findOne(Invitation, { organization, email, status: InvitationStatus.PENDING })) {
              throw fail(
                'ALREADY_EXISTS',
                'input.email',
                'This email address has a pending invitation already: revoke it first to send a new one.',
              );
            }
            const invitation = em.create(Invitation, {
              organization,
              email,
              role: input.role,
              invitedBy: inviter.subject,
              createdAt: at,
              expiresAt: new Date(at.getTime() + INVITATION_LIFETIME_SECONDS * 1000),
            });
            await em.flush();
            return { invitation };
          },
        });
      },
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
    const subject = context.caller.requireAuthenticated();
    return developerMutation<InvitationResult>(
      context,
      async (em) => {
        const email = verifiedEmail(context.caller);
        const found = isUuid(input.invitationId) ? await em.findOne(Invitation, { id: input.invitationId.toLowerCase() }) : null;
        if (!found || email === null || found.email !== email) {
          // Same answer whether or not it exists: only the invitee learns anything about it.
          throw forbidden('Only the person an invitation was sent to may accept it: sign in with that email address.');
        }
        // Serialise with revokes and membership changes of the organization, then re-read.
        const organization = await em.findOneOrFail(
          Organization,
          { id: found.organization.id },
          { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
        );
        const invitation = await em.findOneOrFail(Invitation, { id: found.id }, { refresh: true });
        const at = now(context);
        const status = effectiveStatus(invitation, at);
        if (status === InvitationStatus.ACCEPTED) {
          if (invitation.acceptedBy === subject) return { invitation }; // accepted already: idempotent
          throw fail('INVALID_TRANSITION', 'input.invitationId', 'This invitation was accepted already by someone else.');
        }
        if (status === InvitationStatus.REVOKED)
          throw fail('INVALID_TRANSITION', 'input.invitationId', 'This invitation was revoked: ask an ORG_ADMIN for a new one.');
        if (status === InvitationStatus.EXPIRED)
          throw fail('INVITATION_EXPIRED', 'input.invitationId', 'This invitation has expired: ask an ORG_ADMIN for a new one.');
        requireActive(organization, 'input.invitationId');
        if (await em.findOne(OrganizationMember, { organization, subject })) {
          throw fail('ALREADY_MEMBER', 'input.invitationId', 'You are a member of this organization already.');
        }
        em.create(OrganizationMember, { organization, subject, role: invitation.role, createdAt: at });
        invitation.status = InvitationStatus.ACCEPTED;
        invitation.acceptedBy = subject;
        invitation.acceptedAt = at;
        await em.flush();
        return { invitation };
      },
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
    const subject = context.caller.requireAuthenticated();
    return developerMutation<InvitationResult>(
      context,
      async (em) => {
        const { invitation } = await authorizeInvitation(context, em, input.invitationId, OrganizationRole.ORG_ADMIN);
        const status = effectiveStatus(invitation, now(context));
        if (status === InvitationStatus.REVOKED) return { invitation }; // revoked already: idempotent
        if (status === InvitationStatus.ACCEPTED)
          throw fail('INVALID_TRANSITION', 'input.invitationId', 'This invitation was accepted already: remove the member instead.');
        if (status === InvitationStatus.EXPIRED)
          throw fail('INVALID_TRANSITION', 'input.invitationId', 'This invitation has expired already: there is nothing to revoke.');
        invitation.status = InvitationStatus.REVOKED;
        invitation.revokedBy = subject;
        invitation.revokedAt = now(context);
        await em.flush();
        return { invitation };
      },
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
      async (em) => {
        const { organization } = await authorizeOrganization(context, em, input.organizationId, OrganizationRole.ORG_ADMIN);
        const subject = input.subject.trim();
        checkSubject(new Validation(), subject, 'input.subject').done();
        const member = await em.findOne(OrganizationMember, { organization, subject });
        if (!member) throw fail('NOT_A_MEMBER', 'input.subject', 'This subject is not a member of the organization.');
        if (member.role === input.role) return { member };
        if (member.role === OrganizationRole.ORG_ADMIN && (await adminCount(em, organization)) <= 1) {
          throw fail('LAST_ADMIN', 'input.subject', LAST_ADMIN_MESSAGE);
        }
        member.role = input.role;
        await em.flush();
        return { member };
      },
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
      async (em) => {
        const { organization } = await authorizeOrganization(context, em, input.organizationId, OrganizationRole.ORG_ADMIN);
        const subject = input.subject.trim();
        checkSubject(new Validation(), subject, 'input.subject').done();
        const member = await em.findOne(OrganizationMember, { organization, subject });
        if (!member) throw fail('NOT_A_MEMBER', 'input.subject', 'This subject is not a member of the organization.');
        if (member.role === OrganizationRole.ORG_ADMIN && (await adminCount(em, organization)) <= 1) {
          throw fail('LAST_ADMIN', 'input.subject', LAST_ADMIN_MESSAGE);
        }
        // Their team memberships go with them (teams only hold members of the organization).
        await em.getConnection().execute(
          `delete from developers.team_member tm using developers.team t
              where t.id = tm.team_id and t.organization_id = ? and tm.subject = ?`,
          [organization.id, subject],
          'run',
          em.getTransactionContext(),
        );
        em.remove(member);
        await em.flush();
        return { organization };
      },
      () => ({ organization: null }),
    );
  }
}
