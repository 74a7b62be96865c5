import { randomUUID } from 'node:crypto';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { productsSubgraph } from '.';
import { developersSubgraph } from '../developers';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { Seed } from '../../test/kit/seed';

/**
 * Who sees what. Org A (alice ORG_ADMIN, carol MEMBER), org B (bob), team T of org A (carol only):
 *   PUB    PUBLIC               P1 (published), D (draft)
 *   PRIV_A PRIVATE → org A      P2, and P1 again
 *   PRIV_T PRIVATE → team T     P3
 *   (none)                      P0 (published, in no catalog)
 */
describe('products and catalogs visibility', () => {
  let products: RunningSubgraph;
  let developers: RunningSubgraph;
  const statements: string[] = [];
  const admin = portalAdmin();
  const alice = developer();
  const bob = developer();
  const carol = developer();
  const tag = unique('vis');
  const ids = {} as Record<'P0' | 'P1' | 'P2' | 'P3' | 'D' | 'PUB' | 'PRIV_A' | 'PRIV_T' | 'orgA' | 'orgB' | 'team', string>;

  let seed: Seed;

  async function ok(url: string, query: string, variables: Record<string, unknown>, as: Identity | null) {
    const r = await subgraphRequest(url, query, variables, as);
    expect(r.errors).toBeUndefined();
    return r.data;
  }

  /** P0, P1, …: products named after the suite's tag. */
  const createProduct = (name: string, status: string) =>
    seed.product({ slug: `${tag}-${name.toLowerCase()}`, name: `${tag} ${name}`, status });

  beforeAll(async () => {
    developers = await startSubgraph(developersSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    products = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0, onQuery: (sql) => statements.push(sql) });
    seed = new Seed({ products: products.url, developers: developers.url }, admin);

    ids.orgA = await seed.organization(alice.sub);
    ids.orgB = await seed.organization(bob.sub);
    // Teams have no API yet: rows straight into the developers tables.
    ids.team = randomUUID();
    const connection = developers.orm.em.getConnection();
    await connection.execute('insert into developers.team (id, organization_id, name) values (?, ?, ?)', [
      ids.team,
      ids.orgA,
      unique('team'),
    ]);
    await connection.execute('insert into developers.team_member (id, team_id, subject) values (?, ?, ?)', [
      randomUUID(),
      ids.team,
      carol.sub,
    ]);
    // Team members count only while they belong to the team's organization (developers' rule).
    await connection.execute(`insert into developers.organization_member (id, organization_id, subject, role) values (?, ?, ?, 'MEMBER')`, [
      randomUUID(),
      ids.orgA,
      carol.sub,
    ]);

    ids.P0 = await createProduct('P0', 'PUBLISHED');
    ids.P1 = await createProduct('P1', 'PUBLISHED');
    ids.P2 = await createProduct('P2', 'PUBLISHED');
    ids.P3 = await createProduct('P3', 'PUBLISHED');
    ids.D = await createProduct('D', 'DRAFT');
    ids.PUB = await seed.catalog({ name: `${tag} public`, productIds: [ids.P1, ids.D] });
    ids.PRIV_A = await seed.catalog({
      name: `${tag} org-a`,
      visibility: 'PRIVATE',
      organizationIds: [ids.orgA],
      productIds: [ids.P2, ids.P1],
    });
    ids.PRIV_T = await seed.catalog({ name: `${tag} team-t`, visibility: 'PRIVATE', teamIds: [ids.team], productIds: [ids.P3] });
  });
  afterAll(async () => {
    await products?.stop();
    await developers?.stop();
  });

  const name = (id: string) => Object.entries(ids).find(([, value]) => value === id)?.[0] ?? id;
  const names = (list: ({ id: string } | null)[]) => list.map((item) => (item ? name(item.id) : null));

  async function productsSeen(as: Identity | null) {
    const data = await ok(
      products.url,
      `query($s: String) { products(first: 50, filter: { search: $s }) { totalCount edges { node { id } } } }`,
      { s: tag },
      as,
    );
    expect(data.products.totalCount).toBe(data.products.edges.length);
    return names(data.products.edges.map((e: { node: { id: string } }) => e.node));
  }

  async function catalogsSeen(as: Identity | null) {
    const data = await ok(
      products.url,
      `query($s: String) { catalogs(first: 50, filter: { search: $s }) { totalCount edges { node { id } } } }`,
      { s: tag },
      as,
    );
    expect(data.catalogs.totalCount).toBe(data.catalogs.edges.length);
    return names(data.catalogs.edges.map((e: { node: { id: string } }) => e.node));
  }

  async function productsByIdSeen(as: Identity | null) {
    const seen: string[] = [];
    for (const key of ['P0', 'P1', 'P2', 'P3', 'D'] as const) {
      const data = await ok(products.url, `query($id: ID) { product(id: $id) { id } }`, { id: ids[key] }, as);
      const bySlug = await ok(
        products.url,
        `query($slug: String) { product(slug: $slug) { id } }`,
        { slug: `${tag}-${key.toLowerCase()}` },
        as,
      );
      expect(bySlug.product).toEqual(data.product);
      if (data.product) seen.push(key);
    }
    return seen;
  }

  async function catalogsByIdSeen(as: Identity | null) {
    const seen: string[] = [];
    for (const key of ['PUB', 'PRIV_A', 'PRIV_T'] as const) {
      const data = await ok(products.url, `query($id: ID!) { catalog(id: $id) { id } }`, { id: ids[key] }, as);
      if (data.catalog) seen.push(key);
    }
    return seen;
  }

  async function entitiesSeen(as: Identity | null) {
    const data = await ok(
      products.url,
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id } ... on Catalog { id } } }`,
      {
        representations: [
          ...(['P0', 'P1', 'P2', 'P3', 'D'] as const).map((key) => ({ __typename: 'Product', id: ids[key] })),
          ...(['PUB', 'PRIV_A', 'PRIV_T'] as const).map((key) => ({ __typename: 'Catalog', id: ids[key] })),
          { __typename: 'Product', id: 'not-a-uuid' },
          { __typename: 'Catalog', id: randomUUID() },
        ],
      },
      as,
    );
    return names(data._entities).filter((n) => n !== null);
  }

  const cases: [string, () => Identity | null, string[], string[]][] = [
    ['anonymous', () => null, ['P1'], ['PUB']],
    ['alice (ORG_ADMIN of org A)', () => alice, ['P1', 'P2'], ['PUB', 'PRIV_A']],
    ['carol (member of org A, in team T)', () => carol, ['P1', 'P2', 'P3'], ['PUB', 'PRIV_A', 'PRIV_T']],
    ['bob (org B)', () => bob, ['P1'], ['PUB']],
    ['a developer of no organization', () => developer(), ['P1'], ['PUB']],
    ['a portal admin', () => admin, ['P0', 'P1', 'P2', 'P3', 'D'], ['PUB', 'PRIV_A', 'PRIV_T']],
  ];

  it.each(cases)('%s sees exactly the products and catalogs meant for them', async (_who, identity, expectedProducts, expectedCatalogs) => {
    const as = identity();
    expect(await productsSeen(as)).toEqual(expectedProducts);
    expect(await productsByIdSeen(as)).toEqual(expectedProducts);
    expect(await catalogsSeen(as)).toEqual(expectedCatalogs);
    expect(await catalogsByIdSeen(as)).toEqual(expectedCatalogs);
    expect(await entitiesSeen(as)).toEqual([...expectedProducts, ...expectedCatalogs]);
  });

  it('lists only visible catalogs of a product and only visible products of a catalog', async () => {
    const q = `query($id: ID) { product(id: $id) { catalogs { id } } }`;
    expect(names((await ok(products.url, q, { id: ids.P1 }, null)).product.catalogs)).toEqual(['PUB']);
    expect(names((await ok(products.url, q, { id: ids.P1 }, alice)).product.catalogs)).toEqual(['PUB', 'PRIV_A']);
    expect(names((await ok(products.url, q, { id: ids.P1 }, bob)).product.catalogs)).toEqual(['PUB']);
    expect(names((await ok(products.url, q, { id: ids.P1 }, admin)).product.catalogs)).toEqual(['PUB', 'PRIV_A']);

    const c = `query($id: ID!) { catalog(id: $id) { products { totalCount edges { node { id } } } } }`;
    const productsOf = async (catalog: string, as: Identity | null) => {
      const data = await ok(products.url, c, { id: catalog }, as);
      expect(data.catalog.products.totalCount).toBe(data.catalog.products.edges.length);
      return names(data.catalog.products.edges.map((e: { node: { id: string } }) => e.node));
    };
    expect(await productsOf(ids.PUB, null)).toEqual(['P1']);
    expect(await productsOf(ids.PUB, admin)).toEqual(['P1', 'D']);
    expect(await productsOf(ids.PRIV_A, alice)).toEqual(['P1', 'P2']);
    expect(await productsOf(ids.PRIV_T, carol)).toEqual(['P3']);

    // Filtering by a catalog the caller may not see reveals nothing.
    const f = `query($c: ID) { products(filter: { catalogId: $c }) { totalCount edges { node { id } } } }`;
    expect((await ok(products.url, f, { c: ids.PRIV_T }, alice)).products).toEqual({ totalCount: 0, edges: [] });
    expect(
      names((await ok(products.url, f, { c: ids.PRIV_T }, carol)).products.edges.map((e: { node: { id: string } }) => e.node)),
    ).toEqual(['P3']);
    expect(
      names((await ok(products.url, f, { c: ids.PRIV_A }, alice)).products.edges.map((e: { node: { id: string } }) => e.node)),
    ).toEqual(['P1', 'P2']);
  });

  it('shows a catalog audience to portal admins only (FORBIDDEN on that field for everyone else)', async () => {
    const q = `query($id: ID!) { catalog(id: $id) { id name audience { organizationId teamId } } }`;
    const asAdmin = await ok(products.url, q, { id: ids.PRIV_A }, admin);
    expect(asAdmin.catalog.audience).toEqual([{ organizationId: ids.orgA, teamId: null }]);
    const teamAudience = await ok(products.url, q, { id: ids.PRIV_T }, admin);
    expect(teamAudience.catalog.audience).toEqual([{ organizationId: null, teamId: ids.team }]);

    for (const [as, catalog] of [
      [alice, ids.PRIV_A],
      [null, ids.PUB],
    ] as const) {
      const r = await subgraphRequest(products.url, q, { id: catalog }, as);
      expect(r.data.catalog).toEqual({ id: catalog, name: expect.any(String), audience: null });
      expect(r.errors).toEqual([
        expect.objectContaining({ path: ['catalog', 'audience'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
      ]);
    }
  });

  it('hides a private catalog again when the audience changes', async () => {
    const U = `mutation($input: UpdateCatalogInput!) { updateCatalog(input: $input) { errors { code field } } }`;
    expect(
      (await ok(products.url, U, { input: { id: ids.PRIV_A, audience: { organizationIds: [ids.orgB] } } }, admin)).updateCatalog.errors,
    ).toEqual([]);
    try {
      expect(await productsSeen(alice)).toEqual(['P1']);
      expect(await productsSeen(bob)).toEqual(['P1', 'P2']);
      expect(await catalogsSeen(bob)).toEqual(['PUB', 'PRIV_A']);
    } finally {
      await ok(products.url, U, { input: { id: ids.PRIV_A, audience: { organizationIds: [ids.orgA] } } }, admin);
    }
    expect(await productsSeen(alice)).toEqual(['P1', 'P2']);
  });

  describe('batching: SQL statements per request do not grow with list sizes', () => {
    const batchTag = unique('batch');
    let catalogs: string[] = [];

    beforeAll(async () => {
      catalogs = [
        await seed.catalog({ name: `${batchTag} c1` }),
        await seed.catalog({ name: `${batchTag} c2`, visibility: 'PRIVATE', organizationIds: [ids.orgA] }),
      ];
      for (let i = 0; i < 10; i++) await seed.product({ slug: `${batchTag}-${i}`, catalogIds: catalogs });
    });

    async function countStatements(query: string, variables: Record<string, unknown>, as: Identity | null) {
      statements.length = 0;
      const data = await ok(products.url, query, variables, as);
      return { count: statements.length, data };
    }

    const PRODUCTS = `query($s: String) { products(first: 20, filter: { search: $s }) { totalCount edges { node { id catalogs { id } } } } }`;

    it.each([
      ['anonymous', (): Identity | null => null, 1],
      ['alice', (): Identity | null => alice, 2],
      ['a portal admin', (): Identity | null => admin, 2],
    ] as const)('products { catalogs } as %s', async (_who, identity, catalogsEach) => {
      const one = await countStatements(PRODUCTS, { s: `${batchTag}-3` }, identity());
      const ten = await countStatements(PRODUCTS, { s: batchTag }, identity());
      expect(one.data.products.edges).toHaveLength(1);
      expect(ten.data.products.edges).toHaveLength(10);
      for (const edge of ten.data.products.edges) expect(edge.node.catalogs).toHaveLength(catalogsEach);
      expect(ten.count).toBe(one.count);
      expect(one.count).toBeLessThanOrEqual(4);
    });

    it('catalogs { products { catalogs } } and _entities', async () => {
      const CATALOGS = `query($s: String) { catalogs(first: 20, filter: { search: $s }) { edges { node { id audience { organizationId } products(first: 5) { totalCount edges { node { id catalogs { id } } } } } } } }`;
      const one = await countStatements(CATALOGS, { s: `${batchTag} c1` }, admin);
      const two = await countStatements(CATALOGS, { s: batchTag }, admin);
      expect(one.data.catalogs.edges).toHaveLength(1);
      expect(two.data.catalogs.edges).toHaveLength(2);
      expect(two.data.catalogs.edges[1].node.products.totalCount).toBe(10);
      expect(two.count).toBe(one.count);

      const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id catalogs { id } } ... on Catalog { id } } }`;
      const all = await ok(
        products.url,
        `query($s: String) { products(first: 20, filter: { search: $s }) { edges { node { id } } } }`,
        { s: batchTag },
        admin,
      );
      const productIds: string[] = all.products.edges.map((e: { node: { id: string } }) => e.node.id);
      const single = await countStatements(
        ENTITIES,
        {
          r: [
            { __typename: 'Product', id: productIds[0] },
            { __typename: 'Catalog', id: catalogs[0] },
          ],
        },
        alice,
      );
      const many = await countStatements(
        ENTITIES,
        { r: [...productIds.map((id) => ({ __typename: 'Product', id })), ...catalogs.map((id) => ({ __typename: 'Catalog', id }))] },
        alice,
      );
      expect(many.data._entities).toHaveLength(12);
      expect(many.count).toBe(single.count);
    });
  });
});
