import { startSubgraph } from '../common/server';
import { createLogger } from '../common/logger';
import { SUBGRAPHS } from '../scripts/subgraphs';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin } from './helpers/graphql';
import { testDatabaseUrl } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { TcpProxy } from './helpers/tcp-proxy';
import { waitFor } from './helpers/wait';

/** Failures the platform must survive: a subgraph process dying, the database going away. */
describe('faults', () => {
  let platform: TestPlatform;
  let proxy: TcpProxy;
  const admin = portalAdmin();
  const CATALOGUE = `{ viewer { subject } products(first: 5) { totalCount } }`;
  /** Products' field is nullable here, so the rest of the response survives its failure. */
  const PARTIAL = `{ viewer { subject } product(slug: "no-such-product") { id } }`;

  beforeAll(async () => {
    const url = new URL(testDatabaseUrl());
    proxy = await TcpProxy.start(url.hostname, Number(url.port));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    platform = await startPlatform({ databaseUrl: url.toString() });
    const fixtures = new Fixtures(platform.gatewayUrl, admin);
    await fixtures.product({ catalogIds: [await fixtures.catalog()] });
  });
  afterAll(async () => {
    await proxy.up();
    await platform?.stop();
    await proxy?.stop();
  });

  it('reports a clear error for the fields of a killed subgraph and recovers when it restarts', async () => {
    const products = platform.subgraphs.products!;
    const port = products.port;
    await products.stop();
    const during = await gatewayRequest(platform.gatewayUrl, PARTIAL, {}, developer());
    expect(during.data?.viewer?.subject).toEqual(expect.any(String));
    expect(during.data?.product).toBeNull();
    expect(during.errors?.[0]).toMatchObject({
      path: ['product'],
      message: 'A service behind the gateway is unavailable; retry in a moment.',
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 },
    });
    expect(JSON.stringify(during.errors)).not.toMatch(/\bat \S+\.(js|ts):\d+/);
    const restarted = await startSubgraph(SUBGRAPHS.products!, {
      databaseUrl: products.orm.config.get('clientUrl')!,
      port,
      log: createLogger('products'),
    });
    platform.subgraphs.products = restarted;
    await waitFor(
      async () => {
        const r = await gatewayRequest(platform.gatewayUrl, CATALOGUE, {}, developer());
        return !r.errors && r.data.products.totalCount >= 1;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the gateway to reach the restarted subgraph' },
    );
  });

  it('fails cleanly while the database is away and recovers by itself', async () => {
    await proxy.down();
    const during = await gatewayRequest(platform.gatewayUrl, CATALOGUE, {}, developer());
    expect(during.errors?.length).toBeGreaterThan(0);
    for (const error of during.errors!) {
      expect(error.message).not.toMatch(/ECONNREFUSED|password|postgres:\/\//);
      expect(JSON.stringify(error)).not.toMatch(/\bat \S+\.(js|ts):\d+/);
    }
    const ready = await fetch(platform.subgraphs.products!.url.replace(/\/graphql$/, '/readyz'));
    expect(ready.status).toBe(503);
    await proxy.up();
    await waitFor(
      async () => {
        const r = await gatewayRequest(platform.gatewayUrl, CATALOGUE, {}, developer());
        return !r.errors && r.data.products.totalCount >= 1;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'requests to succeed again after the database came back' },
    );
    expect((await fetch(platform.subgraphs.products!.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
  });
});
