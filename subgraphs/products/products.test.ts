import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { productsSubgraph } from '.';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest } from '../../test/helpers/graphql';

const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id slug name status } errors { code field message } }
}`;

describe('products subgraph', () => {
  let subgraph: RunningSubgraph;
  beforeAll(async () => {
    subgraph = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
  });
  afterAll(async () => {
    await subgraph?.stop();
  });

  it('creates a product for a portal admin and reads it back by id and slug', async () => {
    const slug = unique('payments');
    const created = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'Payments', status: 'PUBLISHED' } }, portalAdmin());
    expect(created.errors).toBeUndefined();
    expect(created.data.createProduct.errors).toEqual([]);
    const { id } = created.data.createProduct.product;
    const byId = await subgraphRequest(subgraph.url, `query($id: ID) { product(id: $id) { slug } }`, { id }, null);
    expect(byId.data.product).toEqual({ slug });
    const bySlug = await subgraphRequest(subgraph.url, `query($slug: String) { product(slug: $slug) { id } }`, { slug }, developer());
    expect(bySlug.data.product).toEqual({ id });
  });

  it('refuses anonymous callers and developers with typed errors, writing nothing', async () => {
    const slug = unique('nope');
    const anonymous = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'X' } }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const dev = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'X' } }, developer());
    expect(dev.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const read = await subgraphRequest(subgraph.url, `query($slug: String) { product(slug: $slug) { id } }`, { slug }, portalAdmin());
    expect(read.data.product).toBeNull();
  });

  it('ignores claims that are not signed by the gateway', async () => {
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: CREATE,
        variables: { input: { slug: unique('forged'), name: 'Forged' } },
        extensions: { plangraph: { claims: JSON.stringify({ sub: 'mallory', roles: ['portal_admin'] }), requestId: 'r1', sig: 'forged' } },
      }),
    });
    const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
    expect(body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('returns validation and duplicate-slug failures as typed payload errors', async () => {
    const admin = portalAdmin();
    const bad = await subgraphRequest(subgraph.url, CREATE, { input: { slug: 'Not A Slug', name: '' } }, admin);
    expect(bad.data.createProduct.product).toBeNull();
    expect(bad.data.createProduct.errors.map((e: { field: string }) => e.field).sort()).toEqual(['input.name', 'input.slug']);
    expect(bad.data.createProduct.errors[0].code).toBe('VALIDATION_FAILED');

    const slug = unique('dup');
    await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'First' } }, admin);
    const dup = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'Second' } }, admin);
    expect(dup.data.createProduct.errors).toEqual([
      { code: 'ALREADY_EXISTS', field: 'input.slug', message: expect.stringContaining('slug') },
    ]);
  });

  it('shows drafts to portal admins only and pages with cursors', async () => {
    const admin = portalAdmin();
    const tag = unique('page');
    for (let i = 0; i < 3; i++) {
      await subgraphRequest(subgraph.url, CREATE, { input: { slug: `${tag}-${i}`, name: `P${i}`, status: i === 1 ? 'DRAFT' : 'PUBLISHED' } }, admin);
    }
    const q = `query($after: String, $search: String) { products(first: 1, after: $after, filter: { search: $search }) { totalCount edges { node { slug } } pageInfo { hasNextPage endCursor } } }`;
    const asDeveloper = await subgraphRequest(subgraph.url, q, { search: tag }, developer());
    expect(asDeveloper.data.products.totalCount).toBe(2);
    const first = await subgraphRequest(subgraph.url, q, { search: tag }, admin);
    expect(first.data.products.totalCount).toBe(3);
    expect(first.data.products.edges[0].node.slug).toBe(`${tag}-0`);
    const second = await subgraphRequest(subgraph.url, q, { search: tag, after: first.data.products.pageInfo.endCursor }, admin);
    expect(second.data.products.edges[0].node.slug).toBe(`${tag}-1`);
    expect(second.data.products.pageInfo.hasNextPage).toBe(true);
    const badCursor = await subgraphRequest(subgraph.url, q, { search: tag, after: 'garbage' }, admin);
    expect(badCursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('serves /healthz and /readyz', async () => {
    const base = subgraph.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });
});
