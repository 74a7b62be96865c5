import {
  activeOrganization,
  call,
  codes,
  createApp,
  createTeam,
  developer,
  gql,
  invite,
  join,
  mutate,
  M,
  sql,
  startHarness,
  type Harness,
  type Identity,
  type MutationName,
} from '../../test/kit/developers';

/**
 * Every id-taking operation, called by a developer of another organization (who is an ORG_ADMIN
 * there, so has every role, just not here): queries answer null, mutations FORBIDDEN, with the
 * same answer for ids that do not exist. Plain MEMBERs cannot do ORG_ADMIN actions. Nothing of
 * the target organization changes.
 */
describe('developers: organization boundaries', () => {
  let h: Harness;
  const owner = developer();
  const member = developer();
  const outsider = developer();
  const invitee = developer();
  const ids = {} as { org: string; team: string; app: string; invitation: string; memberDeveloper: string; otherOrg: string };
  let snapshotBefore: unknown;
  const UNKNOWN = '00000000-0000-4000-8000-00000000abcd';

  async function snapshot(organizationId: string) {
    const q = (text: string) => sql(h, text, [organizationId]);
    return {
      organization: await q(
        'select id, name, slug, status, decided_by, decision_reason, updated_at from developers.organization where id = ?',
      ),
      members: await q('select subject, role from developers.organization_member where organization_id = ? order by subject'),
      teams: await q('select id, name, updated_at from developers.team where organization_id = ? order by id'),
      teamMembers: await q(
        'select tm.team_id, tm.subject from developers.team_member tm join developers.team t on t.id = tm.team_id where t.organization_id = ? order by tm.subject',
      ),
      apps: await q(
        'select id, name, description, redirect_uris, team_id, updated_at from developers.app where organization_id = ? order by id',
      ),
      invitations: await q('select id, email, status, role from developers.invitation where organization_id = ? order by id'),
    };
  }

  beforeAll(async () => {
    h = await startHarness();
    const org = await activeOrganization(h, owner);
    await join(h, org.id, member, 'MEMBER');
    const team = await createTeam(h, org.id, owner);
    await mutate(h, 'addTeamMember', M.addTeamMember, { teamId: team.id, subject: member.sub }, owner);
    const app = await createApp(h, org.id, member, { teamId: team.id, redirectUris: ['https://app.example.com/cb'] });
    const invitation = await invite(h, org.id, invitee.email!, owner);
    const [dev] = await sql(h, 'select id from developers.developer where subject = ?', [member.sub]);
    const otherOrg = await activeOrganization(h, outsider);
    await createTeam(h, otherOrg.id, outsider);
    await createApp(h, otherOrg.id, outsider);
    Object.assign(ids, {
      org: org.id,
      team: team.id,
      app: app.id,
      invitation: invitation.id,
      memberDeveloper: dev.id,
      otherOrg: otherOrg.id,
    });
    snapshotBefore = await snapshot(org.id);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Organization { id name } ... on Team { id name } ... on App { id name } ... on Invitation { id email } ... on Developer { id developerEmail: email } } }`;

  /** Queries by id: [name, query, variables, what the outsider gets]. */
  const queries: [string, string, () => Record<string, unknown>, (data: any) => unknown, unknown][] = [
    [
      'organization(id)',
      `query($id: ID!) { organization(id: $id) { id name apps { totalCount } teams { id } } }`,
      () => ({ id: ids.org }),
      (d) => d.organization,
      null,
    ],
    ['app(id)', `query($id: ID!) { app(id: $id) { id name redirectUris } }`, () => ({ id: ids.app }), (d) => d.app, null],
    [
      'apps(filter: { organizationId })',
      `query($id: ID!) { apps(filter: { organizationId: $id }) { totalCount edges { node { id } } } }`,
      () => ({ id: ids.org }),
      (d) => d.apps,
      { totalCount: 0, edges: [] },
    ],
    [
      'apps(filter: { teamId })',
      `query($id: ID!) { apps(filter: { teamId: $id }) { totalCount } }`,
      () => ({ id: ids.team }),
      (d) => d.apps,
      { totalCount: 0 },
    ],
    ['Organization reference', ENTITIES, () => ({ r: [{ __typename: 'Organization', id: ids.org }] }), (d) => d._entities, [null]],
    ['Team reference', ENTITIES, () => ({ r: [{ __typename: 'Team', id: ids.team }] }), (d) => d._entities, [null]],
    ['App reference', ENTITIES, () => ({ r: [{ __typename: 'App', id: ids.app }] }), (d) => d._entities, [null]],
    ['Invitation reference', ENTITIES, () => ({ r: [{ __typename: 'Invitation', id: ids.invitation }] }), (d) => d._entities, [null]],
    ['Developer reference', ENTITIES, () => ({ r: [{ __typename: 'Developer', id: ids.memberDeveloper }] }), (d) => d._entities, [null]],
  ];

  it.each(queries)('%s gives an outsider nothing', async (_name, query, variables, pick, expected) => {
    const response = await gql(h, query, variables(), outsider);
    expect(response.errors).toBeUndefined();
    expect(pick(response.data)).toEqual(expected);
  });

  it.each(queries)('%s gives the ORG_ADMIN and portal admins the data', async (_name, query, variables, pick, expected) => {
    for (const who of [owner, h.admin]) {
      const response = await gql(h, query, variables(), who);
      expect(response.errors).toBeUndefined();
      expect(pick(response.data)).not.toEqual(expected);
    }
  });

  /** Mutations with ids of the target organization: [name, input, needs ORG_ADMIN (a MEMBER is refused too)]. */
  const mutations: [MutationName, () => Record<string, unknown>, boolean][] = [
    ['inviteMember', () => ({ organizationId: ids.org, email: outsider.email, role: 'ORG_ADMIN' }), true],
    ['revokeInvitation', () => ({ invitationId: ids.invitation }), true],
    ['acceptInvitation', () => ({ invitationId: ids.invitation }), false], // not an ORG_ADMIN action: only the invitee may accept
    ['setMemberRole', () => ({ organizationId: ids.org, subject: member.sub, role: 'ORG_ADMIN' }), true],
    ['removeMember', () => ({ organizationId: ids.org, subject: member.sub }), true],
    ['createTeam', () => ({ organizationId: ids.org, name: 'Intruders' }), true],
    ['addTeamMember', () => ({ teamId: ids.team, subject: outsider.sub }), true],
    ['removeTeamMember', () => ({ teamId: ids.team, subject: member.sub }), true],
    ['deleteTeam', () => ({ id: ids.team }), true],
    ['createApp', () => ({ organizationId: ids.org, name: 'Intruder app' }), false],
    ['updateApp', () => ({ id: ids.app, name: 'Hijacked', redirectUris: ['https://evil.example.com/cb'] }), false],
    ['updateApp', () => ({ id: ids.app, teamId: null }), false],
    ['deleteApp', () => ({ id: ids.app }), true],
    ['approveOrganization', () => ({ id: ids.org }), true],
    ['rejectOrganization', () => ({ id: ids.org, reason: 'x' }), true],
    ['suspendOrganization', () => ({ id: ids.org, reason: 'x' }), true],
    ['reactivateOrganization', () => ({ id: ids.org }), true],
  ];

  /** The same input with every id replaced by one that does not exist. */
  function withUnknownIds(input: Record<string, unknown>): Record<string, unknown> {
    const targets = new Set([ids.org, ids.team, ids.app, ids.invitation]);
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, typeof v === 'string' && targets.has(v) ? UNKNOWN : v]));
  }

  it.each(mutations)('%s is FORBIDDEN to an outsider, with the same answer for unknown ids', async (name, input) => {
    const response = await call(h, name, input(), outsider);
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });

    const unknown = await call(h, name, withUnknownIds(input()), outsider);
    expect(unknown.data).toBeNull();
    expect(unknown.errors![0].message).toBe(response.errors![0].message);
    expect(unknown.errors![0].extensions?.code).toBe('FORBIDDEN');
  });

  it.each(mutations.filter(([, , adminOnly]) => adminOnly))('%s is FORBIDDEN to a plain MEMBER', async (name, input) => {
    const response = await call(h, name, input(), member);
    expect(codes(response, name)).toEqual(['FORBIDDEN']);
    expect(response.data).toBeNull();
  });

  it.each(mutations)('%s is UNAUTHENTICATED for anonymous callers', async (name, input) => {
    expect(codes(await call(h, name, input(), null), name)).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps ORG_ADMIN-only fields from plain MEMBERs', async () => {
    const response = await gql(
      h,
      `query($id: ID!) { organization(id: $id) { id members { subject } invitations { totalCount } decidedBy } }`,
      { id: ids.org },
      member,
    );
    expect(response.data.organization).toEqual({ id: ids.org, members: null, invitations: null, decidedBy: null });
    expect(response.errors?.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([
      ['organization.members', 'FORBIDDEN'],
      ['organization.invitations', 'FORBIDDEN'],
    ]);
    const entity = await gql(h, ENTITIES, { r: [{ __typename: 'Invitation', id: ids.invitation }] }, member);
    expect(entity.data._entities).toEqual([null]);
  });

  it('changed nothing in the target organization', async () => {
    expect(await snapshot(ids.org)).toEqual(snapshotBefore);
    // The outsider's own organization is untouched by all of the above as well, and is still theirs.
    const mine = await gql(h, `{ viewer { memberships { role organization { id } } } }`, {}, outsider as Identity);
    expect(mine.data.viewer.memberships).toEqual([{ role: 'ORG_ADMIN', organization: { id: ids.otherOrg } }]);
  });
});
