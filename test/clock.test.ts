/**
 * Every time the subgraphs write comes from their injected clock (`StartOptions.clock`), entity
 * timestamps included (`entityNow` in common/clock.ts). The clock here stands years away from the
 * real time, so any value taken from the system clock would show.
 */
import { entityNow } from '../common/clock';
import { ManualClock } from './kit/clock';
import { startSubgraph, type RunningSubgraph, type SubgraphModule } from '../common/server';
import { productsSubgraph } from '../subgraphs/products';
import { plansSubgraph } from '../subgraphs/plans';
import { developersSubgraph } from '../subgraphs/developers';
import { testDatabaseUrl, unique } from './helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from './helpers/graphql';

const ERRORS = 'errors { code field message }';
const PLAN = 'id version status createdAt updatedAt publishedAt archivedAt';

describe('the injected clock', () => {
  const clock = new ManualClock('2031-03-04T05:06:07.000Z');
  const admin = portalAdmin();
  let products: RunningSubgraph;
  let plans: RunningSubgraph;
  let developers: RunningSubgraph;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    // No job workers: what is tested is written by the mutations themselves.
    const start = (module: SubgraphModule) => startSubgraph({ ...module, jobs: undefined }, { databaseUrl, port: 0, clock });
    products = await start(productsSubgraph);
    plans = await start(plansSubgraph);
    developers = await start(developersSubgraph);
  });
  afterAll(async () => {
    await developers?.stop();
    await plans?.stop();
    await products?.stop();
  });

  /** Runs a mutation and returns its payload; fails on GraphQL or payload errors. */
  async function mutate(subgraph: RunningSubgraph, name: string, query: string, input: Record<string, unknown>, as: Identity) {
    const response = await subgraphRequest(subgraph.url, query, { input }, as);
    const payload = response.data?.[name];
    if (response.errors || !payload || payload.errors.length) throw new Error(`${name}: ${JSON.stringify(response.errors ?? payload)}`);
    return payload;
  }

  const sql = async (subgraph: RunningSubgraph, text: string, params: unknown[]) =>
    subgraph.orm.em.getConnection().execute<Record<string, unknown>[]>(text, params);

  it('stamps catalogs, products, plans, their versions, organizations, apps and access requests with its time', async () => {
    const t0 = clock.now().toISOString();
    const { catalog } = await mutate(
      products,
      'createCatalog',
      `mutation($input: CreateCatalogInput!) { createCatalog(input: $input) { catalog { id createdAt updatedAt } ${ERRORS} } }`,
      { name: unique('catalog'), visibility: 'PUBLIC' },
      admin,
    );
    expect(catalog).toMatchObject({ createdAt: t0, updatedAt: t0 });
    const slug = unique('product');
    const { product } = await mutate(
      products,
      'createProduct',
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id createdAt updatedAt } ${ERRORS} } }`,
      { slug, name: slug, status: 'PUBLISHED', tykApiIds: [`api-${slug}`], catalogIds: [catalog.id] },
      admin,
    );
    expect(product).toMatchObject({ createdAt: t0, updatedAt: t0 });
    const created = await mutate(
      plans,
      'createPlan',
      `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
      {
        name: unique('plan'),
        displayName: 'Clock plan',
        catalogIds: [catalog.id],
        status: 'DRAFT',
        quota: { requests: 100, period: 'DAY' },
      },
      admin,
    );
    expect(created.plan).toMatchObject({ createdAt: t0, updatedAt: t0, publishedAt: null, archivedAt: null });
    const planId = created.plan.id;

    const t1 = clock.advance(60).toISOString();
    const updated = await mutate(
      products,
      'updateProduct',
      `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { createdAt updatedAt } ${ERRORS} } }`,
      { id: product.id, displayName: 'Renamed by the clock test' },
      admin,
    );
    expect(updated.product).toEqual({ createdAt: t0, updatedAt: t1 });
    const published = await mutate(
      plans,
      'publishPlan',
      `mutation($input: PublishPlanInput!) { publishPlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
      { id: planId },
      admin,
    );
    // updatedAt comes from the ORM's update hook (onUpdate), publishedAt from the resolver.
    expect(published.plan).toMatchObject({ status: 'PUBLISHED', createdAt: t0, updatedAt: t1, publishedAt: t1, archivedAt: null });

    const owner = developer();
    const { organization } = await mutate(
      developers,
      'createOrganization',
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id createdAt updatedAt } ${ERRORS} } }`,
      { name: unique('Org'), slug: unique('org'), adminSubject: owner.sub },
      admin,
    );
    expect(organization).toMatchObject({ createdAt: t1, updatedAt: t1 });
    const { app } = await mutate(
      developers,
      'createApp',
      `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id createdAt updatedAt } ${ERRORS} } }`,
      { organizationId: organization.id, name: unique('app') },
      owner,
    );
    expect(app).toMatchObject({ createdAt: t1, updatedAt: t1 });
    const t2 = clock.advance(60).toISOString();
    const { accessRequest } = await mutate(
      developers,
      'requestAccess',
      `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { accessRequest { id status createdAt } ${ERRORS} } }`,
      { appId: app.id, planId, productIds: [product.id] },
      owner,
    );
    expect(accessRequest).toMatchObject({ status: 'PENDING', createdAt: t2 });
    // The owner's profile was created with SQL on their first mutation (createApp, at t1).
    const [profile] = await sql(developers, 'select created_at, updated_at from developers.developer where subject = ?', [owner.sub]);
    expect([new Date(String(profile.created_at)).toISOString(), new Date(String(profile.updated_at)).toISOString()]).toEqual([t1, t1]);

    const t3 = clock.advance(60).toISOString();
    const archived = await mutate(
      plans,
      'archivePlan',
      `mutation($input: ArchivePlanInput!) { archivePlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
      { id: planId },
      admin,
    );
    expect(archived.plan).toMatchObject({ status: 'ARCHIVED', createdAt: t0, updatedAt: t3, publishedAt: t1, archivedAt: t3 });
    const versions = await subgraphRequest(
      plans.url,
      `query($planId: ID!) { planVersions(planId: $planId, first: 10) { edges { node { version action changedAt } } } }`,
      { planId },
      admin,
    );
    expect(versions.errors).toBeUndefined();
    const changedAt = versions.data.planVersions.edges.map((e: { node: { action: string; changedAt: string } }) => [
      e.node.action,
      e.node.changedAt,
    ]);
    expect(changedAt.sort((a: string[], b: string[]) => a[1].localeCompare(b[1]))).toEqual([
      ['CREATED', t0],
      ['PUBLISHED', t1],
      ['ARCHIVED', t3],
    ]);
  });

  it('refuses to stamp an entity for an ORM that has no clock, rather than read the system clock', () => {
    expect(() => entityNow(null, { config: {} })).toThrow(/no clock registered/);
  });
});
