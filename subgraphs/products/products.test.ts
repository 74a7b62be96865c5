import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { productsSubgraph } from '.';
import { developersSubgraph } from '../developers';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';

const PRODUCT_FIELDS = `id slug name displayName description descriptionHtml tykApiIds tags customFields { key value }
  documentation { format markdown html url } status version catalogs { id name } createdAt updatedAt`;

const CREATE = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { ${PRODUCT_FIELDS} } errors { code field message } }
}`;
const UPDATE = `mutation($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { ${PRODUCT_FIELDS} } errors { code field message } }
}`;
const ARCHIVE = `mutation($input: ArchiveProductInput!) {
  archiveProduct(input: $input) { product { id status version } errors { code field message } }
}`;
const CREATE_CATALOG = `mutation($input: CreateCatalogInput!) {
  createCatalog(input: $input) { catalog { id name visibility } errors { code field message } }
}`;
const UPDATE_CATALOG = `mutation($input: UpdateCatalogInput!) {
  updateCatalog(input: $input) { catalog { id name visibility description descriptionHtml updatedAt } errors { code field message } }
}`;

describe('products subgraph', () => {
  let subgraph: RunningSubgraph;
  let developers: RunningSubgraph;
  const admin = portalAdmin();
  let publicCatalogId: string;

  beforeAll(async () => {
    developers = await startSubgraph(developersSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    subgraph = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    publicCatalogId = (await createCatalog({ name: unique('Public'), visibility: 'PUBLIC' })).id;
  });
  afterAll(async () => {
    await subgraph?.stop();
    await developers?.stop();
  });

  function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return subgraph.orm.em.getConnection().execute<T[]>(text, params);
  }

  /** The queued sync job of a product, if any (the `graphile_worker.jobs` view has no payload column). */
  function productJobs(productId: string) {
    return sql<{ task_identifier: string; payload: { productId: string }; key: string }>(
      `select t.identifier as task_identifier, j.payload, j.key
         from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where j.key = ?`,
      [`product:${productId}`],
    );
  }

  async function forgetJob(productId: string) {
    await sql('select graphile_worker.remove_job(?)', [`product:${productId}`]);
    expect(await productJobs(productId)).toEqual([]);
  }

  async function expectJob(productId: string) {
    expect(await productJobs(productId)).toEqual([
      { task_identifier: 'provider.syncProduct', payload: { productId }, key: `product:${productId}` },
    ]);
  }

  async function createProduct(input: Record<string, unknown> = {}, as: Identity = admin) {
    const slug = unique('prod');
    const response = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: `Product ${slug}`, ...input } }, as);
    expect(response.errors).toBeUndefined();
    expect(response.data.createProduct.errors).toEqual([]);
    return response.data.createProduct.product;
  }

  async function createCatalog(input: Record<string, unknown>) {
    const response = await subgraphRequest(subgraph.url, CREATE_CATALOG, { input }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data.createCatalog.errors).toEqual([]);
    return response.data.createCatalog.catalog as { id: string; name: string; visibility: string };
  }

  async function update(input: Record<string, unknown>) {
    const response = await subgraphRequest(subgraph.url, UPDATE, { input }, admin);
    expect(response.errors).toBeUndefined();
    return response.data.updateProduct;
  }

  it('creates a product for a portal admin and reads it back by id and slug', async () => {
    const slug = unique('payments');
    const created = await subgraphRequest(
      subgraph.url,
      CREATE,
      { input: { slug, name: 'Payments', status: 'PUBLISHED', tykApiIds: ['payments-v1'], catalogIds: [publicCatalogId] } },
      portalAdmin(),
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createProduct.errors).toEqual([]);
    const { id } = created.data.createProduct.product;
    const byId = await subgraphRequest(subgraph.url, `query($id: ID) { product(id: $id) { slug } }`, { id }, null);
    expect(byId.data.product).toEqual({ slug });
    const bySlug = await subgraphRequest(subgraph.url, `query($slug: String) { product(slug: $slug) { id } }`, { slug }, developer());
    expect(bySlug.data.product).toEqual({ id });
  });

  it('stores and returns every product field', async () => {
    const slug = unique('full');
    const catalog = await createCatalog({ name: unique('Full'), visibility: 'PUBLIC' });
    const response = await subgraphRequest(
      subgraph.url,
      CREATE,
      {
        input: {
          slug,
          name: '  Internal name ',
          displayName: 'Payments API',
          description: '# Pay\n\n<script>alert(1)</script> [x](javascript:alert(1))',
          tykApiIds: ['api-1', 'org:api.2_x'],
          tags: ['Finance', 'beta', 'finance'],
          customFields: [
            { key: 'owner.team', value: 'billing' },
            { key: 'sla', value: '99.9' },
          ],
          documentation: { format: 'MARKDOWN', markdown: '## Usage\n\n<b>bold</b>' },
          status: 'PUBLISHED',
          catalogIds: [catalog.id, publicCatalogId, catalog.id],
        },
      },
      admin,
    );
    expect(response.errors).toBeUndefined();
    const { product, errors } = response.data.createProduct;
    expect(errors).toEqual([]);
    expect(product).toMatchObject({
      slug,
      name: 'Internal name',
      displayName: 'Payments API',
      tykApiIds: ['api-1', 'org:api.2_x'],
      tags: ['finance', 'beta'],
      customFields: [
        { key: 'owner.team', value: 'billing' },
        { key: 'sla', value: '99.9' },
      ],
      documentation: { format: 'MARKDOWN', markdown: '## Usage\n\n<b>bold</b>', url: null },
      status: 'PUBLISHED',
      version: 1,
    });
    expect(product.descriptionHtml).toContain('<h1>Pay</h1>');
    expect(product.descriptionHtml).toContain('&lt;script&gt;');
    expect(product.descriptionHtml).not.toContain('<script>');
    expect(product.descriptionHtml).not.toContain('href="javascript:');
    expect(product.documentation.html).toContain('<h2>Usage</h2>');
    expect(product.documentation.html).toContain('&lt;b&gt;');
    expect(product.catalogs.map((c: { id: string }) => c.id).sort()).toEqual([catalog.id, publicCatalogId].sort());

    // Read back through the query, as an anonymous caller.
    const read = await subgraphRequest(subgraph.url, `query($slug: String) { product(slug: $slug) { ${PRODUCT_FIELDS} } }`, { slug }, null);
    expect(read.errors).toBeUndefined();
    expect(read.data.product).toEqual(product);
    // The same through a catalog's products (rows mapped from a batched SQL statement).
    const viaCatalog = await subgraphRequest(
      subgraph.url,
      `query($id: ID!) { catalog(id: $id) { products { edges { node { ${PRODUCT_FIELDS} } } } } }`,
      { id: catalog.id },
      null,
    );
    expect(viaCatalog.errors).toBeUndefined();
    expect(viaCatalog.data.catalog.products.edges).toEqual([{ node: product }]);
    const [row] = await sql<{ display_name: string; tyk_api_ids: string[]; tags: string[]; documentation_format: string }>(
      'select display_name, tyk_api_ids, tags, documentation_format from products.product where id = ?',
      [product.id],
    );
    expect(row).toEqual({
      display_name: 'Payments API',
      tyk_api_ids: ['api-1', 'org:api.2_x'],
      tags: ['finance', 'beta'],
      documentation_format: 'MARKDOWN',
    });
    const [contract] = await sql('select id, slug, name, status, tyk_api_ids from products.product_contract where id = ?', [product.id]);
    expect(contract).toEqual({ id: product.id, slug, name: 'Internal name', status: 'PUBLISHED', tyk_api_ids: ['api-1', 'org:api.2_x'] });
  });

  it('defaults the display name to the name and takes documentation as a URL', async () => {
    const product = await createProduct({ name: 'Weather', documentation: { format: 'URL', url: 'https://docs.example.com/weather' } });
    expect(product).toMatchObject({
      name: 'Weather',
      displayName: 'Weather',
      description: '',
      descriptionHtml: '',
      tykApiIds: [],
      tags: [],
      customFields: [],
      status: 'DRAFT',
      catalogs: [],
      documentation: { format: 'URL', markdown: null, html: null, url: 'https://docs.example.com/weather' },
    });
  });

  it('refuses anonymous callers and developers with typed errors, writing nothing', async () => {
    const slug = unique('nope');
    const anonymous = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'X' } }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const dev = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'X' } }, developer());
    expect(dev.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const read = await subgraphRequest(subgraph.url, `query($slug: String) { product(slug: $slug) { id } }`, { slug }, portalAdmin());
    expect(read.data.product).toBeNull();

    const existing = await createProduct();
    for (const [mutation, input] of [
      [UPDATE, { id: existing.id, name: 'Hijacked' }],
      [ARCHIVE, { id: existing.id }],
      [CREATE_CATALOG, { name: unique('Nope'), visibility: 'PUBLIC' }],
      [UPDATE_CATALOG, { id: publicCatalogId, name: 'Hijacked' }],
    ] as const) {
      expect((await subgraphRequest(subgraph.url, mutation, { input }, developer())).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await subgraphRequest(subgraph.url, mutation, { input }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    const after = await subgraphRequest(
      subgraph.url,
      `query($id: ID) { product(id: $id) { name status version } }`,
      { id: existing.id },
      admin,
    );
    expect(after.data.product).toEqual({ name: existing.name, status: 'DRAFT', version: 1 });
  });

  it('refuses a request whose claims are not signed by the gateway', async () => {
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: CREATE,
        variables: { input: { slug: unique('forged'), name: 'Forged' } },
        extensions: { plangraph: { claims: JSON.stringify({ sub: 'mallory', roles: ['portal_admin'] }), requestId: 'r1', sig: 'forged' } },
      }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: { extensions: { code: string; reason?: string } }[] };
    expect(response.status).toBe(403);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'GATEWAY_SIGNATURE_INVALID' });
  });

  it('returns validation and duplicate-slug failures as typed payload errors', async () => {
    const bad = await subgraphRequest(subgraph.url, CREATE, { input: { slug: 'Not A Slug', name: '' } }, admin);
    expect(bad.data.createProduct.product).toBeNull();
    expect(bad.data.createProduct.errors.map((e: { field: string }) => e.field).sort()).toEqual(['input.name', 'input.slug']);
    expect(bad.data.createProduct.errors[0].code).toBe('VALIDATION_FAILED');

    const slug = unique('dup');
    await createProduct({ slug, name: 'First' });
    const dup = await subgraphRequest(subgraph.url, CREATE, { input: { slug, name: 'Second' } }, admin);
    expect(dup.data.createProduct.errors).toEqual([
      { code: 'ALREADY_EXISTS', field: 'input.slug', message: expect.stringContaining('slug') },
    ]);
  });

  it('needs a Tyk API to publish and a visible catalog for developers to see a published product', async () => {
    const noApi = await subgraphRequest(
      subgraph.url,
      CREATE,
      { input: { slug: unique('noapi'), name: 'No API', status: 'PUBLISHED' } },
      admin,
    );
    expect(noApi.data.createProduct).toEqual({
      product: null,
      errors: [{ code: 'VALIDATION_FAILED', field: 'input.tykApiIds', message: expect.stringContaining('at least one Tyk API') }],
    });
    const lonely = await createProduct({ status: 'PUBLISHED', tykApiIds: ['lonely'] });
    const q = `query($id: ID) { product(id: $id) { id } }`;
    expect((await subgraphRequest(subgraph.url, q, { id: lonely.id }, developer())).data.product).toBeNull();
    expect((await subgraphRequest(subgraph.url, q, { id: lonely.id }, null)).data.product).toBeNull();
    expect((await subgraphRequest(subgraph.url, q, { id: lonely.id }, admin)).data.product).toEqual({ id: lonely.id });
    await update({ id: lonely.id, catalogIds: [publicCatalogId] });
    expect((await subgraphRequest(subgraph.url, q, { id: lonely.id }, null)).data.product).toEqual({ id: lonely.id });
  });

  it('shows drafts to portal admins only and pages with cursors', async () => {
    const tag = unique('page');
    for (let i = 0; i < 3; i++) {
      const status = i === 1 ? 'DRAFT' : 'PUBLISHED';
      await createProduct({ slug: `${tag}-${i}`, name: `P${i}`, status, tykApiIds: ['api'], catalogIds: [publicCatalogId] });
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

  it('filters products by status, search, catalog and tag', async () => {
    const tag = unique('flt');
    const other = await createCatalog({ name: unique('Other'), visibility: 'PUBLIC' });
    const a = await createProduct({
      slug: `${tag}-a`,
      displayName: `Alpha ${tag}`,
      tags: ['Blue'],
      status: 'PUBLISHED',
      tykApiIds: ['a'],
      catalogIds: [publicCatalogId],
    });
    const b = await createProduct({ slug: `${tag}-b`, tags: ['red'], status: 'PUBLISHED', tykApiIds: ['b'], catalogIds: [other.id] });
    const c = await createProduct({ slug: `${tag}-c`, tags: ['blue', 'red'], catalogIds: [other.id] });
    const q = `query($filter: ProductFilter) { products(filter: $filter) { totalCount edges { node { slug } } } }`;
    const slugs = async (filter: Record<string, unknown>, as: Identity | null = admin) => {
      const r = await subgraphRequest(subgraph.url, q, { filter: { search: tag, ...filter } }, as);
      expect(r.errors).toBeUndefined();
      return r.data.products.edges.map((e: { node: { slug: string } }) => e.node.slug);
    };
    expect(await slugs({})).toEqual([a.slug, b.slug, c.slug]);
    expect(await slugs({ status: ['DRAFT'] })).toEqual([c.slug]);
    expect(await slugs({ status: ['DRAFT'] }, null)).toEqual([]);
    expect(await slugs({ search: `ALPHA ${tag}` })).toEqual([a.slug]);
    expect(await slugs({ catalogId: other.id })).toEqual([b.slug, c.slug]);
    expect(await slugs({ catalogId: other.id }, null)).toEqual([b.slug]);
    expect(await slugs({ tag: 'BLUE' })).toEqual([a.slug, c.slug]);
    expect(await slugs({ tag: 'red', catalogId: other.id })).toEqual([b.slug, c.slug]);
    const bad = await subgraphRequest(subgraph.url, q, { filter: { catalogId: 'nope' } }, admin);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.catalogId' });
  });

  it('updates a product partially, bumps its version and replaces its catalogs when asked', async () => {
    const second = await createCatalog({ name: unique('Second'), visibility: 'PUBLIC' });
    const product = await createProduct({
      displayName: 'Shown',
      description: 'old',
      tykApiIds: ['one'],
      tags: ['keep'],
      customFields: [{ key: 'k', value: 'v' }],
      documentation: { format: 'URL', url: 'http://docs.example.com' },
      catalogIds: [publicCatalogId],
    });
    expect(product.version).toBe(1);

    const renamed = await update({ id: product.id, expectedVersion: 1, name: 'Renamed', status: 'PUBLISHED' });
    expect(renamed.errors).toEqual([]);
    expect(renamed.product).toMatchObject({
      name: 'Renamed',
      displayName: 'Shown',
      description: 'old',
      tykApiIds: ['one'],
      tags: ['keep'],
      customFields: [{ key: 'k', value: 'v' }],
      documentation: { format: 'URL', url: 'http://docs.example.com' },
      status: 'PUBLISHED',
      version: 2,
      catalogs: [{ id: publicCatalogId, name: expect.any(String) }],
    });
    expect(new Date(renamed.product.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(product.updatedAt).getTime());

    const moved = await update({
      id: product.id,
      tykApiIds: ['two', 'three'],
      tags: [],
      customFields: [],
      documentation: null,
      description: '*new*',
      catalogIds: [second.id],
    });
    expect(moved.errors).toEqual([]);
    expect(moved.product).toMatchObject({
      tykApiIds: ['two', 'three'],
      tags: [],
      customFields: [],
      documentation: null,
      description: '*new*',
      descriptionHtml: '<p><em>new</em></p>\n',
      version: 3,
      catalogs: [{ id: second.id, name: second.name }],
    });

    const stale = await update({ id: product.id, expectedVersion: 1, name: 'Lost update' });
    expect(stale).toEqual({
      product: null,
      errors: [{ code: 'VERSION_CONFLICT', field: 'input.expectedVersion', message: expect.stringContaining('version 3') }],
    });

    const cleared = await update({ id: product.id, catalogIds: [] });
    expect(cleared.product).toMatchObject({ version: 4, catalogs: [] });
  });

  it('archives a product, after which it can be neither changed nor archived again', async () => {
    const product = await createProduct({ status: 'PUBLISHED', tykApiIds: ['x'], catalogIds: [publicCatalogId] });
    const archived = await subgraphRequest(subgraph.url, ARCHIVE, { input: { id: product.id } }, admin);
    expect(archived.data.archiveProduct).toEqual({ product: { id: product.id, status: 'ARCHIVED', version: 2 }, errors: [] });
    expect(
      (await subgraphRequest(subgraph.url, `query($id: ID) { product(id: $id) { id } }`, { id: product.id }, null)).data.product,
    ).toBeNull();

    expect(await update({ id: product.id, name: 'Back' })).toEqual({
      product: null,
      errors: [{ code: 'INVALID_TRANSITION', field: 'input.id', message: expect.stringContaining('ARCHIVED') }],
    });
    const again = await subgraphRequest(subgraph.url, ARCHIVE, { input: { id: product.id } }, admin);
    expect(again.data.archiveProduct.errors).toEqual([{ code: 'INVALID_TRANSITION', field: 'input.id', message: expect.any(String) }]);
  });

  it('enqueues provider.syncProduct with key product:<id> on every product change, and none on a refused one', async () => {
    const product = await createProduct();
    await expectJob(product.id);

    await forgetJob(product.id);
    expect((await update({ id: product.id, name: '' })).errors[0].code).toBe('VALIDATION_FAILED');
    expect(await productJobs(product.id)).toEqual([]);
    expect((await update({ id: product.id, expectedVersion: 7, name: 'X' })).errors[0].code).toBe('VERSION_CONFLICT');
    expect(await productJobs(product.id)).toEqual([]);

    expect((await update({ id: product.id, name: 'Changed' })).errors).toEqual([]);
    await expectJob(product.id);
    // Repeated changes coalesce into one queued job.
    expect((await update({ id: product.id, name: 'Changed again' })).errors).toEqual([]);
    await expectJob(product.id);

    await forgetJob(product.id);
    expect((await subgraphRequest(subgraph.url, ARCHIVE, { input: { id: product.id } }, admin)).data.archiveProduct.errors).toEqual([]);
    await expectJob(product.id);

    await forgetJob(product.id);
    expect((await subgraphRequest(subgraph.url, ARCHIVE, { input: { id: product.id } }, admin)).data.archiveProduct.errors[0].code).toBe(
      'INVALID_TRANSITION',
    );
    expect(await productJobs(product.id)).toEqual([]);
  });

  it('creates and updates catalogs, syncing exactly the products added or removed', async () => {
    const [p1, p2, p3] = [await createProduct(), await createProduct(), await createProduct()];
    for (const p of [p1, p2, p3]) await forgetJob(p.id);

    const name = unique('Partners');
    const created = await subgraphRequest(
      subgraph.url,
      `mutation($input: CreateCatalogInput!) { createCatalog(input: $input) {
         catalog { id name description descriptionHtml visibility audience { organizationId teamId } products { totalCount edges { node { id version } } } }
         errors { code field message } } }`,
      { input: { name: `  ${name} `, description: '**Partners**', visibility: 'PUBLIC', productIds: [p1.id, p2.id, p1.id] } },
      admin,
    );
    expect(created.errors).toBeUndefined();
    const catalog = created.data.createCatalog.catalog;
    expect(created.data.createCatalog.errors).toEqual([]);
    expect(catalog).toEqual({
      id: expect.any(String),
      name,
      description: '**Partners**',
      descriptionHtml: '<p><strong>Partners</strong></p>\n',
      visibility: 'PUBLIC',
      audience: [],
      products: { totalCount: 2, edges: [{ node: { id: p1.id, version: 2 } }, { node: { id: p2.id, version: 2 } }] },
    });
    await expectJob(p1.id);
    await expectJob(p2.id);
    expect(await productJobs(p3.id)).toEqual([]);

    for (const p of [p1, p2]) await forgetJob(p.id);
    const updated = await subgraphRequest(
      subgraph.url,
      UPDATE_CATALOG,
      { input: { id: catalog.id, description: 'Now *with* p3', addProductIds: [p3.id, p2.id], removeProductIds: [p1.id] } },
      admin,
    );
    expect(updated.data.updateCatalog.errors).toEqual([]);
    expect(updated.data.updateCatalog.catalog).toMatchObject({
      name,
      description: 'Now *with* p3',
      descriptionHtml: '<p>Now <em>with</em> p3</p>\n',
      visibility: 'PUBLIC',
    });
    await expectJob(p1.id); // removed
    await expectJob(p3.id); // added
    expect(await productJobs(p2.id)).toEqual([]); // already there: untouched

    const q = `query($id: ID!) { catalog(id: $id) { products { edges { node { id version catalogs { id } } } } } }`;
    const read = await subgraphRequest(subgraph.url, q, { id: catalog.id }, admin);
    expect(read.data.catalog.products.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([p2.id, p3.id]);
    expect(read.data.catalog.products.edges[1].node).toEqual({ id: p3.id, version: 2, catalogs: [{ id: catalog.id }] });

    // A change that adds or removes no product syncs nothing.
    for (const p of [p1, p3]) await forgetJob(p.id);
    const renamed = await subgraphRequest(
      subgraph.url,
      UPDATE_CATALOG,
      { input: { id: catalog.id, name: `${name} renamed`, removeProductIds: [p1.id] } },
      admin,
    );
    expect(renamed.data.updateCatalog.errors).toEqual([]);
    for (const p of [p1, p2, p3]) expect(await productJobs(p.id)).toEqual([]);
  });

  it('keeps, replaces and clears a private catalog audience; PUBLIC needs it cleared', async () => {
    const orgs = [];
    for (const n of [1, 2]) {
      const slug = unique(`aud${n}`);
      const r = await subgraphRequest(
        developers.url,
        `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } errors { code } } }`,
        { input: { name: slug, slug } },
        admin,
      );
      orgs.push(r.data.createOrganization.organization.id as string);
    }
    const teamId = (
      await sql<{ id: string }>(`insert into developers.team (id, organization_id, name) values (gen_random_uuid(), ?, ?) returning id`, [
        orgs[0],
        unique('team'),
      ])
    )[0].id;
    const AUDIENCE = `audience { organizationId teamId }`;
    const created = await subgraphRequest(
      subgraph.url,
      `mutation($input: CreateCatalogInput!) { createCatalog(input: $input) { catalog { id visibility ${AUDIENCE} } errors { code field } } }`,
      { input: { name: unique('Private'), visibility: 'PRIVATE', audience: { organizationIds: [orgs[0], orgs[0]], teamIds: [teamId] } } },
      admin,
    );
    expect(created.data.createCatalog.errors).toEqual([]);
    const { id } = created.data.createCatalog.catalog;
    expect(created.data.createCatalog.catalog.audience).toEqual([
      { organizationId: orgs[0], teamId: null },
      { organizationId: null, teamId },
    ]);
    const [view] = await sql('select id, name, visibility from products.catalog_contract where id = ?', [id]);
    expect(view).toMatchObject({ id, visibility: 'PRIVATE' });
    expect(
      await sql(
        'select organization_id, team_id from products.catalog_audience_contract where catalog_id = ? order by team_id nulls first',
        [id],
      ),
    ).toEqual([
      { organization_id: orgs[0], team_id: null },
      { organization_id: null, team_id: teamId },
    ]);

    const U = `mutation($input: UpdateCatalogInput!) { updateCatalog(input: $input) { catalog { visibility ${AUDIENCE} } errors { code field } } }`;
    const kept = await subgraphRequest(subgraph.url, U, { input: { id, description: 'kept audience' } }, admin);
    expect(kept.data.updateCatalog.catalog.audience).toHaveLength(2);
    const replaced = await subgraphRequest(subgraph.url, U, { input: { id, audience: { organizationIds: [orgs[1]] } } }, admin);
    expect(replaced.data.updateCatalog.catalog.audience).toEqual([{ organizationId: orgs[1], teamId: null }]);
    const refused = await subgraphRequest(subgraph.url, U, { input: { id, visibility: 'PUBLIC' } }, admin);
    expect(refused.data.updateCatalog).toEqual({ catalog: null, errors: [{ code: 'VALIDATION_FAILED', field: 'input.audience' }] });
    const opened = await subgraphRequest(subgraph.url, U, { input: { id, visibility: 'PUBLIC', audience: null } }, admin);
    expect(opened.data.updateCatalog).toEqual({ catalog: { visibility: 'PUBLIC', audience: [] }, errors: [] });
  });

  it('pages through the products of a catalog', async () => {
    const products = [];
    for (let i = 0; i < 3; i++) products.push(await createProduct({ status: i === 1 ? 'DRAFT' : 'PUBLISHED', tykApiIds: ['api'] }));
    const catalog = await createCatalog({ name: unique('Paged'), visibility: 'PUBLIC', productIds: products.map((p) => p.id) });
    const q = `query($id: ID!, $after: String) { catalog(id: $id) { products(first: 1, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;
    const seen = async (as: Identity | null): Promise<{ ids: string[]; totalCount: number }> => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r: { data?: any; errors?: unknown } = await subgraphRequest(subgraph.url, q, { id: catalog.id, after }, as);
        expect(r.errors).toBeUndefined();
        const page: {
          edges: { node: { id: string } }[];
          totalCount: number;
          pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string };
        } = r.data.catalog.products;
        ids.push(...page.edges.map((e) => e.node.id));
        expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
        if (!page.pageInfo.hasNextPage) return { ids, totalCount: page.totalCount };
        after = page.pageInfo.endCursor;
      }
    };
    expect(await seen(admin)).toEqual({ ids: products.map((p) => p.id), totalCount: 3 });
    expect(await seen(null)).toEqual({ ids: [products[0].id, products[2].id], totalCount: 2 });
    const bad = await subgraphRequest(subgraph.url, q, { id: catalog.id, after: 'garbage' }, admin);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('serves /healthz and /readyz', async () => {
    const base = subgraph.url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
  });
});
