import { randomUUID } from 'node:crypto';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { productsSubgraph } from '.';
import { developersSubgraph } from '../developers';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest } from '../../test/helpers/graphql';

/**
 * One row per rule: the input, the expected code and field. Every refused mutation writes
 * nothing (the stored row is unchanged) and enqueues no sync job.
 */

const PRODUCT = `id slug name displayName description tykApiIds tags customFields { key value } documentation { format markdown url } status version updatedAt catalogs { id }`;
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } errors { code field message } } }`;
const UPDATE = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } errors { code field message } } }`;
const ARCHIVE = `mutation($input: ArchiveProductInput!) { archiveProduct(input: $input) { product { id } errors { code field message } } }`;
const CREATE_CATALOG = `mutation($input: CreateCatalogInput!) { createCatalog(input: $input) { catalog { id } errors { code field message } } }`;
const UPDATE_CATALOG = `mutation($input: UpdateCatalogInput!) { updateCatalog(input: $input) { catalog { id } errors { code field message } } }`;
const CATALOG = `id name description visibility updatedAt audience { organizationId teamId } products { edges { node { id } } }`;

type Row = [string, Record<string, unknown>, string, string];

const many = (n: number, make: (i: number) => unknown) => Array.from({ length: n }, (_, i) => make(i));

describe('products and catalogs validation', () => {
  let products: RunningSubgraph;
  let developers: RunningSubgraph;
  const admin = portalAdmin();
  let existingSlug: string;
  let existingCatalogName: string;
  let catalogId: string;
  let organizationId: string;
  let teamId: string;

  function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return products.orm.em.getConnection().execute<T[]>(text, params);
  }

  function productJobs(productId: string) {
    return sql(`select j.id from graphile_worker._private_jobs j where j.key = ?`, [`product:${productId}`]);
  }

  /** Sync jobs whose product does not exist: a refused create that leaked its job would show here. */
  async function orphanJobs() {
    return sql(
      `select j.id from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where t.identifier = 'provider.syncProduct'
          and not exists (select 1 from products.product p where p.id::text = j.payload->>'productId')`,
    );
  }

  async function mutate(query: string, input: Record<string, unknown>) {
    const r = await subgraphRequest(products.url, query, { input }, admin);
    expect(r.errors).toBeUndefined();
    return Object.values(r.data)[0] as { errors: { code: string; field: string; message: string }[] } & Record<string, unknown>;
  }

  async function createProduct(input: Record<string, unknown> = {}) {
    const slug = unique('val');
    const payload = await mutate(CREATE, { slug, name: slug, ...input });
    expect(payload.errors).toEqual([]);
    const id = (payload.product as { id: string }).id;
    await sql('select graphile_worker.remove_job(?)', [`product:${id}`]);
    return id;
  }

  async function readProduct(id: string) {
    const r = await subgraphRequest(products.url, `query($id: ID) { product(id: $id) { ${PRODUCT} } }`, { id }, admin);
    return r.data.product;
  }

  async function createCatalog(input: Record<string, unknown> = {}) {
    const payload = await mutate(CREATE_CATALOG, { name: unique('Catalog'), visibility: 'PUBLIC', ...input });
    expect(payload.errors).toEqual([]);
    return (payload.catalog as { id: string }).id;
  }

  async function readCatalog(id: string) {
    const r = await subgraphRequest(products.url, `query($id: ID!) { catalog(id: $id) { ${CATALOG} } }`, { id }, admin);
    return r.data.catalog;
  }

  beforeAll(async () => {
    developers = await startSubgraph(developersSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    products = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    existingSlug = unique('taken');
    await createProduct({ slug: existingSlug });
    existingCatalogName = unique('Taken');
    catalogId = await createCatalog({ name: existingCatalogName });
    const orgSlug = unique('org');
    const org = await subgraphRequest(
      developers.url,
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }`,
      { input: { name: orgSlug, slug: orgSlug } },
      admin,
    );
    organizationId = org.data.createOrganization.organization.id;
    teamId = randomUUID();
    await sql('insert into developers.team (id, organization_id, name) values (?, ?, ?)', [teamId, organizationId, unique('team')]);
  });
  afterAll(async () => {
    await products?.stop();
    await developers?.stop();
  });

  function expectOnly(errors: { code: string; field: string; message: string }[], code: string, field: string) {
    expect(errors).toEqual([{ code, field, message: expect.any(String) }]);
    expect(errors[0].message.length).toBeGreaterThan(10);
  }

  const createRows: Row[] = [
    ['slug with spaces', { slug: 'Not A Slug' }, 'VALIDATION_FAILED', 'input.slug'],
    ['slug with double hyphen', { slug: 'a--b' }, 'VALIDATION_FAILED', 'input.slug'],
    ['slug too long', { slug: 'a'.repeat(65) }, 'VALIDATION_FAILED', 'input.slug'],
    ['duplicate slug', { slug: '<existing>' }, 'ALREADY_EXISTS', 'input.slug'],
    ['empty name', { name: '   ' }, 'VALIDATION_FAILED', 'input.name'],
    ['name too long', { name: 'n'.repeat(121) }, 'VALIDATION_FAILED', 'input.name'],
    ['empty display name', { displayName: ' ' }, 'VALIDATION_FAILED', 'input.displayName'],
    ['display name too long', { displayName: 'd'.repeat(121) }, 'VALIDATION_FAILED', 'input.displayName'],
    ['description too long', { description: 'x'.repeat(20_001) }, 'VALIDATION_FAILED', 'input.description'],
    ['invalid Tyk API id', { tykApiIds: ['ok', 'not ok'] }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['empty Tyk API id', { tykApiIds: [''] }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['Tyk API id too long', { tykApiIds: ['a'.repeat(129)] }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['too many Tyk API ids', { tykApiIds: many(51, (i) => `api-${i}`) }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['duplicate Tyk API ids', { tykApiIds: ['a', 'b', 'a'] }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['invalid tag', { tags: ['two words'] }, 'VALIDATION_FAILED', 'input.tags'],
    ['tag with punctuation', { tags: ['a.b'] }, 'VALIDATION_FAILED', 'input.tags'],
    ['tag too long', { tags: ['t'.repeat(41)] }, 'VALIDATION_FAILED', 'input.tags'],
    ['too many tags', { tags: many(21, (i) => `tag${i}`) }, 'VALIDATION_FAILED', 'input.tags'],
    [
      'too many custom fields',
      { customFields: many(31, (i) => ({ key: `k${i}`, value: 'v' })) },
      'VALIDATION_FAILED',
      'input.customFields',
    ],
    [
      'duplicate custom field keys',
      {
        customFields: [
          { key: 'k', value: '1' },
          { key: 'k', value: '2' },
        ],
      },
      'VALIDATION_FAILED',
      'input.customFields',
    ],
    ['invalid custom field key', { customFields: [{ key: 'a b', value: '1' }] }, 'VALIDATION_FAILED', 'input.customFields'],
    ['custom field key too long', { customFields: [{ key: 'k'.repeat(65), value: '1' }] }, 'VALIDATION_FAILED', 'input.customFields'],
    ['custom field value too long', { customFields: [{ key: 'k', value: 'v'.repeat(1_025) }] }, 'VALIDATION_FAILED', 'input.customFields'],
    [
      'MARKDOWN documentation without markdown',
      { documentation: { format: 'MARKDOWN' } },
      'VALIDATION_FAILED',
      'input.documentation.markdown',
    ],
    [
      'MARKDOWN documentation with blank markdown',
      { documentation: { format: 'MARKDOWN', markdown: '  ' } },
      'VALIDATION_FAILED',
      'input.documentation.markdown',
    ],
    [
      'MARKDOWN documentation with a url',
      { documentation: { format: 'MARKDOWN', markdown: '# x', url: 'https://x.example' } },
      'VALIDATION_FAILED',
      'input.documentation.url',
    ],
    [
      'MARKDOWN documentation too long',
      { documentation: { format: 'MARKDOWN', markdown: 'm'.repeat(100_001) } },
      'VALIDATION_FAILED',
      'input.documentation.markdown',
    ],
    ['URL documentation without url', { documentation: { format: 'URL' } }, 'VALIDATION_FAILED', 'input.documentation.url'],
    [
      'URL documentation with ftp url',
      { documentation: { format: 'URL', url: 'ftp://docs.example.com' } },
      'VALIDATION_FAILED',
      'input.documentation.url',
    ],
    [
      'URL documentation with relative url',
      { documentation: { format: 'URL', url: '/docs' } },
      'VALIDATION_FAILED',
      'input.documentation.url',
    ],
    [
      'URL documentation with javascript url',
      { documentation: { format: 'URL', url: 'javascript:alert(1)' } },
      'VALIDATION_FAILED',
      'input.documentation.url',
    ],
    [
      'URL documentation with markdown',
      { documentation: { format: 'URL', url: 'https://docs.example.com', markdown: '# x' } },
      'VALIDATION_FAILED',
      'input.documentation.markdown',
    ],
    ['PUBLISHED without Tyk API ids', { status: 'PUBLISHED' }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['PUBLISHED with an empty Tyk API id list', { status: 'PUBLISHED', tykApiIds: [] }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['unknown catalog id', { catalogIds: ['<catalog>', randomUUID()] }, 'NOT_FOUND', 'input.catalogIds'],
    ['too many catalog ids', { catalogIds: many(501, () => randomUUID()) }, 'VALIDATION_FAILED', 'input.catalogIds'],
  ];

  it.each(createRows)('createProduct refuses %s', async (_rule, overrides, code, field) => {
    const slug = overrides.slug === '<existing>' ? existingSlug : ((overrides.slug as string | undefined) ?? unique('refused'));
    const catalogIds = (overrides.catalogIds as string[] | undefined)?.map((id) => (id === '<catalog>' ? catalogId : id));
    const input = { name: 'Refused', ...overrides, slug, ...(catalogIds ? { catalogIds } : {}) };
    const payload = await mutate(CREATE, input);
    expectOnly(payload.errors, code, field);
    expect(payload.product).toBeNull();
    if (code === 'NOT_FOUND') expect(payload.errors[0].message).toContain(catalogIds!.find((id) => id !== catalogId));
    const rows = await sql<{ n: string }>('select count(*) as n from products.product where slug = ?', [slug]);
    expect(rows[0].n).toBe(overrides.slug === '<existing>' ? '1' : '0');
    expect(await orphanJobs()).toEqual([]);
  });

  // Malformed ids never reach a resolver: the input boundary (common/input-boundary.ts) refuses them.
  it.each([
    ['createProduct', CREATE, { slug: 'refused-id', name: 'Refused', catalogIds: ['nope'] }, 'input.catalogIds[0]'],
    ['updateProduct', UPDATE, { id: 'nope' }, 'input.id'],
    [
      'createCatalog',
      CREATE_CATALOG,
      { name: 'Refused', visibility: 'PRIVATE', audience: { organizationIds: ['acme'] } },
      'input.audience.organizationIds[0]',
    ],
    ['updateCatalog', UPDATE_CATALOG, { id: 'nope' }, 'input.id'],
  ])('%s refuses a malformed id with BAD_USER_INPUT', async (_name, query, input, field) => {
    const r = await subgraphRequest(products.url, query, { input }, admin);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  const updateRows: [string, Record<string, unknown>, Record<string, unknown>, string, string][] = [
    ['an unknown id', {}, { id: randomUUID() }, 'NOT_FOUND', 'input.id'],
    ['a stale expectedVersion', {}, { expectedVersion: 0, name: 'x' }, 'VERSION_CONFLICT', 'input.expectedVersion'],
    ['an empty name', {}, { name: '' }, 'VALIDATION_FAILED', 'input.name'],
    ['a display name too long', {}, { displayName: 'd'.repeat(121) }, 'VALIDATION_FAILED', 'input.displayName'],
    ['a description too long', {}, { description: 'x'.repeat(20_001) }, 'VALIDATION_FAILED', 'input.description'],
    ['an invalid Tyk API id', {}, { tykApiIds: ['bad id'] }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    ['too many tags', {}, { tags: many(21, (i) => `t${i}`) }, 'VALIDATION_FAILED', 'input.tags'],
    [
      'duplicate custom field keys',
      {},
      {
        customFields: [
          { key: 'a', value: '' },
          { key: 'a', value: '' },
        ],
      },
      'VALIDATION_FAILED',
      'input.customFields',
    ],
    [
      'URL documentation with a bad url',
      {},
      { documentation: { format: 'URL', url: 'not a url' } },
      'VALIDATION_FAILED',
      'input.documentation.url',
    ],
    ['publishing without Tyk API ids', {}, { status: 'PUBLISHED' }, 'VALIDATION_FAILED', 'input.tykApiIds'],
    [
      'removing every Tyk API id of a published product',
      { status: 'PUBLISHED', tykApiIds: ['x'] },
      { tykApiIds: [] },
      'VALIDATION_FAILED',
      'input.tykApiIds',
    ],
    ['unknown catalog ids', {}, { catalogIds: [randomUUID()] }, 'NOT_FOUND', 'input.catalogIds'],
    ['an ARCHIVED product', { archived: true }, { name: 'Revived' }, 'INVALID_TRANSITION', 'input.id'],
    [
      'an ARCHIVED product, even to publish it',
      { archived: true, tykApiIds: ['x'] },
      { status: 'PUBLISHED' },
      'INVALID_TRANSITION',
      'input.id',
    ],
  ];

  it.each(updateRows)('updateProduct refuses %s', async (_rule, setup, change, code, field) => {
    const { archived, ...createInput } = setup;
    const id = await createProduct({ description: 'before', tags: ['keep'], ...createInput });
    if (archived) {
      expect((await mutate(ARCHIVE, { id })).errors).toEqual([]);
      await sql('select graphile_worker.remove_job(?)', [`product:${id}`]);
    }
    const before = await readProduct(id);
    const payload = await mutate(UPDATE, { id, ...change });
    expectOnly(payload.errors, code, field);
    expect(payload.product).toBeNull();
    expect(await readProduct(id)).toEqual(before);
    expect(await productJobs(id)).toEqual([]);
  });

  it.each([
    ['an unknown id', { id: randomUUID() }, 'NOT_FOUND'],
    ['an ARCHIVED product', { archived: true }, 'INVALID_TRANSITION'],
  ] as const)('archiveProduct refuses %s', async (_rule, setup, code) => {
    const id = 'id' in setup ? setup.id : await createProduct();
    if ('archived' in setup) {
      expect((await mutate(ARCHIVE, { id })).errors).toEqual([]);
      await sql('select graphile_worker.remove_job(?)', [`product:${id}`]);
    }
    const before = 'archived' in setup ? await readProduct(id) : null;
    const payload = await mutate(ARCHIVE, { id });
    expectOnly(payload.errors, code, 'input.id');
    if (before) expect(await readProduct(id)).toEqual(before);
    expect(await productJobs(id)).toEqual([]);
  });

  const createCatalogRows: Row[] = [
    ['an empty name', { name: ' ' }, 'VALIDATION_FAILED', 'input.name'],
    ['a name too long', { name: 'n'.repeat(121) }, 'VALIDATION_FAILED', 'input.name'],
    ['a duplicate name', { name: '<existing>' }, 'ALREADY_EXISTS', 'input.name'],
    ['a description too long', { description: 'x'.repeat(20_001) }, 'VALIDATION_FAILED', 'input.description'],
    [
      'an audience on a PUBLIC catalog',
      { visibility: 'PUBLIC', audience: { organizationIds: ['<org>'] } },
      'VALIDATION_FAILED',
      'input.audience',
    ],
    [
      'an unknown organization',
      { visibility: 'PRIVATE', audience: { organizationIds: ['<org>', randomUUID()] } },
      'NOT_FOUND',
      'input.audience.organizationIds',
    ],
    ['an unknown team', { visibility: 'PRIVATE', audience: { teamIds: ['<team>', randomUUID()] } }, 'NOT_FOUND', 'input.audience.teamIds'],
    ['an unknown product', { productIds: ['<product>', randomUUID()] }, 'NOT_FOUND', 'input.productIds'],
    ['too many products', { productIds: many(501, () => randomUUID()) }, 'VALIDATION_FAILED', 'input.productIds'],
  ];

  function resolve(value: unknown, productId: string): unknown {
    if (value === '<org>') return organizationId;
    if (value === '<team>') return teamId;
    if (value === '<product>') return productId;
    if (value === '<existing>') return existingCatalogName;
    if (Array.isArray(value)) return value.map((v) => resolve(v, productId));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, productId)]));
    return value;
  }

  it.each(createCatalogRows)('createCatalog refuses %s', async (_rule, overrides, code, field) => {
    const productId = await createProduct();
    const name = overrides.name === '<existing>' ? existingCatalogName : ((overrides.name as string | undefined) ?? unique('Refused'));
    const input = resolve({ visibility: 'PRIVATE', ...overrides, name }, productId) as Record<string, unknown>;
    const payload = await mutate(CREATE_CATALOG, input);
    expectOnly(payload.errors, code, field);
    expect(payload.catalog).toBeNull();
    const rows = await sql<{ n: string }>('select count(*) as n from products.catalog where name = ?', [name.trim()]);
    expect(rows[0].n).toBe(overrides.name === '<existing>' ? '1' : '0');
    expect(await sql('select 1 from products.catalog_product where product_id = ?', [productId])).toEqual([]);
    expect(await productJobs(productId)).toEqual([]);
    expect((await readProduct(productId)).version).toBe(1);
  });

  const updateCatalogRows: [string, Record<string, unknown>, Record<string, unknown>, string, string][] = [
    ['an unknown id', {}, { id: randomUUID() }, 'NOT_FOUND', 'input.id'],
    ['an empty name', {}, { name: '' }, 'VALIDATION_FAILED', 'input.name'],
    ['a duplicate name', {}, { name: '<existing>' }, 'ALREADY_EXISTS', 'input.name'],
    ['a description too long', {}, { description: 'x'.repeat(20_001) }, 'VALIDATION_FAILED', 'input.description'],
    [
      'an audience on a PUBLIC catalog',
      { visibility: 'PUBLIC' },
      { audience: { organizationIds: ['<org>'] } },
      'VALIDATION_FAILED',
      'input.audience',
    ],
    ['making a catalog PUBLIC while it keeps its audience', {}, { visibility: 'PUBLIC' }, 'VALIDATION_FAILED', 'input.audience'],
    ['an unknown organization', {}, { audience: { organizationIds: [randomUUID()] } }, 'NOT_FOUND', 'input.audience.organizationIds'],
    ['an unknown team', {}, { audience: { teamIds: [randomUUID()] } }, 'NOT_FOUND', 'input.audience.teamIds'],
    ['an unknown product to add', {}, { addProductIds: ['<product>', randomUUID()] }, 'NOT_FOUND', 'input.addProductIds'],
    [
      'a product both added and removed',
      {},
      { addProductIds: ['<product>'], removeProductIds: ['<product>'] },
      'VALIDATION_FAILED',
      'input.removeProductIds',
    ],
    ['too many products to remove', {}, { removeProductIds: many(501, () => randomUUID()) }, 'VALIDATION_FAILED', 'input.removeProductIds'],
  ];

  it.each(updateCatalogRows)('updateCatalog refuses %s', async (_rule, setup, change, code, field) => {
    const member = await createProduct();
    const productId = await createProduct();
    const id = await createCatalog(
      setup.visibility === 'PUBLIC'
        ? { visibility: 'PUBLIC', productIds: [member] }
        : { visibility: 'PRIVATE', audience: { organizationIds: [organizationId], teamIds: [teamId] }, productIds: [member] },
    );
    for (const p of [member, productId]) await sql('select graphile_worker.remove_job(?)', [`product:${p}`]);
    const before = await readCatalog(id);
    const payload = await mutate(UPDATE_CATALOG, resolve({ id, ...change }, productId) as Record<string, unknown>);
    expectOnly(payload.errors, code, field);
    expect(payload.catalog).toBeNull();
    expect(await readCatalog(id)).toEqual(before);
    for (const p of [member, productId]) {
      expect(await productJobs(p)).toEqual([]);
      expect((await readProduct(p)).version).toBe(p === member ? 2 : 1);
    }
  });
});
