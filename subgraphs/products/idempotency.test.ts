/**
 * `idempotencyKey` on createProduct and createCatalog (issue 21 item 3): a retry by the same portal
 * admin within 24 hours returns the first product or catalog and writes nothing more; the same key
 * with other input is IDEMPOTENCY_KEY_REUSED; another admin's key of the same text is their own.
 */
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { productsSubgraph } from '.';

const CREATE_PRODUCT = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id slug name version catalogs { id } } errors { code field } }
}`;
const CREATE_CATALOG = `mutation($input: CreateCatalogInput!) {
  createCatalog(input: $input) { catalog { id name visibility } errors { code field } }
}`;

describe('products: idempotent creates', () => {
  let subgraph: RunningSubgraph;
  const admin = portalAdmin();

  beforeAll(async () => {
    subgraph = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
  });
  afterAll(async () => {
    await subgraph?.stop();
  });

  const sql = (text: string, params: unknown[] = []) => subgraph.orm.em.getConnection().execute<any[]>(text, params);
  async function run(query: string, name: string, input: Record<string, unknown>, as: Identity = admin) {
    const response = await subgraphRequest(subgraph.url, query, { input }, as);
    expect(response.errors).toBeUndefined();
    return response.data![name];
  }

  it('createProduct: a retry returns the first product, with one row and one sync job', async () => {
    const catalog = (await run(CREATE_CATALOG, 'createCatalog', { name: unique('cat'), visibility: 'PUBLIC' })).catalog;
    const slug = unique('idem-product');
    const input = {
      slug,
      name: 'Idem',
      status: 'PUBLISHED',
      tykApiIds: [`api-${slug}`],
      catalogIds: [catalog.id],
      idempotencyKey: `p-${slug}`,
    };
    const first = await run(CREATE_PRODUCT, 'createProduct', input);
    expect(first.errors).toEqual([]);
    // Key order and explicit nulls do not make another input.
    const { idempotencyKey, ...rest } = input;
    const retry = await run(CREATE_PRODUCT, 'createProduct', { idempotencyKey, description: null, ...rest });
    expect(retry).toEqual(first);
    expect(await sql('select count(*)::int as n from products.product where slug = ?', [slug])).toEqual([{ n: 1 }]);
    const jobs = await sql(`select j.revision from graphile_worker._private_jobs j where j.key = ?`, [`product:${first.product.id}`]);
    expect(jobs).toEqual([{ revision: 0 }]); // enqueued once, never replaced by the retry

    const other = await run(CREATE_PRODUCT, 'createProduct', { ...input, name: 'Other' });
    expect(other).toEqual({ product: null, errors: [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }] });
    const byOtherAdmin = await run(CREATE_PRODUCT, 'createProduct', input, portalAdmin());
    expect(byOtherAdmin.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.slug' }]);
    const malformed = await run(CREATE_PRODUCT, 'createProduct', { ...input, idempotencyKey: 'x'.repeat(129) });
    expect(malformed.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
  });

  it('lets concurrent retries wait for the first call: four at once make one product', async () => {
    const slug = unique('race-product');
    const input = { slug, name: 'Race', idempotencyKey: `race-${slug}` };
    const results = await Promise.all([1, 2, 3, 4].map(() => run(CREATE_PRODUCT, 'createProduct', input)));
    expect(results.map((r) => r.errors)).toEqual([[], [], [], []]);
    expect(new Set(results.map((r) => r.product.id)).size).toBe(1);
    expect(await sql('select count(*)::int as n from products.product where slug = ?', [slug])).toEqual([{ n: 1 }]);
  });

  it('createCatalog: a retry returns the first catalog; other input is refused; keys expire after 24 hours', async () => {
    const name = unique('idem-catalog');
    const input = { name, visibility: 'PUBLIC', idempotencyKey: `c-${name}` };
    const first = await run(CREATE_CATALOG, 'createCatalog', input);
    expect(first.errors).toEqual([]);
    expect(await run(CREATE_CATALOG, 'createCatalog', input)).toEqual(first);
    expect(await sql('select count(*)::int as n from products.catalog where name = ?', [name])).toEqual([{ n: 1 }]);
    const other = await run(CREATE_CATALOG, 'createCatalog', { ...input, visibility: 'PRIVATE' });
    expect(other.errors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
    const byOtherAdmin = await run(CREATE_CATALOG, 'createCatalog', input, portalAdmin());
    expect(byOtherAdmin.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name' }]);
    await sql(`update products.idempotency_key set created_at = created_at - interval '25 hours' where key = ?`, [input.idempotencyKey]);
    const late = await run(CREATE_CATALOG, 'createCatalog', input);
    expect(late.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name' }]);
  });
});
