import jwt from 'jsonwebtoken';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor } from './helpers/graphql';
import { unique } from './helpers/db';
import { jwtConfig } from '../common/config';
import { Seed } from './kit/seed';

const CREATE_PRODUCT = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id slug } errors { code field message } }
}`;

describe('gateway (real HTTP through Hive Gateway to the subgraphs)', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('lets a portal admin create a product and anyone read published products of public catalogs', async () => {
    const slug = unique('gw');
    const catalogId = await new Seed(platform.gatewayUrl, portalAdmin()).catalog();
    const created = await gatewayRequest(
      platform.gatewayUrl,
      CREATE_PRODUCT,
      { input: { slug, name: 'Gateway', status: 'PUBLISHED', tykApiIds: ['gateway-api'], catalogIds: [catalogId] } },
      portalAdmin(),
    );
    expect(created.status).toBe(200);
    expect(created.data.createProduct.errors).toEqual([]);
    const read = await gatewayRequest(platform.gatewayUrl, `query($s: String) { product(slug: $s) { slug name } }`, { s: slug }, null);
    expect(read.data.product).toEqual({ slug, name: 'Gateway' });
  });

  it('serves queries over GET (with or without the CSRF header) and refuses mutations over GET', async () => {
    const query = `${platform.gatewayUrl}?query=${encodeURIComponent('{ products(first: 1) { pageInfo { hasNextPage } } }')}`;
    const get = await fetch(query, { headers: { accept: 'application/json', 'x-graphql-csrf': '1' } });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: unknown }).data).toBeDefined();
    // GET runs queries only and the gateway reads no cookies: no header needed (see useCsrfPrevention).
    const withoutHeader = await fetch(query, { headers: { accept: 'application/json' } });
    expect(withoutHeader.status).toBe(200);
    expect(((await withoutHeader.json()) as { data: unknown }).data).toBeDefined();
    const mutationUrl = `${platform.gatewayUrl}?query=${encodeURIComponent('mutation { createProduct(input: { slug: "x", name: "x" }) { errors { code } } }')}`;
    const mutation = await fetch(mutationUrl, { headers: { accept: 'application/json', 'x-graphql-csrf': '1' } });
    expect(mutation.status).toBe(405);
    const mutationWithoutHeader = await fetch(mutationUrl, { headers: { accept: 'application/json' } });
    expect(mutationWithoutHeader.status).toBe(405);
    expect(((await mutationWithoutHeader.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe(
      'BAD_REQUEST',
    );
  });

  it('refuses tokens with a bad signature or past expiry, and anonymous writes', async () => {
    const forged = jwt.sign({ sub: 'mallory', roles: ['portal_admin'] }, 'not-the-secret', { algorithm: 'HS256' });
    const badSig = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
      body: JSON.stringify({ query: '{ products { totalCount } }' }),
    });
    expect(badSig.status).toBe(401);
    const expired = jwt.sign({ sub: 'alice', roles: ['portal_admin'], exp: Math.floor(Date.now() / 1000) - 60 }, jwtConfig().secret!, {
      algorithm: 'HS256',
    });
    const late = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${expired}` },
      body: JSON.stringify({ query: '{ products { totalCount } }' }),
    });
    expect(late.status).toBe(401);
    const anonymous = await gatewayRequest(platform.gatewayUrl, CREATE_PRODUCT, { input: { slug: unique('anon'), name: 'A' } }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const dev = await gatewayRequest(platform.gatewayUrl, CREATE_PRODUCT, { input: { slug: unique('dev'), name: 'A' } }, developer());
    expect(dev.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('does not let a client smuggle claims through request extensions', async () => {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: CREATE_PRODUCT,
        variables: { input: { slug: unique('smuggle'), name: 'S' } },
        extensions: {
          plangraph: { claims: JSON.stringify({ sub: 'mallory', roles: ['portal_admin'] }), requestId: 'x', sig: 'x' },
          jwt: { payload: { sub: 'mallory', roles: ['portal_admin'] } },
        },
      }),
    });
    const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
    expect(body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('passes the request id to subgraphs and back to the client', async () => {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-e2e-123', authorization: `Bearer ${tokenFor(developer())}` },
      body: JSON.stringify({ query: CREATE_PRODUCT, variables: { input: { slug: unique('rid'), name: 'R' } } }),
    });
    expect(response.headers.get('x-request-id')).toBe('trace-e2e-123');
    const body = (await response.json()) as { errors?: { extensions: Record<string, unknown> }[] };
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', requestId: 'trace-e2e-123' });
  });

  it('serves GraphiQL, /healthz and /readyz', async () => {
    const page = await fetch(platform.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
    const base = platform.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
