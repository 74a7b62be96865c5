import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin } from './helpers/graphql';
import { unique } from './helpers/db';

/** Queries that join subgraphs through the gateway, and their SQL cost. */
describe('cross-subgraph queries through the gateway', () => {
  let platform: TestPlatform;
  const admin = portalAdmin();
  const tag = unique('join');
  const productIds: string[] = [];

  async function createProduct(slug: string, status = 'PUBLISHED'): Promise<string> {
    const r = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } errors { code message } } }`,
      { i: { slug, name: slug, status } },
      admin,
    );
    expect(r.data.createProduct.errors).toEqual([]);
    return r.data.createProduct.product.id;
  }

  async function createPlan(name: string, products: string[], status = 'PUBLISHED'): Promise<string> {
    const r = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { id } errors { code field message } } }`,
      { i: { name, displayName: name, productIds: products, status, quota: { requests: 1000, periodSeconds: 86400 }, rateLimit: { requests: 10, perSeconds: 1 } } },
      admin,
    );
    expect(r.data.createPlan.errors).toEqual([]);
    return r.data.createPlan.plan.id;
  }

  beforeAll(async () => {
    platform = await startPlatform();
    for (let i = 0; i < 6; i++) productIds.push(await createProduct(`${tag}-p${i}`));
    for (let i = 0; i < 6; i++) {
      await createPlan(`${tag} gold ${i}`, [productIds[i]]);
      await createPlan(`${tag} draft ${i}`, [productIds[i]], 'DRAFT');
    }
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const CATALOG = `query($search: String, $first: Int) {
    products(first: $first, filter: { search: $search }) {
      edges { node { slug availablePlans { name status quota { requests periodSeconds } rateLimit { requests perSeconds } products { slug } } } }
    }
  }`;

  it('joins products (products subgraph) with their plans (plans subgraph) and back', async () => {
    const r = await gatewayRequest(platform.gatewayUrl, CATALOG, { search: tag, first: 2 }, developer());
    expect(r.errors).toBeUndefined();
    expect(r.data.products.edges).toEqual([
      {
        node: {
          slug: `${tag}-p0`,
          availablePlans: [
            { name: `${tag} gold 0`, status: 'PUBLISHED', quota: { requests: 1000, periodSeconds: 86400 }, rateLimit: { requests: 10, perSeconds: 1 }, products: [{ slug: `${tag}-p0` }] },
          ],
        },
      },
      expect.objectContaining({ node: expect.objectContaining({ slug: `${tag}-p1` }) }),
    ]);
  });

  it('shows draft plans to portal admins only', async () => {
    const r = await gatewayRequest(platform.gatewayUrl, CATALOG, { search: `${tag}-p3`, first: 1 }, admin);
    expect(r.data.products.edges[0].node.availablePlans.map((p: { name: string }) => p.name)).toEqual([`${tag} gold 3`, `${tag} draft 3`]);
    const anonymous = await gatewayRequest(platform.gatewayUrl, CATALOG, { search: `${tag}-p3`, first: 1 }, null);
    expect(anonymous.data.products.edges[0].node.availablePlans.map((p: { name: string }) => p.name)).toEqual([`${tag} gold 3`]);
  });

  it('runs the same number of SQL statements for 1 product as for 6 (no N+1)', async () => {
    const count = async (first: number) => {
      for (const list of Object.values(platform.queries)) list.length = 0;
      const r = await gatewayRequest(platform.gatewayUrl, CATALOG, { search: tag, first }, developer());
      expect(r.data.products.edges).toHaveLength(first);
      return Object.fromEntries(Object.entries(platform.queries).map(([name, list]) => [name, list.length]));
    };
    const one = await count(1);
    const six = await count(6);
    expect(six).toEqual(one);
    expect(six.plans).toBeGreaterThan(0);
  });
});
