/**
 * `deleteCatalog`: refused while a plan is in the catalog (read from the plans subgraph's published
 * view), otherwise the catalog, its audience and its product memberships go, the products stay
 * (version bumped, provider sync enqueued); portal admins only.
 */
import { randomUUID } from 'node:crypto';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest } from '../../test/helpers/graphql';
import { developersSubgraph } from '../developers';
import { plansSubgraph } from '../plans';
import { productsSubgraph } from '.';

const DELETE = `mutation($input: DeleteCatalogInput!) { deleteCatalog(input: $input) { deletedCatalogId errors { code field message } } }`;

describe('deleteCatalog', () => {
  let products: RunningSubgraph;
  let plans: RunningSubgraph;
  let developers: RunningSubgraph;
  const admin = { ...portalAdmin(), amr: ['pwd', 'mfa'] };

  beforeAll(async () => {
    developers = await startSubgraph(developersSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    products = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    plans = await startSubgraph(plansSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
  });
  afterAll(async () => {
    await plans?.stop();
    await products?.stop();
    await developers?.stop();
  });

  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    products.orm.em.getConnection().execute<T[]>(text, params);

  async function ok(url: string, document: string, input: Record<string, unknown>) {
    const response = await subgraphRequest(url, document, { input }, admin);
    expect(response.errors).toBeUndefined();
    const payload = Object.values(response.data as Record<string, { errors: unknown[] }>)[0];
    expect(payload.errors).toEqual([]);
    return payload as any;
  }

  it('refuses while a plan is in the catalog, then deletes it with its audience and memberships, keeping and syncing its products', async () => {
    const slug = unique('aud');
    const org = await ok(
      developers.url,
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } errors { code } } }`,
      { name: slug, slug },
    );
    const product = await ok(
      products.url,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id version } errors { code } } }`,
      { slug: unique('prod'), name: 'Doomed catalog product' },
    );
    const catalog = await ok(
      products.url,
      `mutation($input: CreateCatalogInput!) { createCatalog(input: $input) { catalog { id } errors { code } } }`,
      {
        name: unique('Doomed'),
        visibility: 'PRIVATE',
        audience: { organizationIds: [org.organization.id] },
        productIds: [product.product.id],
      },
    );
    const catalogId: string = catalog.catalog.id;
    const plan = await ok(plans.url, `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } errors { code } } }`, {
      name: unique('in-doomed'),
      displayName: 'In it',
      catalogIds: [catalogId],
    });

    const refused = await subgraphRequest(products.url, DELETE, { input: { id: catalogId } }, admin);
    expect(refused.data.deleteCatalog.deletedCatalogId).toBeNull();
    expect(refused.data.deleteCatalog.errors).toEqual([expect.objectContaining({ code: 'CATALOG_IN_USE', field: 'input.id' })]);
    expect(refused.data.deleteCatalog.errors[0].message).toContain('in-doomed');
    expect(await sql(`select id from products.catalog where id = ?`, [catalogId])).toHaveLength(1);

    await ok(plans.url, `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { id } errors { code } } }`, {
      id: plan.plan.id,
      catalogIds: [],
    });
    await sql(`select graphile_worker.remove_job(?)`, [`product:${product.product.id}`]);
    const [before] = await sql<{ version: number }>(`select version from products.product where id = ?`, [product.product.id]);
    const deleted = await ok(products.url, DELETE, { id: catalogId });
    expect(deleted.deletedCatalogId).toBe(catalogId);
    expect(await sql(`select id from products.catalog where id = ?`, [catalogId])).toEqual([]);
    expect(await sql(`select catalog_id from products.catalog_audience where catalog_id = ?`, [catalogId])).toEqual([]);
    expect(await sql(`select catalog_id from products.catalog_product where catalog_id = ?`, [catalogId])).toEqual([]);
    const [kept] = await sql<{ version: number }>(`select version from products.product where id = ?`, [product.product.id]);
    expect(kept.version).toBe(before.version + 1);
    const jobs = await sql<{ key: string }>(`select key from graphile_worker._private_jobs where key = ?`, [
      `product:${product.product.id}`,
    ]);
    expect(jobs).toEqual([{ key: `product:${product.product.id}` }]);
  });

  it('is NOT_FOUND for an unknown catalog, and refuses everyone but portal admins', async () => {
    const unknown = await subgraphRequest(products.url, DELETE, { input: { id: randomUUID() } }, admin);
    expect(unknown.data.deleteCatalog.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.id' })]);
    const catalog = await ok(
      products.url,
      `mutation($input: CreateCatalogInput!) { createCatalog(input: $input) { catalog { id } errors { code } } }`,
      { name: unique('Kept'), visibility: 'PUBLIC' },
    );
    const dev = await subgraphRequest(products.url, DELETE, { input: { id: catalog.catalog.id } }, developer());
    expect(dev.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await subgraphRequest(products.url, DELETE, { input: { id: catalog.catalog.id } }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await sql(`select id from products.catalog where id = ?`, [catalog.catalog.id])).toHaveLength(1);
  });
});
