import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parse } from 'graphql';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { parseMetrics, valueOf } from './helpers/prometheus';
import { describeWithRedis } from './helpers/services';
import { testDatabaseUrl } from './helpers/db';
import { waitFor } from './helpers/wait';
import { TcpProxy } from './helpers/tcp-proxy';
import { Seed } from './kit/seed';
import { compose } from '../scripts/compose';
import { catalogueCoordinates } from '../gateway/response-cache';
import type { RunningGateway } from '../gateway';

/**
 * The gateway's response cache (gateway/response-cache.ts): anonymous public-catalogue reads are
 * served from it, every catalogue mutation through the gateway invalidates it before its answer
 * returns, signed-in callers and anything else bypass it.
 */

/** A catalog page as an anonymous portal visitor reads it: catalogs, one catalog, its products and their plans. */
const PAGE = `query Page($c: ID!) {
  catalogs(first: 100) { totalCount edges { node { id name } } }
  catalog(id: $c) { id name products(first: 50) { totalCount edges { node { id } } } plans { id name displayName status } }
  products(first: 50, filter: { catalogId: $c }) {
    totalCount
    edges { node { id slug name displayName status catalogs { id name } availablePlans { id name displayName tier } } }
  }
}`;

const admin = portalAdmin();

async function cacheCounts(gateway: RunningGateway) {
  const samples = parseMetrics(await (await fetch(new URL('/metrics', gateway.url))).text());
  return {
    hit: valueOf(samples, 'gateway_response_cache_total', { result: 'hit' }),
    miss: valueOf(samples, 'gateway_response_cache_total', { result: 'miss' }),
    bypass: valueOf(samples, 'gateway_response_cache_total', { result: 'bypass' }),
  };
}

/** The catalog page through a gateway, with how the cache answered it. */
async function readPage(gateway: RunningGateway, catalogId: string, identity: Identity | null = null) {
  const before = await cacheCounts(gateway);
  const answer = await gatewayRequest(gateway.url, PAGE, { c: catalogId }, identity);
  const after = await cacheCounts(gateway);
  expect(answer.status).toBe(200);
  expect(answer.errors).toBeUndefined();
  const served = after.hit > before.hit ? 'hit' : after.miss > before.miss ? 'miss' : after.bypass > before.bypass ? 'bypass' : 'none';
  return { data: answer.data, served };
}

async function mutate(gateway: RunningGateway, mutation: string, inputType: string, input: Record<string, unknown>, identity = admin) {
  const answer = await gatewayRequest(
    gateway.url,
    `mutation($i: ${inputType}!) { ${mutation}(input: $i) { errors { code message } } }`,
    { i: input },
    identity,
  );
  expect(answer.errors).toBeUndefined();
  expect(answer.data?.[mutation].errors).toEqual([]);
}

const names = (list: { id: string; name: string }[]) => list.map((x) => x.name).sort();
const productOf = (data: any, id: string) => data.products.edges.map((e: any) => e.node).find((n: any) => n.id === id);

describe('every catalogue mutation of the supergraph invalidates', () => {
  it('classifies every Mutation field of the products and plans subgraphs as a catalogue change', async () => {
    const { supergraph } = await compose();
    const coordinates = catalogueCoordinates(supergraph);
    const mutations = [...coordinates].filter((c) => c.startsWith('Mutation.')).sort();
    // The list the table below (and docs/ARCHITECTURE.md) is about; a new one fails here until it is looked at.
    expect(mutations).toEqual(
      [
        'archivePlan',
        'archiveProduct',
        'approvePlanChange',
        'createCatalog',
        'createPlan',
        'createProduct',
        'deleteCatalog',
        'deletePlan',
        'proposePlanChange',
        'publishPlan',
        'rejectPlanChange',
        'rollBackPlanRollout',
        'rollbackPlan',
        'updateCatalog',
        'updatePlan',
        'updateProduct',
      ]
        .map((m) => `Mutation.${m}`)
        .sort(),
    );
    // Fields of other subgraphs never count as catalogue (their answers change without a catalogue mutation).
    for (const other of ['Query.viewer', 'Product.sync', 'Product.provider', 'Plan.usage', 'Plan.sync'])
      expect(coordinates.has(other)).toBe(false);
    expect(parse(PAGE)).toBeTruthy();
  });
});

describe('response cache at the gateway (in process)', () => {
  let platform: TestPlatform;
  let gateway: RunningGateway;
  let seed: Seed;
  let catalogId: string;
  let productId: string;
  let planId: string;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, RESPONSE_CACHE_TTL_SECONDS: '600' };
    delete env.REDIS_URL;
    platform = await startPlatform({ gatewayEnv: env });
    gateway = platform.gateway;
    seed = new Seed(platform.gatewayUrl, admin);
    catalogId = await seed.catalog();
    productId = await seed.product({ catalogIds: [catalogId] });
    planId = await seed.plan({ catalogIds: [catalogId], name: 'first' });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('serves repeated anonymous reads from the cache, equal to the uncached answer', async () => {
    const first = await readPage(gateway, catalogId);
    const second = await readPage(gateway, catalogId);
    expect(second.served).toBe('hit');
    expect(second.data).toEqual(first.data);
    expect(productOf(second.data, productId)).toBeTruthy();
    // The same page uncached (a gateway without the cache) answers the same.
    const uncached = await platform.extraGateway({ ...process.env, RESPONSE_CACHE_TTL_SECONDS: '0', REDIS_URL: '' });
    const fresh = await gatewayRequest(uncached.url, PAGE, { c: catalogId });
    expect(fresh.data).toEqual(second.data);
  });

  it('keys entries by document and variables, whatever the order of the variables, and sends a hit as stored', async () => {
    const TWO = `query Two($c: ID!, $n: Int) { products(first: $n, filter: { catalogId: $c }) { totalCount edges { node { id name } } } }`;
    const ask = async (variables: Record<string, unknown>) => {
      const before = await cacheCounts(gateway);
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: TWO, variables }),
      });
      const text = await response.text();
      const after = await cacheCounts(gateway);
      return { text, hit: after.hit > before.hit, miss: after.miss > before.miss };
    };
    const first = await ask({ c: catalogId, n: 7 });
    expect(first.miss).toBe(true);
    expect(JSON.parse(first.text).data.products.edges.map((e: any) => e.node.id)).toContain(productId);
    const reordered = await ask({ n: 7, c: catalogId });
    expect(reordered.hit).toBe(true);
    expect(reordered.text).toBe(first.text);
    const again = await ask({ c: catalogId, n: 7 });
    expect(again.hit).toBe(true);
    expect(again.text).toBe(first.text);
    // Other variables are another entry.
    const other = await ask({ c: catalogId, n: 6 });
    expect(other.miss).toBe(true);
    expect(JSON.parse(other.text).data).toEqual(JSON.parse(first.text).data);
  });

  it('answers a hit before Yoga with the bytes, content type and request id Yoga gives a hit', async () => {
    const BELOW = `query Below($c: ID!) { catalog(id: $c) { id name } products(first: 5, filter: { catalogId: $c }) { totalCount } }`;
    const early = async () =>
      valueOf(parseMetrics(await (await fetch(new URL('/metrics', gateway.url))).text()), 'gateway_response_cache_early_hits_total', {});
    const read = async (headers: Record<string, string> = {}) => {
      const before = await early();
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: BELOW, variables: { c: catalogId } }),
      });
      const answer = {
        status: response.status,
        type: response.headers.get('content-type'),
        id: response.headers.get('x-request-id'),
        cors: response.headers.get('access-control-allow-origin'),
        body: await response.text(),
      };
      return { ...answer, early: (await early()) > before };
    };
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const first = await read({ accept: 'application/graphql-response+json' });
    expect(JSON.parse(first.body).data.catalog.id).toBe(catalogId);
    for (const accept of ['application/graphql-response+json', 'application/json']) {
      // The first hit for this Accept goes through Yoga, which shows the content type to answer with.
      const throughYoga = await read({ accept });
      expect(throughYoga.early).toBe(false);
      const below = await read({ accept });
      expect(below.early).toBe(true);
      expect(below).toMatchObject({ status: 200, type: throughYoga.type, body: first.body, cors: null });
      expect(below.id).toMatch(UUID);
      expect(below.id).not.toBe(throughYoga.id);
      // A client's own request id is echoed, as Yoga does; one that is not acceptable is replaced.
      expect(await read({ accept, 'x-request-id': 'portal-req-42' })).toMatchObject({ early: true, id: 'portal-req-42', body: first.body });
      const replaced = await read({ accept, 'x-request-id': 'not an id' });
      expect(replaced.early).toBe(true);
      expect(replaced.id).toMatch(UUID);
    }
    expect((await read({ accept: 'application/json' })).type).toMatch(/^application\/json/);
    expect((await read({ accept: 'application/graphql-response+json' })).type).toMatch(/^application\/graphql-response\+json/);
    // Cross-origin reads get Yoga's CORS headers; an Accept Yoga has not answered a hit for goes to Yoga first.
    const crossOrigin = await read({ accept: 'application/json', origin: 'http://portal.example' });
    expect(crossOrigin).toMatchObject({ early: false, cors: 'http://portal.example', body: first.body });
    expect((await read({ accept: 'application/json;q=0.9' })).early).toBe(false);
    // A signed-in caller never gets the anonymous answer, above or below Yoga.
    const signedIn = await gatewayRequest(gateway.url, BELOW, { c: catalogId }, developer());
    expect(signedIn.errors).toBeUndefined();
    expect((await read({ accept: 'application/json', authorization: `Bearer ${tokenFor(developer())}` })).early).toBe(false);
  });

  it("answers a known anonymous read from the cache, still within the caller's rate limit", async () => {
    const limited = await platform.extraGateway({
      ...process.env,
      RESPONSE_CACHE_TTL_SECONDS: '600',
      REDIS_URL: '',
      PLATFORM_RATE_LIMIT: '3/60',
    });
    const read = () =>
      fetch(limited.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: PAGE, variables: { c: catalogId } }),
      });
    const hits = async () =>
      valueOf(parseMetrics(await (await fetch(new URL('/metrics', limited.url))).text()), 'gateway_response_cache_total', {
        result: 'hit',
      });
    const first = await read();
    expect(first.status).toBe(200);
    const body = await first.text();
    expect(JSON.parse(body).data.catalog.id).toBe(catalogId);
    for (let i = 0; i < 2; i++) {
      const again = await read();
      expect(again.status).toBe(200);
      expect(await again.text()).toBe(body);
    }
    expect(await hits()).toBe(2);
    // The fourth operation of this address in the window is refused, cached or not.
    const fourth = await read();
    expect(fourth.status).toBe(429);
    expect((await fourth.json()).errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(await hits()).toBe(2);
  });

  it('never serves a signed-in caller from the cache, nor stores their view', async () => {
    await readPage(gateway, catalogId);
    const member = await readPage(gateway, catalogId, developer());
    expect(member.served).toBe('bypass');
    const adminView = await readPage(gateway, catalogId, admin);
    expect(adminView.served).toBe('bypass');
  });

  it('keeps a private catalog out of anonymous answers and a member’s view to the member', async () => {
    const orgAdmin = developer();
    const organizationId = await seed.organization(orgAdmin.sub);
    const privateCatalog = await seed.catalog({
      visibility: 'PRIVATE',
      organizationIds: [organizationId],
      name: `private-${randomUUID()}`,
    });
    const hidden = await seed.product({ catalogIds: [catalogId, privateCatalog] });
    // The member's view first: it shows the private catalog...
    const member = await readPage(gateway, catalogId, orgAdmin);
    expect(member.served).toBe('bypass');
    expect(productOf(member.data, hidden).catalogs.map((c: any) => c.id)).toContain(privateCatalog);
    expect(member.data.catalogs.edges.map((e: any) => e.node.id)).toContain(privateCatalog);
    // ...and no anonymous answer, fresh or cached, ever does.
    for (let i = 0; i < 2; i++) {
      const anonymous = await readPage(gateway, catalogId);
      expect(anonymous.served).toBe(i === 0 ? 'miss' : 'hit');
      expect(productOf(anonymous.data, hidden).catalogs.map((c: any) => c.id)).toEqual([catalogId]);
      expect(anonymous.data.catalogs.edges.map((e: any) => e.node.id)).not.toContain(privateCatalog);
    }
    // The private catalog itself, asked for anonymously: null, cached as such, never the member's.
    const direct = async (identity: Identity | null) =>
      (await gatewayRequest(gateway.url, 'query($c: ID!) { catalog(id: $c) { id name } }', { c: privateCatalog }, identity)).data;
    expect(await direct(orgAdmin)).toEqual({ catalog: { id: privateCatalog, name: expect.any(String) } });
    expect(await direct(null)).toEqual({ catalog: null });
    expect(await direct(null)).toEqual({ catalog: null });
    expect(await direct(orgAdmin)).toEqual({ catalog: { id: privateCatalog, name: expect.any(String) } });
  });

  it('does not cache answers with errors', async () => {
    // Catalog.audience is for portal admins: an anonymous caller gets an error on it.
    const query = 'query($c: ID!) { catalog(id: $c) { id audience { __typename } } }';
    const before = await cacheCounts(gateway);
    for (let i = 0; i < 3; i++) {
      const answer = await gatewayRequest(gateway.url, query, { c: catalogId });
      expect(answer.errors?.length).toBeGreaterThan(0);
    }
    const after = await cacheCounts(gateway);
    expect(after.hit).toBe(before.hit);
    expect(after.miss).toBe(before.miss + 3);
  });

  it('bypasses queries that reach beyond the catalogue', async () => {
    const before = await cacheCounts(gateway);
    const viewer = await gatewayRequest(gateway.url, '{ viewer { subject } }');
    expect(viewer.data).toEqual({ viewer: null });
    // `Product.sync` is the provider subgraph's (null for anonymous callers, but not the catalogue's to answer).
    const sync = await gatewayRequest(
      gateway.url,
      'query($c: ID!) { products(filter: { catalogId: $c }) { edges { node { id sync { status } } } } }',
      {
        c: catalogId,
      },
    );
    expect(sync.errors).toBeUndefined();
    const after = await cacheCounts(gateway);
    expect(after.bypass).toBe(before.bypass + 2);
    expect(after.hit + after.miss).toBe(before.hit + before.miss);
  });

  it('follows catalogue changes made by jobs (a policy import renaming a product) well within the TTL', async () => {
    const renamed = await seed.product({ catalogIds: [catalogId] });
    await readPage(gateway, catalogId);
    expect((await readPage(gateway, catalogId)).served).toBe('hit');
    const name = `imported-${randomUUID().slice(0, 8)}`;
    const db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      // As the provider's import enqueues it (common/job-payloads.ts); the products subgraph runs it.
      await db.query('select graphile_worker.add_job($1, $2::json)', [
        'products.importPolicy',
        JSON.stringify({
          productId: renamed,
          name,
          policyId: `policy-${renamed}`,
          providerId: randomUUID(),
          reason: 'RENAMED',
          tykApiIds: [],
        }),
      ]);
    } finally {
      await db.end();
    }
    // The job has run when a signed-in read (never cached) shows it.
    await waitFor(async () => productOf((await readPage(gateway, catalogId, admin)).data, renamed)?.name === name, {
      timeoutMs: 20_000,
      what: 'the import job',
    });
    // TTL 600 s: only the products subgraph's change stream can make the cached page go.
    await waitFor(async () => productOf((await readPage(gateway, catalogId)).data, renamed)?.name === name, {
      timeoutMs: 20_000,
      what: 'the imported name in the anonymous page',
    });
  });

  it('opens the catalogue change stream to the gateway only', async () => {
    const url = new URL('/catalogue-changes', platform.subgraphs.products!.url);
    expect((await fetch(url)).status).toBe(403);
    const forged = JSON.stringify({ claims: null, requestId: 'x', ts: Math.floor(Date.now() / 1000), sig: 'AAAA' });
    expect((await fetch(url, { headers: { 'x-plangraph-auth': forged } })).status).toBe(403);
  });

  /** Each row: a catalogue mutation, and what the next anonymous read must show. */
  const rows: { name: string; change: () => Promise<(data: any) => boolean> }[] = [
    {
      name: 'createCatalog',
      change: async () => {
        const name = `new-${randomUUID()}`;
        await mutate(gateway, 'createCatalog', 'CreateCatalogInput', { name, visibility: 'PUBLIC' });
        return (data) => names(data.catalogs.edges.map((e: any) => e.node)).includes(name);
      },
    },
    {
      name: 'updateCatalog',
      change: async () => {
        const name = `renamed-${randomUUID()}`;
        await mutate(gateway, 'updateCatalog', 'UpdateCatalogInput', { id: catalogId, name });
        return (data) => data.catalog.name === name && productOf(data, productId).catalogs[0].name === name;
      },
    },
    {
      name: 'deleteCatalog',
      change: async () => {
        const name = `doomed-${randomUUID()}`;
        const created = await gatewayRequest(
          gateway.url,
          `mutation($i: CreateCatalogInput!) { createCatalog(input: $i) { catalog { id } errors { code } } }`,
          { i: { name, visibility: 'PUBLIC' } },
          admin,
        );
        const id: string = created.data.createCatalog.catalog.id;
        // The page with the new catalog, cached, before it is deleted.
        expect(names((await readPage(gateway, catalogId)).data.catalogs.edges.map((e: any) => e.node))).toContain(name);
        expect((await readPage(gateway, catalogId)).served).toBe('hit');
        await mutate(gateway, 'deleteCatalog', 'DeleteCatalogInput', { id });
        return (data) => !names(data.catalogs.edges.map((e: any) => e.node)).includes(name);
      },
    },
    {
      name: 'createProduct',
      change: async () => {
        const slug = `p-${randomUUID().slice(0, 8)}`;
        await mutate(gateway, 'createProduct', 'CreateProductInput', {
          slug,
          name: slug,
          status: 'PUBLISHED',
          tykApiIds: [`api-${slug}`],
          catalogIds: [catalogId],
        });
        return (data) => data.products.edges.some((e: any) => e.node.slug === slug);
      },
    },
    {
      name: 'updateProduct',
      change: async () => {
        const displayName = `Shown ${randomUUID()}`;
        await mutate(gateway, 'updateProduct', 'UpdateProductInput', { id: productId, displayName });
        return (data) => productOf(data, productId).displayName === displayName;
      },
    },
    {
      name: 'createPlan',
      change: async () => {
        const name = `plan-${randomUUID().slice(0, 8)}`;
        await mutate(gateway, 'createPlan', 'CreatePlanInput', {
          name,
          displayName: name,
          catalogIds: [catalogId],
          status: 'PUBLISHED',
          tier: 2,
          quota: { requests: 10, period: 'DAY' },
          rateLimit: null,
          autoApprove: false,
        });
        return (data) => productOf(data, productId).availablePlans.some((p: any) => p.name === name);
      },
    },
    {
      name: 'updatePlan',
      change: async () => {
        const displayName = `Plan ${randomUUID()}`;
        await mutate(gateway, 'updatePlan', 'UpdatePlanInput', { id: planId, displayName });
        return (data) => productOf(data, productId).availablePlans.find((p: any) => p.id === planId)?.displayName === displayName;
      },
    },
    {
      name: 'rollbackPlan',
      change: async () => {
        await mutate(gateway, 'rollbackPlan', 'RollbackPlanInput', { id: planId, toVersion: 1 });
        return (data) => productOf(data, productId).availablePlans.find((p: any) => p.id === planId)?.displayName === 'first';
      },
    },
    {
      name: 'publishPlan',
      change: async () => {
        const draft = await seed.plan({ catalogIds: [catalogId], status: 'DRAFT' });
        // The draft is invisible, and the page with it cached…
        await readPage(gateway, catalogId);
        expect((await readPage(gateway, catalogId)).served).toBe('hit');
        await mutate(gateway, 'publishPlan', 'PublishPlanInput', { id: draft });
        return (data) => productOf(data, productId).availablePlans.some((p: any) => p.id === draft);
      },
    },
    {
      name: 'archivePlan',
      change: async () => {
        await mutate(gateway, 'archivePlan', 'ArchivePlanInput', { id: planId });
        return (data) => !productOf(data, productId).availablePlans.some((p: any) => p.id === planId);
      },
    },
    {
      name: 'archiveProduct',
      change: async () => {
        await mutate(gateway, 'archiveProduct', 'ArchiveProductInput', { id: productId });
        return (data) => !productOf(data, productId);
      },
    },
  ];

  it.each(rows.map((row) => [row.name, row] as const))('after %s returns, the next anonymous read shows the change', async (_name, row) => {
    await readPage(gateway, catalogId);
    expect((await readPage(gateway, catalogId)).served).toBe('hit');
    const shows = await row.change();
    const next = await readPage(gateway, catalogId);
    expect(next.served).toBe('miss');
    expect(shows(next.data)).toBe(true);
    expect((await readPage(gateway, catalogId)).served).toBe('hit');
  });
});

describeWithRedis('response cache shared by two gateways in Redis', (redisUrl) => {
  let platform: TestPlatform;
  let a: RunningGateway;
  let b: RunningGateway;
  let redis: Redis;
  const prefix = `test-cache-${randomUUID()}:`;

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    const env = { ...process.env, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, RESPONSE_CACHE_TTL_SECONDS: '600' };
    platform = await startPlatform({ gatewayEnv: env });
    a = platform.gateway;
    b = await platform.extraGateway(env);
  });
  afterAll(async () => {
    await platform?.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('a change through one gateway is seen by the next read through the other', async () => {
    const seed = new Seed(a.url, admin);
    const catalogId = await seed.catalog();
    const productId = await seed.product({ catalogIds: [catalogId] });
    const first = await readPage(a, catalogId);
    expect(first.served).toBe('miss');
    // Stored once, in Redis: the other gateway's first read is a hit.
    const other = await readPage(b, catalogId);
    expect(other.served).toBe('hit');
    expect(other.data).toEqual(first.data);
    expect((await redis.keys(`${prefix}cache:catalogue:*`)).length).toBeGreaterThan(1);
    for (const [writer, reader] of [
      [a, b],
      [b, a],
    ] as const) {
      expect((await readPage(reader, catalogId)).served).toBe('hit');
      const displayName = `Shown ${randomUUID()}`;
      await mutate(writer, 'updateProduct', 'UpdateProductInput', { id: productId, displayName });
      const next = await readPage(reader, catalogId);
      expect(next.served).toBe('miss');
      expect(productOf(next.data, productId).displayName).toBe(displayName);
    }
  });

  it('bypasses the cache while Redis is away, and a change made meanwhile is seen once it is back', async () => {
    const { proxy, url } = await TcpProxy.inFrontOf(redisUrl, 6379);
    try {
      const gateway = await platform.extraGateway({
        ...process.env,
        REDIS_URL: url,
        REDIS_KEY_PREFIX: prefix,
        RESPONSE_CACHE_TTL_SECONDS: '600',
      });
      const seed = new Seed(gateway.url, admin);
      const catalogId = await seed.catalog();
      const productId = await seed.product({ catalogIds: [catalogId] });
      await waitFor(async () => (await readPage(gateway, catalogId)).served === 'hit', { what: 'a hit through the proxy' });
      await proxy.down();
      // Away: answered by the subgraphs, never an error; a mutation cannot bump the shared generation.
      const displayName = `Away ${randomUUID()}`;
      await mutate(gateway, 'updateProduct', 'UpdateProductInput', { id: productId, displayName });
      const away = await readPage(gateway, catalogId);
      expect(away.served).toBe('bypass');
      expect(productOf(away.data, productId).displayName).toBe(displayName);
      await proxy.up();
      // Back: the gateway bumps before it uses the cache, so the entry stored before the change is never served.
      const back = await waitFor(
        async () => {
          const read = await readPage(gateway, catalogId);
          return read.served !== 'bypass' ? read : null;
        },
        { what: 'the cache in use again' },
      );
      expect(productOf(back.data, productId).displayName).toBe(displayName);
    } finally {
      await proxy.stop();
    }
  });

  it('never stores a signed-in view in Redis', async () => {
    const seed = new Seed(a.url, admin);
    const catalogId = await seed.catalog();
    await seed.product({ catalogIds: [catalogId] });
    const before = await redis.keys(`${prefix}cache:catalogue:*`);
    expect((await readPage(a, catalogId, developer())).served).toBe('bypass');
    expect((await readPage(b, catalogId, admin)).served).toBe('bypass');
    expect((await redis.keys(`${prefix}cache:catalogue:*`)).sort()).toEqual(before.sort());
  });
});
