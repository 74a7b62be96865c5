import {
  activeOrganization,
  call,
  codes,
  createTeam,
  developer,
  gql,
  invite,
  join,
  M,
  mutate,
  sql,
  startHarness,
  unique,
  type Harness,
  type Identity,
} from '../../test/kit/developers';

/** Invitations, roles and membership removal. */
describe('developers: invitations and members', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const PENDING = `{ viewer { pendingInvitations { id email role status organization { id name } inviter { displayName } } } }`;
  const INVITATIONS = `query($id: ID!, $status: [InvitationStatus!]) {
    organization(id: $id) { invitations(first: 10, status: $status) { totalCount edges { node { id email status } } } }
  }`;

  async function members(organizationId: string) {
    return sql(h, 'select subject, role from developers.organization_member where organization_id = ? order by subject', [organizationId]);
  }

  describe('inviteMember', () => {
    it('creates a PENDING invitation for 7 days that the ORG_ADMIN lists and the invitee sees', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      await mutate(h, 'registerDeveloper', M.registerDeveloper, { displayName: 'Olivia Owner' }, owner);
      const invitee = developer();
      const invitation = await invite(h, org.id, `  ${invitee.email!.toUpperCase()} `, owner, 'ORG_ADMIN');
      expect(invitation).toMatchObject({
        email: invitee.email,
        status: 'PENDING',
        role: 'ORG_ADMIN',
        invitedBy: owner.sub,
        organization: { id: org.id },
      });
      expect(new Date(invitation.expiresAt).getTime() - new Date(invitation.createdAt).getTime()).toBe(7 * 24 * 3600 * 1000);

      const listed = await gql(h, INVITATIONS, { id: org.id }, owner);
      expect(listed.data.organization.invitations).toEqual({
        totalCount: 1,
        edges: [{ node: { id: invitation.id, email: invitee.email, status: 'PENDING' } }],
      });

      const pending = await gql(h, PENDING, {}, invitee);
      expect(pending.data.viewer.pendingInvitations).toEqual([
        {
          id: invitation.id,
          email: invitee.email,
          role: 'ORG_ADMIN',
          status: 'PENDING',
          organization: { id: org.id, name: `Org ${org.slug}` },
          inviter: { displayName: 'Olivia Owner' },
        },
      ]);
      // Through the invitation the invitee sees the organization's name, not its insides.
      const peek = await gql(
        h,
        `{ viewer { pendingInvitations { organization { id members { subject } apps { totalCount } teams { id } viewerRole } } } }`,
        {},
        invitee,
      );
      expect(peek.data.viewer.pendingInvitations).toEqual([
        { organization: { id: org.id, members: null, apps: null, teams: null, viewerRole: null } },
      ]);
      expect(peek.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
      // Nobody else sees it.
      expect((await gql(h, PENDING, {}, developer())).data.viewer.pendingInvitations).toEqual([]);
    });

    it('refuses duplicates (ALREADY_EXISTS), existing members (ALREADY_MEMBER) and bad emails', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const email = `${unique('bob')}@example.com`;
      await invite(h, org.id, email, owner);
      const dup = await call(h, 'inviteMember', { organizationId: org.id, email: email.toUpperCase(), role: 'ORG_ADMIN' }, owner);
      expect(dup.data.inviteMember).toEqual({
        invitation: null,
        errors: [{ code: 'ALREADY_EXISTS', field: 'input.email', message: expect.stringContaining('pending invitation') }],
      });

      const member = developer();
      await join(h, org.id, member, 'MEMBER');
      const already = await call(h, 'inviteMember', { organizationId: org.id, email: member.email, role: 'MEMBER' }, owner);
      expect(already.data.inviteMember.errors).toEqual([{ code: 'ALREADY_MEMBER', field: 'input.email', message: expect.any(String) }]);
      const self = await call(h, 'inviteMember', { organizationId: org.id, email: owner.email, role: 'MEMBER' }, owner);
      expect(codes(self, 'inviteMember')).toEqual(['ALREADY_MEMBER']);

      for (const bad of ['not-an-email', 'a@b', `${'x'.repeat(250)}@example.com`]) {
        const r = await call(h, 'inviteMember', { organizationId: org.id, email: bad, role: 'MEMBER' }, owner);
        expect(r.data.inviteMember.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.email', message: expect.any(String) }]);
      }
      expect((await sql(h, 'select count(*)::int as n from developers.invitation where organization_id = ?', [org.id]))[0].n).toBe(2);
    });
  });

  describe('acceptInvitation', () => {
    it('makes the invitee (email matched case-insensitively) a member with the invited role, once', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const invitee: Identity = { ...developer(), email: `${unique('Carol')}@Example.COM` };
      const invitation = await invite(h, org.id, invitee.email!.toLowerCase(), owner, 'MEMBER');

      const accepted = await mutate(h, 'acceptInvitation', M.acceptInvitation, { invitationId: invitation.id }, invitee);
      expect(accepted.invitation).toMatchObject({
        status: 'ACCEPTED',
        acceptedBy: invitee.sub,
        role: 'MEMBER',
        organization: { id: org.id, viewerRole: 'MEMBER' },
      });
      expect(await members(org.id)).toEqual(
        [
          { subject: owner.sub, role: 'ORG_ADMIN' },
          { subject: invitee.sub, role: 'MEMBER' },
        ].sort((a, b) => a.subject.localeCompare(b.subject)),
      );
      expect(
        await sql(h, 'select role, organization_status from developers.membership_contract where organization_id = ? and subject = ?', [
          org.id,
          invitee.sub,
        ]),
      ).toEqual([{ role: 'MEMBER', organization_status: 'ACTIVE' }]);
      // Again: nothing changes, no error.
      const again = await call(h, 'acceptInvitation', { invitationId: invitation.id }, invitee);
      expect(again.data.acceptInvitation).toEqual({ invitation: accepted.invitation, errors: [] });
      expect((await gql(h, PENDING, {}, invitee)).data.viewer.pendingInvitations).toEqual([]);
      // The profile was created on the way, so a new invitation for this email is ALREADY_MEMBER.
      expect(
        codes(await call(h, 'inviteMember', { organizationId: org.id, email: invitee.email, role: 'MEMBER' }, owner), 'inviteMember'),
      ).toEqual(['ALREADY_MEMBER']);
    });

    it('is FORBIDDEN to anyone but the invitee (other email, no email, unverified email, unknown id), writing nothing', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const invitee = developer();
      const invitation = await invite(h, org.id, invitee.email!, owner);
      const strangers: Identity[] = [
        developer(),
        owner,
        h.admin,
        { sub: invitee.sub }, // right person, but the token has no email
        { ...invitee, sub: `impostor-${unique()}`, email_verified: false },
      ];
      for (const who of strangers) {
        const r = await call(h, 'acceptInvitation', { invitationId: invitation.id }, who);
        expect({ who: who.sub, code: codes(r, 'acceptInvitation') }).toEqual({ who: who.sub, code: ['FORBIDDEN'] });
        expect(r.data).toBeNull();
      }
      const unknown = await call(h, 'acceptInvitation', { invitationId: '00000000-0000-4000-8000-000000000000' }, invitee);
      expect(codes(unknown, 'acceptInvitation')).toEqual(['FORBIDDEN']);
      expect(await members(org.id)).toEqual([{ subject: owner.sub, role: 'ORG_ADMIN' }]);
      expect((await sql(h, 'select status from developers.invitation where id = ?', [invitation.id]))[0].status).toBe('PENDING');
    });

    it('refuses revoked and expired invitations and invitations into organizations that are not ACTIVE', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);

      const revokedFor = developer();
      const revoked = await invite(h, org.id, revokedFor.email!, owner);
      expect(codes(await call(h, 'revokeInvitation', { invitationId: revoked.id }, developer()), 'revokeInvitation')).toEqual([
        'FORBIDDEN',
      ]);
      const r1 = await mutate(h, 'revokeInvitation', M.revokeInvitation, { invitationId: revoked.id }, owner);
      expect(r1.invitation).toMatchObject({ status: 'REVOKED', revokedBy: owner.sub, revokedAt: expect.any(String) });
      const r2 = await call(h, 'revokeInvitation', { invitationId: revoked.id }, owner);
      expect(r2.data.revokeInvitation).toEqual({ invitation: r1.invitation, errors: [] });
      expect(codes(await call(h, 'acceptInvitation', { invitationId: revoked.id }, revokedFor), 'acceptInvitation')).toEqual([
        'INVALID_TRANSITION',
      ]);

      const lateFor = developer();
      const late = await invite(h, org.id, lateFor.email!, owner);
      await sql(h, `update developers.invitation set expires_at = now() - interval '1 second' where id = ?`, [late.id]);
      const expired = await call(h, 'acceptInvitation', { invitationId: late.id }, lateFor);
      expect(expired.data.acceptInvitation.errors).toEqual([
        { code: 'INVITATION_EXPIRED', field: 'input.invitationId', message: expect.any(String) },
      ]);
      expect((await gql(h, INVITATIONS, { id: org.id, status: ['EXPIRED'] }, owner)).data.organization.invitations.edges).toEqual([
        { node: { id: late.id, email: lateFor.email, status: 'EXPIRED' } },
      ]);
      expect((await gql(h, PENDING, {}, lateFor)).data.viewer.pendingInvitations).toEqual([]);
      expect(codes(await call(h, 'revokeInvitation', { invitationId: late.id }, owner), 'revokeInvitation')).toEqual([
        'INVALID_TRANSITION',
      ]);
      // A new invitation replaces the expired one.
      const fresh = await invite(h, org.id, lateFor.email!, owner);
      expect(
        (await gql(h, INVITATIONS, { id: org.id, status: ['PENDING'] }, owner)).data.organization.invitations.edges.map(
          (e: any) => e.node.id,
        ),
      ).toEqual([fresh.id]);

      const acceptedFor = developer();
      const accepted = await invite(h, org.id, acceptedFor.email!, owner);
      await mutate(h, 'acceptInvitation', M.acceptInvitation, { invitationId: accepted.id }, acceptedFor);
      expect(codes(await call(h, 'revokeInvitation', { invitationId: accepted.id }, owner), 'revokeInvitation')).toEqual([
        'INVALID_TRANSITION',
      ]);

      const suspendedFor = developer();
      const beforeSuspension = await invite(h, org.id, suspendedFor.email!, owner);
      await mutate(h, 'suspendOrganization', M.suspendOrganization, { id: org.id, reason: 'Checks' }, h.admin);
      expect(codes(await call(h, 'acceptInvitation', { invitationId: beforeSuspension.id }, suspendedFor), 'acceptInvitation')).toEqual([
        'ORGANIZATION_NOT_ACTIVE',
      ]);
      expect((await gql(h, PENDING, {}, suspendedFor)).data.viewer.pendingInvitations).toEqual([]);
    });
  });

  describe('roles and removal', () => {
    it('changes roles but never leaves an organization without an ORG_ADMIN', async () => {
      const owner = developer();
      const other = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, other, 'MEMBER');

      const last = await call(h, 'setMemberRole', { organizationId: org.id, subject: owner.sub, role: 'MEMBER' }, owner);
      expect(last.data.setMemberRole).toEqual({
        member: null,
        errors: [{ code: 'LAST_ADMIN', field: 'input.subject', message: expect.any(String) }],
      });
      expect(codes(await call(h, 'removeMember', { organizationId: org.id, subject: owner.sub }, h.admin), 'removeMember')).toEqual([
        'LAST_ADMIN',
      ]);

      expect(
        codes(await call(h, 'setMemberRole', { organizationId: org.id, subject: other.sub, role: 'ORG_ADMIN' }, other), 'setMemberRole'),
      ).toEqual(['FORBIDDEN']);
      const promoted = await mutate(
        h,
        'setMemberRole',
        M.setMemberRole,
        { organizationId: org.id, subject: other.sub, role: 'ORG_ADMIN' },
        owner,
      );
      expect(promoted.member).toEqual({ subject: other.sub, role: 'ORG_ADMIN' });
      const same = await call(h, 'setMemberRole', { organizationId: org.id, subject: other.sub, role: 'ORG_ADMIN' }, owner);
      expect(same.data.setMemberRole).toEqual({ member: promoted.member, errors: [] });
      await mutate(h, 'setMemberRole', M.setMemberRole, { organizationId: org.id, subject: owner.sub, role: 'MEMBER' }, other);
      expect(await members(org.id)).toEqual(
        [
          { subject: owner.sub, role: 'MEMBER' },
          { subject: other.sub, role: 'ORG_ADMIN' },
        ].sort((a, b) => a.subject.localeCompare(b.subject)),
      );
      const nobody = await call(h, 'setMemberRole', { organizationId: org.id, subject: 'nobody', role: 'MEMBER' }, other);
      expect(nobody.data.setMemberRole.errors).toEqual([{ code: 'NOT_A_MEMBER', field: 'input.subject', message: expect.any(String) }]);
    });

    it('keeps one ORG_ADMIN when two admins demote each other at the same time', async () => {
      const a = developer();
      const b = developer();
      const org = await activeOrganization(h, a);
      await join(h, org.id, b, 'ORG_ADMIN');
      await Promise.all([
        call(h, 'setMemberRole', { organizationId: org.id, subject: b.sub, role: 'MEMBER' }, a),
        call(h, 'setMemberRole', { organizationId: org.id, subject: a.sub, role: 'MEMBER' }, b),
      ]);
      const admins = (await members(org.id)).filter((m) => m.role === 'ORG_ADMIN');
      expect(admins).toHaveLength(1);
    });

    it('removes a member from the organization and its teams, after which they see nothing of it', async () => {
      const owner = developer();
      const leaver = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, leaver, 'MEMBER');
      const team = await createTeam(h, org.id, owner);
      await mutate(h, 'addTeamMember', M.addTeamMember, { teamId: team.id, subject: leaver.sub }, owner);
      expect(await sql(h, 'select subject from developers.team_membership_contract where team_id = ?', [team.id])).toEqual([
        { subject: leaver.sub },
      ]);

      expect(codes(await call(h, 'removeMember', { organizationId: org.id, subject: owner.sub }, leaver), 'removeMember')).toEqual([
        'FORBIDDEN',
      ]);
      const removed = await mutate(h, 'removeMember', M.removeMember, { organizationId: org.id, subject: leaver.sub }, owner);
      expect(removed.organization).toEqual({ id: org.id });
      expect(await members(org.id)).toEqual([{ subject: owner.sub, role: 'ORG_ADMIN' }]);
      expect(await sql(h, 'select subject from developers.team_member where team_id = ?', [team.id])).toEqual([]);
      expect(await sql(h, 'select subject from developers.team_membership_contract where team_id = ?', [team.id])).toEqual([]);
      expect((await gql(h, `query($id: ID!) { organization(id: $id) { id } }`, { id: org.id }, leaver)).data.organization).toBeNull();
      const again = await call(h, 'removeMember', { organizationId: org.id, subject: leaver.sub }, owner);
      expect(again.data.removeMember.errors).toEqual([{ code: 'NOT_A_MEMBER', field: 'input.subject', message: expect.any(String) }]);
    });
  });
});
