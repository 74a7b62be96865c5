import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { developersSubgraph } from '.';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { Seed } from '../../test/kit/seed';

const CREATE = `mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { id name slug status createdBy } errors { code field message } }
}`;

/** SQL statements that read or write a table (not the view, not the other table). */
const ORGANIZATION_TABLE = /"developers"\."organization"(?!_)/;
const MEMBER_TABLE = /"developers"\."organization_member"/;

describe('developers subgraph', () => {
  let subgraph: RunningSubgraph;
  let seed: Seed;
  const queries: string[] = [];
  const admin = portalAdmin();

  beforeAll(async () => {
    subgraph = await startSubgraph(developersSubgraph, {
      databaseUrl: testDatabaseUrl(),
      port: 0,
      onQuery: (sql) => queries.push(sql),
    });
    seed = new Seed({ developers: subgraph.url }, admin);
  });
  afterAll(async () => {
    await subgraph?.stop();
  });

  /** An organization to look at (the first test covers what createOrganization itself returns). */
  async function createOrganization(options: { slug?: string; adminSubject?: string } = {}) {
    const slug = options.slug ?? unique('org');
    return { id: await seed.organization(options.adminSubject, { slug }), slug };
  }

  /** Test fixture: adds a member directly in SQL (members.test.ts covers invitations). */
  async function addMember(organizationId: string, subject: string, role: 'ORG_ADMIN' | 'MEMBER') {
    await subgraph.orm.em
      .getConnection()
      .execute('insert into developers.organization_member (id, organization_id, subject, role) values (gen_random_uuid(), ?, ?, ?)', [
        organizationId,
        subject,
        role,
      ]);
  }

  async function contractRows(organizationId: string) {
    return subgraph.orm.em
      .getConnection()
      .execute<{ organization_id: string; subject: string; role: string; organization_status: string }[]>(
        'select organization_id, subject, role, organization_status from developers.membership_contract where organization_id = ? order by subject',
        [organizationId],
      );
  }

  it('lets a portal admin create an ACTIVE organization whose admin subject becomes ORG_ADMIN', async () => {
    const owner = developer();
    const slug = unique('acme');
    const created = await subgraphRequest(subgraph.url, CREATE, { input: { name: '  Acme Corp ', slug, adminSubject: owner.sub } }, admin);
    expect(created.errors).toBeUndefined();
    expect(created.data.createOrganization.errors).toEqual([]);
    const org = created.data.createOrganization.organization;
    expect(org).toMatchObject({ name: 'Acme Corp', slug, status: 'ACTIVE', createdBy: admin.sub });

    const asOwner = await subgraphRequest(
      subgraph.url,
      `query($id: ID!) { organization(id: $id) { slug createdBy viewerRole members { subject role organization { id } } } }`,
      { id: org.id },
      owner,
    );
    expect(asOwner.errors).toBeUndefined();
    expect(asOwner.data.organization).toEqual({
      slug,
      createdBy: null,
      viewerRole: 'ORG_ADMIN',
      members: [{ subject: owner.sub, role: 'ORG_ADMIN', organization: { id: org.id } }],
    });
  });

  it('publishes memberships in developers.membership_contract', async () => {
    const owner = developer();
    const org = await createOrganization({ adminSubject: owner.sub });
    expect(await contractRows(org.id)).toEqual([
      { organization_id: org.id, subject: owner.sub, role: 'ORG_ADMIN', organization_status: 'ACTIVE' },
    ]);
  });

  it('refuses anonymous callers and developers, writing nothing', async () => {
    const slug = unique('nope');
    const input = { slug, name: 'Nope', adminSubject: 'someone' };
    const anonymous = await subgraphRequest(subgraph.url, CREATE, { input }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const dev = await subgraphRequest(subgraph.url, CREATE, { input }, developer());
    expect(dev.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const rows = await subgraph.orm.em
      .getConnection()
      .execute<{ n: string }[]>('select count(*) as n from developers.organization where slug = ?', [slug]);
    expect(Number(rows[0].n)).toBe(0);
  });

  it('returns validation failures per field and ALREADY_EXISTS for a taken slug, writing nothing', async () => {
    const bad = await subgraphRequest(subgraph.url, CREATE, { input: { slug: 'Not A Slug', name: '  ', adminSubject: '   ' } }, admin);
    expect(bad.errors).toBeUndefined();
    expect(bad.data.createOrganization.organization).toBeNull();
    const errors = bad.data.createOrganization.errors as { code: string; field: string }[];
    expect(errors.map((e) => e.field).sort()).toEqual(['input.adminSubject', 'input.name', 'input.slug']);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['VALIDATION_FAILED']));

    const tooLong = await subgraphRequest(subgraph.url, CREATE, { input: { slug: 'a'.repeat(65), name: 'x'.repeat(121) } }, admin);
    expect(tooLong.data.createOrganization.errors.map((e: { field: string }) => e.field).sort()).toEqual(['input.name', 'input.slug']);

    const slug = unique('dup');
    const first = await createOrganization({ slug });
    const latecomer = developer();
    const dup = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'Second', adminSubject: latecomer.sub } }, admin);
    expect(dup.data.createOrganization).toEqual({
      organization: null,
      errors: [{ code: 'ALREADY_EXISTS', field: 'input.slug', message: expect.stringContaining('slug') }],
    });
    // The failed attempt's membership was rolled back with it.
    const rows = await subgraph.orm.em
      .getConnection()
      .execute<{ n: string }[]>('select count(*) as n from developers.membership_contract where subject = ?', [latecomer.sub]);
    expect(Number(rows[0].n)).toBe(0);
    expect(await contractRows(first.id)).toEqual([]);
  });

  it('returns a null viewer for anonymous callers and a member’s organizations with roles', async () => {
    const anonymous = await subgraphRequest(subgraph.url, `{ viewer { subject } }`, {}, null);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data.viewer).toBeNull();

    const me: Identity = developer();
    const a = await createOrganization({ adminSubject: me.sub });
    const b = await createOrganization();
    await addMember(b.id, me.sub, 'MEMBER');
    await createOrganization(); // not mine

    const viewer = await subgraphRequest(
      subgraph.url,
      `{ viewer { subject email roles isPortalAdmin memberships { role since organization { id slug viewerRole } } } }`,
      {},
      me,
    );
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data.viewer).toMatchObject({ subject: me.sub, email: me.email, roles: [], isPortalAdmin: false });
    expect(viewer.data.viewer.memberships).toEqual([
      { role: 'ORG_ADMIN', since: expect.any(String), organization: { id: a.id, slug: a.slug, viewerRole: 'ORG_ADMIN' } },
      { role: 'MEMBER', since: expect.any(String), organization: { id: b.id, slug: b.slug, viewerRole: 'MEMBER' } },
    ]);

    const asAdmin = await subgraphRequest(subgraph.url, `{ viewer { roles isPortalAdmin memberships { role } } }`, {}, admin);
    expect(asAdmin.data.viewer).toEqual({ roles: ['portal_admin'], isPortalAdmin: true, memberships: [] });
  });

  it('lists only the caller’s organizations to developers and all of them to portal admins', async () => {
    const tag = unique('list');
    const alice = developer();
    const orgA = await createOrganization({ slug: `${tag}-a`, adminSubject: alice.sub });
    const orgB = await createOrganization({ slug: `${tag}-b`, adminSubject: developer().sub });
    const q = `query($search: String, $status: [OrganizationStatus!]) {
      organizations(first: 10, filter: { search: $search, status: $status }) { totalCount edges { node { id createdBy } } }
    }`;

    const asAlice = await subgraphRequest(subgraph.url, q, { search: tag }, alice);
    expect(asAlice.errors).toBeUndefined();
    expect(asAlice.data.organizations).toEqual({ totalCount: 1, edges: [{ node: { id: orgA.id, createdBy: null } }] });

    const asAdmin = await subgraphRequest(subgraph.url, q, { search: tag }, admin);
    expect(asAdmin.data.organizations.totalCount).toBe(2);
    expect(asAdmin.data.organizations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([orgA.id, orgB.id]);
    expect(asAdmin.data.organizations.edges[0].node.createdBy).toBe(admin.sub);

    const suspended = await subgraphRequest(subgraph.url, q, { search: tag, status: ['SUSPENDED'] }, admin);
    expect(suspended.data.organizations.totalCount).toBe(0);

    const anonymous = await subgraphRequest(subgraph.url, q, { search: tag }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('hides other organizations from organization(id) without a hint that they exist', async () => {
    const alice = developer();
    const orgA = await createOrganization({ adminSubject: alice.sub });
    const orgB = await createOrganization({ adminSubject: developer().sub });
    const q = `query($id: ID!) { organization(id: $id) { id } }`;

    expect((await subgraphRequest(subgraph.url, q, { id: orgA.id }, alice)).data.organization).toEqual({ id: orgA.id });
    for (const id of [orgB.id, '00000000-0000-4000-8000-000000000000']) {
      const hidden = await subgraphRequest(subgraph.url, q, { id }, alice);
      expect(hidden).toEqual({ data: { organization: null } });
    }
    // A malformed id is refused by the input boundary (common/input-boundary.ts).
    expect((await subgraphRequest(subgraph.url, q, { id: 'not-a-uuid' }, alice)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'id',
    });
    expect((await subgraphRequest(subgraph.url, q, { id: orgB.id }, null)).data.organization).toBeNull();
    expect((await subgraphRequest(subgraph.url, q, { id: orgB.id }, admin)).data.organization).toEqual({ id: orgB.id });
  });

  it('shows members to ORG_ADMINs and portal admins and refuses plain MEMBERs with FORBIDDEN', async () => {
    const owner = developer();
    const member = developer();
    const org = await createOrganization({ adminSubject: owner.sub });
    await addMember(org.id, member.sub, 'MEMBER');
    const q = `query($id: ID!) { organization(id: $id) { id viewerRole members { subject role } } }`;

    const asMember = await subgraphRequest(subgraph.url, q, { id: org.id }, member);
    expect(asMember.errors).toHaveLength(1);
    expect(asMember.errors?.[0]).toMatchObject({ path: ['organization', 'members'], extensions: { code: 'FORBIDDEN' } });
    expect(asMember.data.organization).toEqual({ id: org.id, viewerRole: 'MEMBER', members: null });

    const expected = [
      { subject: owner.sub, role: 'ORG_ADMIN' },
      { subject: member.sub, role: 'MEMBER' },
    ];
    const asOwner = await subgraphRequest(subgraph.url, q, { id: org.id }, owner);
    expect(asOwner.errors).toBeUndefined();
    expect(asOwner.data.organization.members).toEqual(expected);

    const asAdmin = await subgraphRequest(subgraph.url, q, { id: org.id }, admin);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data.organization).toEqual({ id: org.id, viewerRole: null, members: expected });
  });

  it('batches members and viewerRole over a list of organizations', async () => {
    const tag = unique('batch');
    const owner = developer();
    for (let i = 0; i < 4; i++) {
      const org = await createOrganization({ slug: `${tag}-${i}`, adminSubject: owner.sub });
      await addMember(org.id, developer().sub, 'MEMBER');
    }
    queries.length = 0;
    const result = await subgraphRequest(
      subgraph.url,
      `query($search: String) { organizations(first: 10, filter: { search: $search }) { edges { node { id viewerRole members { subject role } } } } }`,
      { search: tag },
      owner,
    );
    expect(result.errors).toBeUndefined();
    const nodes = result.data.organizations.edges.map((e: { node: { viewerRole: string; members: unknown[] } }) => e.node);
    expect(nodes).toHaveLength(4);
    for (const node of nodes) {
      expect(node.viewerRole).toBe('ORG_ADMIN');
      expect(node.members).toHaveLength(2);
    }
    // One page select (joined with memberships for visibility), one for the caller's roles, one for all members.
    expect(queries.filter((sql) => /^\s*select/i.test(sql))).toHaveLength(3);
  });

  it('resolves 5 Organization references with one SQL statement and the same visibility rule', async () => {
    const me = developer();
    const orgs = [];
    for (let i = 0; i < 5; i++) orgs.push(await createOrganization({ adminSubject: i < 3 ? me.sub : developer().sub }));
    const q = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Organization { id slug } } }`;
    const representations = orgs.map((o) => ({ __typename: 'Organization', id: o.id }));

    queries.length = 0;
    const asMe = await subgraphRequest(subgraph.url, q, { representations }, me);
    expect(asMe.errors).toBeUndefined();
    expect(asMe.data._entities).toEqual(orgs.map((o, i) => (i < 3 ? { id: o.id, slug: o.slug } : null)));
    expect(queries.filter((sql) => ORGANIZATION_TABLE.test(sql))).toHaveLength(1);

    queries.length = 0;
    const asAdmin = await subgraphRequest(subgraph.url, q, { representations }, admin);
    expect(asAdmin.data._entities).toEqual(orgs.map((o) => ({ id: o.id, slug: o.slug })));
    expect(queries.filter((sql) => ORGANIZATION_TABLE.test(sql))).toHaveLength(1);
    expect(queries.filter((sql) => MEMBER_TABLE.test(sql))).toHaveLength(0);

    queries.length = 0;
    const anonymous = await subgraphRequest(subgraph.url, q, { representations }, null);
    expect(anonymous.data._entities).toEqual(orgs.map(() => null));
    expect(queries).toHaveLength(0);
  });
});
