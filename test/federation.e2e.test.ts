import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin } from './helpers/graphql';
import { unique } from './helpers/db';
import { Seed } from './kit/seed';

/**
 * The catalogue through the gateway: catalogs and products (products subgraph) joined with plans
 * (plans subgraph) and organizations (developers subgraph), seen by each kind of caller.
 */
describe('catalogue through the gateway', () => {
  let platform: TestPlatform;
  let seed: Seed;
  const admin = portalAdmin();
  const alice = developer();
  const bob = developer();
  const tag = unique('cat');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    platform = await startPlatform();
    seed = new Seed(platform.gatewayUrl, admin);
    ids.orgA = await seed.organization(alice.sub);
    ids.orgB = await seed.organization(bob.sub);
    ids.public = await seed.catalog({ name: `${tag} public` });
    ids.private = await seed.catalog({ name: `${tag} partners`, visibility: 'PRIVATE', organizationIds: [ids.orgA] });
    ids.p1 = await seed.product({ slug: `${tag}-p1`, catalogIds: [ids.public] });
    ids.p2 = await seed.product({ slug: `${tag}-p2`, catalogIds: [ids.private] });
    ids.p3 = await seed.product({ slug: `${tag}-p3`, catalogIds: [ids.public], status: 'DRAFT' });
    ids.gold = await seed.plan({ name: `${tag} gold`, catalogIds: [ids.public], tier: 2 });
    ids.silver = await seed.plan({ name: `${tag} silver`, catalogIds: [ids.public], tier: 1 });
    ids.partner = await seed.plan({ name: `${tag} partner`, catalogIds: [ids.private], tier: 1 });
    ids.draft = await seed.plan({ name: `${tag} draft`, catalogIds: [ids.public], status: 'DRAFT', tier: 0 });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const CATALOGUE = `query($search: String) {
    products(first: 20, filter: { search: $search }) {
      edges { node { slug catalogs { name } availablePlans { name tier quota { requests period } catalogs { name } } } }
    }
  }`;
  const view = async (identity: typeof admin | null) => {
    const r = await gatewayRequest(platform.gatewayUrl, CATALOGUE, { search: tag }, identity);
    expect(r.errors).toBeUndefined();
    return Object.fromEntries(
      r.data.products.edges.map((e: any) => [
        e.node.slug.replace(`${tag}-`, ''),
        e.node.availablePlans.map((p: any) => p.name.replace(`${tag} `, '')),
      ]),
    );
  };

  it('shows an audience member the public and their private catalogue, plans ordered by tier', async () => {
    expect(await view(alice)).toEqual({ p1: ['silver', 'gold'], p2: ['partner'] });
  });

  it('shows another organization and anonymous callers only the public catalogue', async () => {
    expect(await view(bob)).toEqual({ p1: ['silver', 'gold'] });
    expect(await view(null)).toEqual({ p1: ['silver', 'gold'] });
    const direct = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { plan(id: $id) { name } catalog(id: "${ids.private}") { name } }`,
      { id: ids.partner },
      bob,
    );
    expect(direct.data).toEqual({ plan: null, catalog: null });
  });

  it('shows portal admins drafts too', async () => {
    expect(await view(admin)).toEqual({ p1: ['draft', 'silver', 'gold'], p2: ['partner'], p3: ['draft', 'silver', 'gold'] });
  });

  it('lets a portal admin edit a plan and roll it back, keeping every version', async () => {
    const update = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: UpdatePlanInput!) { updatePlan(input: $i) { plan { version quota { requests } } errors { code field } } }`,
      { i: { id: ids.gold, quota: { requests: 5000, period: 'DAY' } } },
      admin,
    );
    expect(update.data.updatePlan).toEqual({ plan: { version: 2, quota: { requests: 5000 } }, errors: [] });
    const rollback = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: RollbackPlanInput!) { rollbackPlan(input: $i) { plan { version quota { requests } } errors { code field } } }`,
      { i: { id: ids.gold, toVersion: 1 } },
      admin,
    );
    expect(rollback.data.rollbackPlan).toEqual({ plan: { version: 3, quota: { requests: 1000 } }, errors: [] });
    const versions = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { planVersions(planId: $id) { edges { node { version action changes { field } } } } }`,
      { id: ids.gold },
      admin,
    );
    expect(versions.data.planVersions.edges.map((e: any) => [e.node.version, e.node.action])).toEqual([
      [3, 'ROLLED_BACK'],
      [2, 'UPDATED'],
      [1, 'CREATED'],
    ]);
    const refused = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { planVersions(planId: $id) { totalCount } }`,
      { id: ids.gold },
      alice,
    );
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('runs the same number of SQL statements for 1 product as for many (no N+1 across subgraphs)', async () => {
    const bulk = unique('bulk');
    const extra = await seed.catalog({ name: `${bulk} catalog` });
    for (let i = 0; i < 5; i++) await seed.product({ slug: `${bulk}-${i}`, catalogIds: [extra, ids.public] });
    const count = async (first: number) => {
      for (const list of Object.values(platform.queries)) list.length = 0;
      const r = await gatewayRequest(
        platform.gatewayUrl,
        `query($s: String, $n: Int) { products(first: $n, filter: { search: $s }) { edges { node { slug catalogs { name plans { name } } availablePlans { name } } } } }`,
        { s: bulk, n: first },
        alice,
      );
      expect(r.data.products.edges).toHaveLength(first);
      return Object.fromEntries(Object.entries(platform.queries).map(([name, list]) => [name, list.length]));
    };
    const one = await count(1);
    const five = await count(5);
    expect(five).toEqual(one);
  });

  it('creates a plan with every option through the gateway, publishes it, and shows it to its audience', async () => {
    const PLAN_FIELDS = `name displayName descriptionHtml status version quotaScope keyExpiresAfterSeconds jwtScopes autoApprove tier trialDays
      quota { unlimited requests period periodSeconds } rateLimit { unlimited requests perSeconds }
      accessRequestLimit { unlimited allowance renewalSeconds } credentialMetadata { key value } catalogs { name }`;
    const created = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: CreatePlanInput!) { createPlan(input: $i) { plan { id ${PLAN_FIELDS} } errors { code field message } } }`,
      {
        i: {
          name: `${tag} enterprise`,
          displayName: 'Enterprise',
          description: 'For **big** partners <script>x</script>',
          catalogIds: [ids.private],
          quota: { requests: 7200, period: 'CUSTOM', periodSeconds: 7200 },
          rateLimit: { requests: 50, perSeconds: 10 },
          quotaScope: 'ORGANIZATION',
          keyExpiresAfterSeconds: 86400,
          jwtScopes: ['read write', 'billing,admin'],
          credentialMetadata: [{ key: 'tier', value: 'enterprise' }],
          autoApprove: true,
          accessRequestLimit: { allowance: 3, renewalSeconds: 86400 },
          tier: 9,
          trialDays: 14,
        },
      },
      admin,
    );
    expect(created.data.createPlan.errors).toEqual([]);
    const plan = created.data.createPlan.plan;
    expect(plan).toMatchObject({
      status: 'DRAFT',
      version: 1,
      quotaScope: 'ORGANIZATION',
      keyExpiresAfterSeconds: 86400,
      jwtScopes: ['read', 'write', 'billing', 'admin'],
      autoApprove: true,
      tier: 9,
      trialDays: 14,
      quota: { unlimited: false, requests: 7200, period: 'CUSTOM', periodSeconds: 7200 },
      rateLimit: { unlimited: false, requests: 50, perSeconds: 10 },
      accessRequestLimit: { unlimited: false, allowance: 3, renewalSeconds: 86400 },
      credentialMetadata: [{ key: 'tier', value: 'enterprise' }],
      catalogs: [{ name: `${tag} partners` }],
    });
    expect(plan.descriptionHtml).toContain('<strong>big</strong>');
    expect(plan.descriptionHtml).not.toContain('<script>');
    expect(await view(alice)).toEqual({ p1: ['silver', 'gold'], p2: ['partner'] });

    const published = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: PublishPlanInput!) { publishPlan(input: $i) { plan { status version } errors { code } } }`,
      { i: { id: plan.id, expectedVersion: 1 } },
      admin,
    );
    expect(published.data.publishPlan).toEqual({ plan: { status: 'PUBLISHED', version: 2 }, errors: [] });
    expect(await view(alice)).toEqual({ p1: ['silver', 'gold'], p2: ['partner', 'enterprise'] });
    expect(await view(bob)).toEqual({ p1: ['silver', 'gold'] });
    expect(await view(null)).toEqual({ p1: ['silver', 'gold'] });
  });
});
