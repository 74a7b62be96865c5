import {
  activeOrganization,
  createApp,
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

/** SQL statements per request do not grow with list sizes (references, nested lists). */
describe('developers: batching', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const selects = () => h.queries.filter((q) => /^\s*(select|with)\b/i.test(q));
  const touching = (table: string) => h.queries.filter((q) => new RegExp(`"?developers"?\\."?${table}"?(?![_a-z])`).test(q));

  /** An organization with `owner` as ORG_ADMIN, one MEMBER in a team, two apps and an invitation. */
  async function populatedOrganization(owner: Identity, tag: string) {
    const org = await activeOrganization(h, owner, `${tag}-${unique('o')}`);
    const member = developer();
    await join(h, org.id, member, 'MEMBER');
    const team = await createTeam(h, org.id, owner);
    await mutate(h, 'addTeamMember', M.addTeamMember, { teamId: team.id, subject: member.sub }, owner);
    const apps = [await createApp(h, org.id, member, { teamId: team.id }), await createApp(h, org.id, owner)];
    const invitation = await invite(h, org.id, `${unique('inv')}@example.com`, owner);
    return { org, member, team, apps, invitation };
  }

  it('resolves 5 references of each entity type with one statement per type, applying the read rules', async () => {
    const owner = developer();
    const orgs = [];
    for (let i = 0; i < 5; i++) orgs.push(await populatedOrganization(owner, unique('ref')));
    const developerIds = (await sql(h, 'select id from developers.developer where subject in (?)', [orgs.map((o) => o.member.sub)])).map(
      (r) => r.id,
    );

    const cases: [string, string, string[]][] = [
      ['Developer', 'developer', developerIds],
      ['Team', 'team', orgs.map((o) => o.team.id)],
      ['App', 'app', orgs.map((o) => o.apps[0].id)],
      ['Invitation', 'invitation', orgs.map((o) => o.invitation.id)],
    ];
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Developer { id } ... on Team { id } ... on App { id } ... on Invitation { id } } }`;
    for (const [typename, table, keys] of cases) {
      for (const who of [owner, h.admin]) {
        h.queries.length = 0;
        const response = await gql(h, q, { r: keys.map((id) => ({ __typename: typename, id })) }, who);
        expect(response.errors).toBeUndefined();
        expect(response.data._entities).toEqual(keys.map((id) => ({ __typename: typename, id })));
        expect({ typename, statements: touching(table).length }).toEqual({ typename, statements: 1 });
        expect({ typename, statements: h.queries.length }).toEqual({ typename, statements: 1 });
      }
      // A stranger gets nulls, still in one statement (or none).
      h.queries.length = 0;
      const stranger = await gql(h, q, { r: keys.map((id) => ({ __typename: typename, id })) }, developer());
      expect(stranger.data._entities).toEqual(keys.map(() => null));
      expect(h.queries.length).toBeLessThanOrEqual(1);
    }
  });

  it('answers organizations { members teams apps invitations } with the same number of statements for 1 and 5 organizations', async () => {
    const query = `query($search: String) {
      organizations(first: 10, filter: { search: $search }) {
        totalCount
        edges { node {
          id viewerRole decidedBy
          members { subject role developer { displayName } organization { id } }
          teams { id name organization { id } members { subject developer { displayName } } }
          apps(first: 10) { totalCount edges { node { id name organization { id } team { id name } } } }
          invitations(first: 10, status: [PENDING]) { totalCount edges { node { id status inviter { id } organization { id } } } }
        } }
      }
    }`;
    const counts: number[] = [];
    for (const size of [1, 5]) {
      const owner = developer();
      const tag = unique(`n${size}`);
      for (let i = 0; i < size; i++) await populatedOrganization(owner, tag);
      for (const who of [owner, h.admin]) {
        h.queries.length = 0;
        const response = await gql(h, query, { search: tag }, who);
        expect(response.errors).toBeUndefined();
        const nodes = response.data.organizations.edges.map((e: any) => e.node);
        expect(nodes).toHaveLength(size);
        for (const node of nodes) {
          expect(node.members).toHaveLength(2);
          expect(node.teams[0].members).toHaveLength(1);
          expect(node.apps.totalCount).toBe(2);
          expect(node.apps.edges[0].node.team).not.toBeNull();
          expect(node.invitations.totalCount).toBe(1);
        }
        counts.push(selects().length);
      }
    }
    // [owner with 1, admin with 1, owner with 5, admin with 5]
    expect(counts[2]).toBe(counts[0]);
    expect(counts[3]).toBe(counts[1]);
    expect(counts[0]).toBeLessThanOrEqual(16);
  });
});
