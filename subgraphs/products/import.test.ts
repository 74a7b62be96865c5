/**
 * Dashboard-first import, the products side: `products.importPolicy` jobs (as the provider
 * enqueues them, here with SQL) create bare DRAFT products with the given id and a unique slug,
 * follow renames and API changes (version + 1), and are idempotent.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest } from '../../test/helpers/graphql';
import { waitFor } from '../../test/helpers/wait';
import { acceptedApiIds, slugOf } from './jobs/import-policy';
import { productsSubgraph } from '.';

const admin = portalAdmin();
const PRODUCT = `query($id: ID!) { product(id: $id) { id slug name displayName description status version tykApiIds tags } }`;

describe('products.importPolicy', () => {
  let products: RunningSubgraph;
  let db: pg.Pool;
  const providerId = randomUUID();

  beforeAll(async () => {
    products = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await products?.stop();
  });

  const payload = (overrides: Record<string, unknown> = {}): Record<string, any> => ({
    providerId,
    policyId: unique('policy'),
    productId: randomUUID(),
    name: `Payments ${unique('api')}`,
    tykApiIds: ['pay-api', 'refunds-api'],
    reason: 'NEW',
    ...overrides,
  });
  const enqueue = (job: Record<string, any>) =>
    db.query(`select graphile_worker.add_job('products.importPolicy', $1::json, job_key := $2)`, [
      JSON.stringify(job),
      `import:${job.providerId}:${job.policyId}`,
    ]);
  const runImport = async (job: Record<string, any>) => {
    await enqueue(job);
    const key = `import:${job.providerId}:${job.policyId}`;
    await waitFor(async () => (await db.query('select 1 from graphile_worker.jobs where key = $1', [key])).rowCount === 0, {
      what: `job ${key} to run`,
    });
  };
  const product = async (id: string) => (await subgraphRequest(products.url, PRODUCT, { id }, admin)).data.product;

  it('creates a bare DRAFT product with the given id, once', async () => {
    const job = payload();
    await enqueue(job);
    const row = await waitFor(async () => (await db.query('select * from products.product where id = $1', [job.productId])).rows[0], {
      what: 'the imported product',
    });
    expect(row).toMatchObject({ name: job.name, display_name: job.name, description: '', status: 'DRAFT', version: 1 });
    expect(await product(job.productId)).toMatchObject({
      slug: slugOf(job.name),
      name: job.name,
      displayName: job.name,
      description: '',
      status: 'DRAFT',
      tykApiIds: ['pay-api', 'refunds-api'],
      tags: [],
    });
    expect((await db.query('select 1 from products.catalog_product where product_id = $1', [job.productId])).rowCount).toBe(0);
    const audit = await db.query(`select actor, action, change from platform.audit_log where target_type = 'Product' and target_id = $1`, [
      job.productId,
    ]);
    expect(audit.rows).toEqual([{ actor: 'system:import', action: 'products.importPolicy', change: 'CREATE' }]);

    await runImport(job);
    await runImport({ ...job, reason: 'CHANGED' });
    expect((await product(job.productId)).version).toBe(1);
    expect((await db.query(`select count(*)::int as n from platform.audit_log where target_id = $1`, [job.productId])).rows[0].n).toBe(1);
  });

  it('follows renames and API changes (the slug stays), and unique-ifies slugs', async () => {
    const job = payload();
    await runImport(job);
    const slug = (await product(job.productId)).slug;
    const renamed = { ...job, name: `${job.name} v2`, tykApiIds: ['pay-api'], reason: 'RENAMED' };
    await runImport(renamed);
    expect(await product(job.productId)).toMatchObject({
      slug,
      name: renamed.name,
      displayName: renamed.name,
      tykApiIds: ['pay-api'],
      version: 2,
    });
    await runImport(renamed);
    expect((await product(job.productId)).version).toBe(2);

    // Same name from another policy: the slug gets a suffix.
    const twin = payload({ name: job.name });
    await runImport(twin);
    expect((await product(twin.productId)).slug).toBe(`${slug}-2`);

    // A display name edited in the portal is kept on the next rename.
    const edited = await subgraphRequest(
      products.url,
      `mutation($i: UpdateProductInput!) { updateProduct(input: $i) { errors { code message } } }`,
      { i: { id: job.productId, displayName: 'Payments (portal)' } },
      admin,
    );
    expect(edited.data.updateProduct.errors).toEqual([]);
    await runImport({ ...renamed, name: `${job.name} v3` });
    expect(await product(job.productId)).toMatchObject({ name: `${job.name} v3`, displayName: 'Payments (portal)', version: 4 });
  });

  it('keeps values within the product rules', async () => {
    expect(slugOf('  Ünïcode — Payments!! API  ')).toBe('unicode-payments-api');
    expect(slugOf('!!!')).toBe('imported-product');
    expect(acceptedApiIds(['ok-1', 'bad id', 'ok-1', ''])).toEqual({ ids: ['ok-1'], dropped: ['bad id', ''] });
    const job = payload({ name: `  ${'x'.repeat(200)}  `, tykApiIds: ['good', 'not good'] });
    await runImport(job);
    const imported = await product(job.productId);
    expect(imported.name).toHaveLength(120);
    expect(imported.tykApiIds).toEqual(['good']);
    expect(imported.slug.length).toBeLessThanOrEqual(64);

    const malformed = payload({ productId: 'nope' });
    await runImport(malformed);
    expect((await db.query('select 1 from products.product where name = $1', [malformed.name])).rowCount).toBe(0);
  });
});
