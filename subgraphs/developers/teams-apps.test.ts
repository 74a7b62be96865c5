import {
  activeOrganization,
  call,
  codes,
  createApp,
  createTeam,
  developer,
  gql,
  join,
  M,
  mutate,
  sql,
  startHarness,
  unique,
  type Harness,
} from '../../test/kit/developers';

/** Teams and apps. */
describe('developers: teams and apps', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  describe('teams', () => {
    it('lets ORG_ADMINs create teams with unique names and manage their members; members read them', async () => {
      const owner = developer();
      const member = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, member, 'MEMBER');
      await mutate(h, 'registerDeveloper', M.registerDeveloper, { displayName: 'Mia Member' }, member);

      expect(codes(await call(h, 'createTeam', { organizationId: org.id, name: 'Backend' }, member), 'createTeam')).toEqual(['FORBIDDEN']);
      const team = await createTeam(h, org.id, owner, ' Backend ');
      expect(team).toMatchObject({ name: 'Backend', organization: { id: org.id }, members: [] });
      const dup = await call(h, 'createTeam', { organizationId: org.id, name: 'Backend' }, owner);
      expect(dup.data.createTeam).toEqual({
        team: null,
        errors: [{ code: 'ALREADY_EXISTS', field: 'input.name', message: expect.any(String) }],
      });
      const blank = await call(h, 'createTeam', { organizationId: org.id, name: ' ' }, owner);
      expect(blank.data.createTeam.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.name', message: expect.any(String) }]);
      // Another organization may use the same name.
      await createTeam(h, (await activeOrganization(h, owner)).id, owner, 'Backend');

      const outsider = developer();
      const notMember = await call(h, 'addTeamMember', { teamId: team.id, subject: outsider.sub }, owner);
      expect(notMember.data.addTeamMember).toEqual({
        team: null,
        errors: [{ code: 'NOT_A_MEMBER', field: 'input.subject', message: expect.any(String) }],
      });
      expect(codes(await call(h, 'addTeamMember', { teamId: team.id, subject: member.sub }, member), 'addTeamMember')).toEqual([
        'FORBIDDEN',
      ]);

      const added = await mutate(h, 'addTeamMember', M.addTeamMember, { teamId: team.id, subject: member.sub }, owner);
      expect(added.team.members).toEqual([{ subject: member.sub, addedAt: expect.any(String), developer: { displayName: 'Mia Member' } }]);
      const twice = await mutate(h, 'addTeamMember', M.addTeamMember, { teamId: team.id, subject: member.sub }, owner);
      expect(twice.team.members).toEqual(added.team.members);
      expect(
        await sql(h, 'select subject, organization_status from developers.team_membership_contract where team_id = ?', [team.id]),
      ).toEqual([{ subject: member.sub, organization_status: 'ACTIVE' }]);

      const asMember = await gql(
        h,
        `query($id: ID!) { organization(id: $id) { teams { name members { subject } } } }`,
        { id: org.id },
        member,
      );
      expect(asMember.errors).toBeUndefined();
      expect(asMember.data.organization.teams).toEqual([{ name: 'Backend', members: [{ subject: member.sub }] }]);

      const removed = await mutate(h, 'removeTeamMember', M.removeTeamMember, { teamId: team.id, subject: member.sub }, owner);
      expect(removed.team.members).toEqual([]);
      const removedAgain = await call(h, 'removeTeamMember', { teamId: team.id, subject: member.sub }, owner);
      expect(removedAgain.data.removeTeamMember.errors).toEqual([]);
    });

    it('deletes a team; its apps stay in the organization without a team', async () => {
      const owner = developer();
      const member = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, member, 'MEMBER');
      const team = await createTeam(h, org.id, owner);
      await mutate(h, 'addTeamMember', M.addTeamMember, { teamId: team.id, subject: member.sub }, owner);
      const app = await createApp(h, org.id, member, { teamId: team.id });
      expect(app.team).toEqual({ id: team.id, name: team.name });

      expect(codes(await call(h, 'deleteTeam', { id: team.id }, member), 'deleteTeam')).toEqual(['FORBIDDEN']);
      const deleted = await mutate(h, 'deleteTeam', M.deleteTeam, { id: team.id }, owner);
      expect(deleted).toEqual({ deletedTeamId: team.id, organization: { id: org.id }, errors: [] });
      const after = await gql(
        h,
        `query($app: ID!, $org: ID!) { app(id: $app) { id team { id } } organization(id: $org) { teams { id } } }`,
        { app: app.id, org: org.id },
        member,
      );
      expect(after.data).toEqual({ app: { id: app.id, team: null }, organization: { teams: [] } });
      expect(await sql(h, 'select * from developers.team_member where team_id = ?', [team.id])).toEqual([]);
      const gone = await call(h, 'deleteTeam', { id: team.id }, h.admin);
      expect(gone.data.deleteTeam.errors).toEqual([{ code: 'NOT_FOUND', field: 'input.id', message: expect.any(String) }]);
    });
  });

  describe('apps', () => {
    it('lets any member create an app in an ACTIVE organization, with a team of that organization', async () => {
      const owner = developer();
      const member = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, member, 'MEMBER');
      const team = await createTeam(h, org.id, owner);
      const name = unique('Billing');
      const created = await mutate(
        h,
        'createApp',
        M.createApp,
        {
          organizationId: org.id,
          teamId: team.id,
          name: ` ${name} `,
          description: ' Sends invoices. ',
          redirectUris: ['https://billing.example.com/callback', 'http://localhost:3000/cb', 'http://127.0.0.1:8080/oauth?x=1'],
        },
        member,
      );
      expect(created.app).toEqual({
        id: expect.any(String),
        name,
        description: 'Sends invoices.',
        redirectUris: ['https://billing.example.com/callback', 'http://localhost:3000/cb', 'http://127.0.0.1:8080/oauth?x=1'],
        createdBy: member.sub,
        organization: { id: org.id },
        team: { id: team.id, name: team.name },
      });
      expect(await sql(h, 'select id, organization_id, team_id, name from developers.app_contract where id = ?', [created.app.id])).toEqual(
        [{ id: created.app.id, organization_id: org.id, team_id: team.id, name }],
      );

      const dup = await call(h, 'createApp', { organizationId: org.id, name: name.toUpperCase() }, owner);
      expect(dup.data.createApp).toEqual({
        app: null,
        errors: [{ code: 'ALREADY_EXISTS', field: 'input.name', message: expect.any(String) }],
      });

      const otherOrg = await activeOrganization(h, owner);
      const foreignTeam = await createTeam(h, otherOrg.id, owner);
      for (const teamId of [foreignTeam.id, '00000000-0000-4000-8000-000000000000']) {
        const r = await call(h, 'createApp', { organizationId: org.id, name: unique('x'), teamId }, owner);
        expect(r.data.createApp.errors).toEqual([{ code: 'NOT_FOUND', field: 'input.teamId', message: expect.any(String) }]);
      }
      const malformed = await call(h, 'createApp', { organizationId: org.id, name: unique('x'), teamId: 'nope' }, owner);
      expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.teamId' });
      expect((await sql(h, 'select count(*)::int as n from developers.app where organization_id = ?', [org.id]))[0].n).toBe(1);
    });

    it.each([
      ['http://example.com/cb', 'http'],
      ['https://example.com/cb#frag', 'fragment'],
      ['https://example.com/#', 'fragment'],
      ['/relative/path', 'absolute'],
      ['ftp://example.com/cb', 'https'],
      ['com.example.app:/oauth', 'https'],
      ['https://*.example.com/cb', 'Wildcards'],
      ['https://user:pw@example.com/cb', 'password'],
      ['http://localhost.evil.com/cb', 'http'],
      ['', 'URL'],
    ])('refuses the redirect URI %p', async (uri, hint) => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const r = await call(
        h,
        'createApp',
        { organizationId: org.id, name: 'App', redirectUris: ['https://ok.example.com/cb', uri] },
        owner,
      );
      expect(r.data.createApp).toEqual({
        app: null,
        errors: [{ code: 'VALIDATION_FAILED', field: 'input.redirectUris[1]', message: expect.stringContaining(hint) }],
      });
    });

    it('stores redirect URIs exactly, including commas, quotes and braces', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const uris = [
        'https://app.example.com/cb?scopes=a,b',
        'https://app.example.com/cb?q="x"&r={y}',
        'https://app.example.com/NULL',
        'https://app.example.com/a\\b',
      ];
      const app = await createApp(h, org.id, owner, { redirectUris: uris });
      const read = await gql(h, `query($id: ID!) { app(id: $id) { redirectUris } }`, { id: app.id }, owner);
      expect(read.data.app.redirectUris).toEqual(uris);
      expect((await sql(h, 'select cardinality(redirect_uris) as n from developers.app where id = ?', [app.id]))[0].n).toBe(4);
    });

    it('refuses more than 10 redirect URIs, duplicates, long names and descriptions, all at once', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const many = Array.from({ length: 11 }, (_, i) => `https://app.example.com/cb/${i}`);
      const r = await call(
        h,
        'createApp',
        { organizationId: org.id, name: 'x'.repeat(121), description: 'd'.repeat(2001), redirectUris: many },
        owner,
      );
      expect(r.data.createApp.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'input.description',
        'input.name',
        'input.redirectUris',
      ]);
      const dup = await call(
        h,
        'createApp',
        { organizationId: org.id, name: 'Dup', redirectUris: ['https://a.example.com', 'https://a.example.com'] },
        owner,
      );
      expect(dup.data.createApp.errors).toEqual([
        { code: 'VALIDATION_FAILED', field: 'input.redirectUris[1]', message: expect.stringContaining('twice') },
      ]);
      expect(await sql(h, 'select * from developers.app where organization_id = ?', [org.id])).toEqual([]);
    });

    it('updates only what is given; teamId null clears the team; failures change nothing', async () => {
      const owner = developer();
      const member = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, member, 'MEMBER');
      const team = await createTeam(h, org.id, owner);
      const app = await createApp(h, org.id, owner, { teamId: team.id, description: 'First', redirectUris: ['https://a.example.com/cb'] });
      const taken = await createApp(h, org.id, owner);

      const renamed = await mutate(h, 'updateApp', M.updateApp, { id: app.id, name: 'Renamed' }, member);
      expect(renamed.app).toEqual({
        id: app.id,
        name: 'Renamed',
        description: 'First',
        redirectUris: ['https://a.example.com/cb'],
        team: { id: team.id },
      });
      const cleared = await mutate(h, 'updateApp', M.updateApp, { id: app.id, teamId: null, redirectUris: [] }, member);
      expect(cleared.app).toMatchObject({ name: 'Renamed', redirectUris: [], team: null });

      const clash = await call(h, 'updateApp', { id: app.id, name: taken.name, description: 'Changed' }, member);
      expect(clash.data.updateApp.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name', message: expect.any(String) }]);
      const bad = await call(h, 'updateApp', { id: app.id, description: 'Changed', redirectUris: ['http://example.com'] }, member);
      expect(bad.data.updateApp.errors.map((e: { field: string }) => e.field)).toEqual(['input.redirectUris[0]']);
      const [row] = await sql(h, 'select name, description, team_id from developers.app where id = ?', [app.id]);
      expect(row).toEqual({ name: 'Renamed', description: 'First', team_id: null });
    });

    it('lets ORG_ADMINs (not MEMBERs) delete apps', async () => {
      const owner = developer();
      const member = developer();
      const org = await activeOrganization(h, owner);
      await join(h, org.id, member, 'MEMBER');
      const app = await createApp(h, org.id, member);
      expect(codes(await call(h, 'deleteApp', { id: app.id }, member), 'deleteApp')).toEqual(['FORBIDDEN']);
      const deleted = await mutate(h, 'deleteApp', M.deleteApp, { id: app.id }, owner);
      expect(deleted).toEqual({ deletedAppId: app.id, organization: { id: org.id }, errors: [] });
      expect((await gql(h, `query($id: ID!) { app(id: $id) { id } }`, { id: app.id }, owner)).data.app).toBeNull();
      expect(await sql(h, 'select * from developers.app_contract where id = ?', [app.id])).toEqual([]);
      expect(codes(await call(h, 'deleteApp', { id: app.id }, h.admin), 'deleteApp')).toEqual(['NOT_FOUND']);
    });

    it('lists apps: members see their organizations’ apps, portal admins all, with filters and pages', async () => {
      const alice = developer();
      const bob = developer();
      const orgA = await activeOrganization(h, alice);
      const orgB = await activeOrganization(h, bob);
      const team = await createTeam(h, orgA.id, alice);
      const a1 = await createApp(h, orgA.id, alice, { teamId: team.id });
      const a2 = await createApp(h, orgA.id, alice);
      const a3 = await createApp(h, orgA.id, alice);
      const b1 = await createApp(h, orgB.id, bob);
      const q = `query($filter: AppFilter, $after: String) { apps(first: 2, after: $after, filter: $filter) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
      const ids = (r: any) => r.data.apps.edges.map((e: any) => e.node.id);

      const page1 = await gql(h, q, { filter: { organizationId: orgA.id } }, alice);
      expect(page1.data.apps).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
      expect(ids(page1)).toEqual([a1.id, a2.id]);
      const page2 = await gql(h, q, { filter: { organizationId: orgA.id }, after: page1.data.apps.pageInfo.endCursor }, alice);
      expect(ids(page2)).toEqual([a3.id]);

      expect(ids(await gql(h, q, { filter: { teamId: team.id } }, alice))).toEqual([a1.id]);
      expect(ids(await gql(h, q, { filter: { search: a2.name.slice(0, -2) } }, alice))).toEqual([a2.id]);
      expect((await gql(h, q, { filter: { organizationId: orgB.id } }, alice)).data.apps.totalCount).toBe(0);
      expect(ids(await gql(h, q, { filter: { organizationId: orgB.id } }, h.admin))).toEqual([b1.id]);
      expect(codes(await gql(h, q, {}, null), 'apps')).toEqual(['UNAUTHENTICATED']);
      expect(codes(await gql(h, q, { filter: { organizationId: 'nope' } }, alice), 'apps')).toEqual(['BAD_USER_INPUT']);

      // Organization.apps pages the same way.
      const nested = `query($id: ID!, $after: String) { organization(id: $id) { apps(first: 2, after: $after) { totalCount edges { node { id team { name } } } pageInfo { hasNextPage endCursor } } } }`;
      const n1 = await gql(h, nested, { id: orgA.id }, alice);
      expect(n1.data.organization.apps).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
      expect(n1.data.organization.apps.edges).toEqual([
        { node: { id: a1.id, team: { name: team.name } } },
        { node: { id: a2.id, team: null } },
      ]);
      const n2 = await gql(h, nested, { id: orgA.id, after: n1.data.organization.apps.pageInfo.endCursor }, alice);
      expect(n2.data.organization.apps).toMatchObject({
        totalCount: 3,
        edges: [{ node: { id: a3.id } }],
        pageInfo: { hasNextPage: false },
      });
      // Forged cursors (bad text, or a valid date with an id that is not a UUID) are argument errors, not database errors.
      const forged = Buffer.from(`${new Date().toISOString()}|not-a-uuid`, 'utf8').toString('base64url');
      for (const after of ['garbage', forged]) {
        expect(codes(await gql(h, nested, { id: orgA.id, after }, alice), 'organization')).toEqual(['BAD_USER_INPUT']);
        expect(codes(await gql(h, q, { after }, alice), 'apps')).toEqual(['BAD_USER_INPUT']);
        expect(
          codes(await gql(h, `query($after: String) { organizations(after: $after) { totalCount } }`, { after }, alice), 'organizations'),
        ).toEqual(['BAD_USER_INPUT']);
      }
    });
  });
});
