/**
 * The membership use cases: invite a member, accept or revoke an invitation, change a member's
 * role, remove a member. Each runs inside the mutation's transaction (`developerMutation`) and
 * authorises on the organization, whose row it locks, so membership and role changes of one
 * organization are serialised (the last ORG_ADMIN is never demoted or removed).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { forbidden, refusal } from '../../../common/errors';
import { checkIdempotencyKey, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { Invitation, InvitationStatus, INVITATION_LIFETIME_SECONDS, effectiveStatus } from '../entities/invitation';
import { verifiedEmail } from '../data/loaders';
import { checkEmail, checkSubject } from './validation';
import { authorizeInvitation, authorizeOrganization, requireActive } from './authorize';
import type { Ops } from '../../../common/ops';
import { recordWebhookEvent } from '../../../common/webhooks';

export type InvitationResult = { invitation: Invitation | null };

export interface InviteMemberCommand {
  organizationId: string;
  email: string;
  role: OrganizationRole;
  idempotencyKey?: string | null;
}

export interface InvitationCommand {
  invitationId: string;
}

export interface MemberCommand {
  organizationId: string;
  subject: string;
}

export interface SetMemberRoleCommand extends MemberCommand {
  role: OrganizationRole;
}

/** Number of ORG_ADMINs of an organization (call with the organization row locked). */
async function adminCount(em: EntityManager, organization: Organization): Promise<number> {
  return em.count(OrganizationMember, { organization, role: OrganizationRole.ORG_ADMIN });
}

const LAST_ADMIN_MESSAGE = 'This is the last ORG_ADMIN of the organization: make another member ORG_ADMIN first.';

/** `inviteMember`: ORG_ADMINs of the organization and portal admins; `inviter` is the caller's profile subject. */
export async function inviteMember(ops: Ops, caller: Caller, inviter: string, input: InviteMemberCommand): Promise<InvitationResult> {
  const { em } = ops;
  const { organization } = await authorizeOrganization({ caller }, em, input.organizationId, OrganizationRole.ORG_ADMIN);
  const email = input.email.trim().toLowerCase();
  const v = new Validation();
  checkEmail(v, email, 'input.email');
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('developers', inviter, 'inviteMember', input.idempotencyKey, {
    organizationId: organization.id,
    email,
    role: input.role,
  });
  return runIdempotent<InvitationResult>(em, idempotency, ops.now, {
    replay: async (first) => {
      const invitation = await em.findOne(Invitation, { id: first.resultId }, { refresh: true });
      if (!invitation) throw firstResultGone('invitation');
      return { invitation };
    },
    resultOf: (result) => ({ id: result.invitation!.id }),
    run: async () => {
      requireActive(organization);
      const at = ops.now;
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
      if (Number(members[0].n) > 0) throw refusal('ALREADY_MEMBER', 'input.email', 'Someone with this email address is a member already.');
      if (await em.findOne(Invitation, { organization, email, status: InvitationStatus.PENDING })) {
        throw refusal(
          'ALREADY_EXISTS',
          'input.email',
          'This email address has a pending invitation already: revoke it first to send a new one.',
        );
      }
      const invitation = em.create(Invitation, {
        organization,
        email,
        role: input.role,
        invitedBy: inviter,
        createdAt: at,
        expiresAt: new Date(at.getTime() + INVITATION_LIFETIME_SECONDS * 1000),
      });
      await em.flush();
      return { invitation };
    },
  });
}

/** `acceptInvitation`: only the signed-in invitee (verified token email equal to the invitation's). */
export async function acceptInvitation(ops: Ops, caller: Caller, input: InvitationCommand): Promise<InvitationResult> {
  const { em } = ops;
  const subject = caller.requireAuthenticated();
  const email = verifiedEmail(caller);
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
  const at = ops.now;
  const status = effectiveStatus(invitation, at);
  if (status === InvitationStatus.ACCEPTED) {
    if (invitation.acceptedBy === subject) return { invitation }; // accepted already: idempotent
    throw refusal('INVALID_TRANSITION', 'input.invitationId', 'This invitation was accepted already by someone else.');
  }
  if (status === InvitationStatus.REVOKED)
    throw refusal('INVALID_TRANSITION', 'input.invitationId', 'This invitation was revoked: ask an ORG_ADMIN for a new one.');
  if (status === InvitationStatus.EXPIRED)
    throw refusal('INVITATION_EXPIRED', 'input.invitationId', 'This invitation has expired: ask an ORG_ADMIN for a new one.');
  requireActive(organization, 'input.invitationId');
  if (await em.findOne(OrganizationMember, { organization, subject })) {
    throw refusal('ALREADY_MEMBER', 'input.invitationId', 'You are a member of this organization already.');
  }
  em.create(OrganizationMember, { organization, subject, role: invitation.role, createdAt: at });
  invitation.status = InvitationStatus.ACCEPTED;
  invitation.acceptedBy = subject;
  invitation.acceptedAt = at;
  await em.flush();
  await recordWebhookEvent(em, {
    type: 'MEMBER_JOINED',
    organizationId: organization.id,
    occurredAt: at,
    data: { subject, role: invitation.role, invitationId: invitation.id },
  });
  return { invitation };
}

/** `revokeInvitation`: ORG_ADMINs of the invitation's organization and portal admins. */
export async function revokeInvitation(ops: Ops, caller: Caller, input: InvitationCommand): Promise<InvitationResult> {
  const { em } = ops;
  const subject = caller.requireAuthenticated();
  const { invitation } = await authorizeInvitation({ caller }, em, input.invitationId, OrganizationRole.ORG_ADMIN);
  const status = effectiveStatus(invitation, ops.now);
  if (status === InvitationStatus.REVOKED) return { invitation }; // revoked already: idempotent
  if (status === InvitationStatus.ACCEPTED)
    throw refusal('INVALID_TRANSITION', 'input.invitationId', 'This invitation was accepted already: remove the member instead.');
  if (status === InvitationStatus.EXPIRED)
    throw refusal('INVALID_TRANSITION', 'input.invitationId', 'This invitation has expired already: there is nothing to revoke.');
  invitation.status = InvitationStatus.REVOKED;
  invitation.revokedBy = subject;
  invitation.revokedAt = ops.now;
  await em.flush();
  return { invitation };
}

/** `setMemberRole`: ORG_ADMINs of the organization and portal admins; never demotes the last ORG_ADMIN. */
export async function setMemberRole(ops: Ops, caller: Caller, input: SetMemberRoleCommand): Promise<{ member: OrganizationMember | null }> {
  const { em } = ops;
  const { organization } = await authorizeOrganization({ caller }, em, input.organizationId, OrganizationRole.ORG_ADMIN);
  const subject = input.subject.trim();
  checkSubject(new Validation(), subject, 'input.subject').done();
  const member = await em.findOne(OrganizationMember, { organization, subject });
  if (!member) throw refusal('NOT_A_MEMBER', 'input.subject', 'This subject is not a member of the organization.');
  if (member.role === input.role) return { member };
  if (member.role === OrganizationRole.ORG_ADMIN && (await adminCount(em, organization)) <= 1) {
    throw refusal('LAST_ADMIN', 'input.subject', LAST_ADMIN_MESSAGE);
  }
  member.role = input.role;
  await em.flush();
  return { member };
}

/** `removeMember`: ORG_ADMINs of the organization and portal admins; never removes the last ORG_ADMIN. */
export async function removeMember(ops: Ops, caller: Caller, input: MemberCommand): Promise<{ organization: Organization | null }> {
  const { em } = ops;
  const { organization } = await authorizeOrganization({ caller }, em, input.organizationId, OrganizationRole.ORG_ADMIN);
  const subject = input.subject.trim();
  checkSubject(new Validation(), subject, 'input.subject').done();
  const member = await em.findOne(OrganizationMember, { organization, subject });
  if (!member) throw refusal('NOT_A_MEMBER', 'input.subject', 'This subject is not a member of the organization.');
  if (member.role === OrganizationRole.ORG_ADMIN && (await adminCount(em, organization)) <= 1) {
    throw refusal('LAST_ADMIN', 'input.subject', LAST_ADMIN_MESSAGE);
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
}
