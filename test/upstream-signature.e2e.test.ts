import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { portalAdmin } from './helpers/graphql';
import { unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { signDevToken } from './kit/token';
import { signForwardedAuth } from '../common/auth';
import type { SubgraphName } from '../common/config';

/**
 * Subgraphs trust only what the gateway signed (issue 14, items 5 and 6), in production mode:
 * nothing — `_service` and `_entities` included — for callers without a signature, over HTTP and
 * graphql-ws; and a signature captured on the wire (by a proxy in front of a subgraph) is good
 * for its own operation only, and only for GATEWAY_SIGNATURE_MAX_AGE_SECONDS.
 */
describe('subgraphs trust only gateway-signed requests (production)', () => {
  const MAX_AGE = 4;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    JWT_SECRET: `jwt-${randomUUID()}`,
    GATEWAY_SHARED_SECRET: `gateway-${randomUUID()}`,
    ENCRYPTION_KEYS: `test:${randomBytes(32).toString('base64')}`,
    GATEWAY_SIGNATURE_MAX_AGE_SECONDS: String(MAX_AGE),
  };
  let platform: TestPlatform;
  let proxy: http.Server;
  let viaProxy: string;
  /** Bodies the gateway sent to the products subgraph, as they crossed the wire. */
  const captured: string[] = [];
  /** The request id headers that came with each captured body. */
  const capturedIds = new Map<string, { id: string; sig: string }>();
  const clients: Client[] = [];
  const admin = portalAdmin();
  const token = signDevToken({ ...admin }, 600, env);

  beforeAll(async () => {
    platform = await startPlatform({ subgraphEnv: env, gatewayEnv: env });
    const target = new URL(platform.subgraphs.products!.url);
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'POST') {
          captured.push(body.toString('utf8'));
          capturedIds.set(body.toString('utf8'), {
            id: String(req.headers['x-request-id']),
            sig: String(req.headers['x-plangraph-request-id-sig']),
          });
        }
        const upstream = http.request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    viaProxy = (await platform.extraGateway(env, { products: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql` })).url;
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
    proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  });

  async function raw(url: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] },
    };
  }
  async function viaGateway(url: string, query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: { extensions?: Record<string, any> }[] };
  }

  const CREATE = `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id slug } errors { code } } }`;

  it('serves nothing — _service, _entities, queries — to a caller without the gateway signature, over HTTP', async () => {
    const names = Object.keys(platform.subgraphs) as SubgraphName[];
    expect(names.length).toBe(5);
    for (const name of names) {
      const url = platform.subgraphs[name]!.url;
      for (const query of [
        '{ _service { sdl } }',
        'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
        '{ __typename }',
      ]) {
        const r = await raw(url, { query, variables: { r: [{ __typename: 'ProviderCredential', id: randomUUID() }] } });
        expect({
          name,
          query,
          status: r.status,
          data: r.body.data ?? null,
          code: r.body.errors?.[0].extensions?.code,
          reason: r.body.errors?.[0].extensions?.reason,
        }).toEqual({
          name,
          query,
          status: 403,
          data: null,
          code: 'FORBIDDEN',
          reason: 'GATEWAY_SIGNATURE_MISSING',
        });
      }
      // Claims in the wrong shape or signed with another secret do not help either.
      const forged = {
        ...signForwardedAuth('not-the-secret', { sub: 'mallory', roles: ['portal_admin'] }, { query: '{ _service { sdl } }' }, Date.now()),
      };
      const r = await raw(url, { query: '{ _service { sdl } }', extensions: { plangraph: forged } });
      expect({ name, status: r.status, reason: r.body.errors?.[0].extensions?.reason, data: r.body.data ?? null }).toEqual({
        name,
        status: 403,
        reason: 'GATEWAY_SIGNATURE_INVALID',
        data: null,
      });
    }
  });

  it('refuses unsigned and wrongly signed subscriptions over graphql-ws without closing the socket', async () => {
    const client = createClient({ url: platform.subgraphs.usage!.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(client);
    const query = 'subscription($org: ID!) { quotaWarnings(organizationId: $org) { thresholdPercent } }';
    const variables = { org: randomUUID() };
    const errorsOf = (extensions?: Record<string, unknown>) =>
      new Promise<any[]>((resolve) => {
        const errors: any[] = [];
        client.subscribe(
          { query, variables, ...(extensions ? { extensions } : {}) },
          {
            next: (r) => errors.push(...(r.errors ?? [])),
            error: (e) => resolve([...errors, ...(Array.isArray(e) ? e : [e])]),
            complete: () => resolve(errors),
          },
        );
      });
    const unsigned = await errorsOf();
    expect(unsigned[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'GATEWAY_SIGNATURE_MISSING' });
    // A signature made (with the real secret) for another document is refused just the same.
    const other = signForwardedAuth(
      env.GATEWAY_SHARED_SECRET!,
      { sub: admin.sub, roles: ['portal_admin'] },
      {
        query: '{ __typename }',
        variables,
      },
      Date.now(),
    );
    const replayed = await errorsOf({ plangraph: other });
    expect(replayed[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'GATEWAY_SIGNATURE_INVALID' });
  });

  it('works through the gateway, in production too', async () => {
    const slug = unique('signed');
    const r = await viaGateway(platform.gatewayUrl, CREATE, { i: { slug, name: 'Signed' } });
    expect(r.errors).toBeUndefined();
    expect(r.data.createProduct).toEqual({ product: { id: expect.any(String), slug }, errors: [] });
  });

  it('a captured signed request replays only as it is, only within the window: not with another document, variables, operation name or claims', async () => {
    captured.length = 0;
    const slug = unique('captured');
    const created = await viaGateway(viaProxy, CREATE, { i: { slug, name: 'Captured' } });
    expect(created.data?.createProduct?.errors).toEqual([]);
    const text = await waitFor(() => captured.find((b) => b.includes('createProduct')), { what: 'the captured upstream mutation' });
    const body = JSON.parse(text);
    // The request id travels beside the body, with an HMAC over the body: it cannot be changed, nor moved to another body.
    const ids = capturedIds.get(text)!;
    expect(ids).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9._:-]+$/), sig: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    for (const headers of [
      { 'x-request-id': 'someone-else', 'x-plangraph-request-id-sig': ids.sig },
      { 'x-request-id': ids.id, 'x-plangraph-request-id-sig': ids.sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
    ]) {
      const altered = await raw(platform.subgraphs.products!.url, text, headers);
      expect({ status: altered.status, reason: altered.body.errors?.[0].extensions?.reason }).toEqual({
        status: 403,
        reason: 'GATEWAY_SIGNATURE_INVALID',
      });
    }
    expect(body.extensions.plangraph).toEqual({
      claims: expect.stringContaining(admin.sub),
      ts: expect.any(Number),
      sig: expect.any(String),
    });
    const url = platform.subgraphs.products!.url;

    // As captured, within the window: the subgraph runs it (its own rules then deal with the duplicate).
    const same = await raw(url, body);
    expect(same.status).toBe(200);
    expect(same.body.data?.createProduct).toEqual(expect.any(Object));

    const other = unique('replayed');
    const attempts: [string, unknown][] = [
      ['other variables', { ...body, variables: { ...body.variables, i: { ...body.variables?.i, slug: other, name: 'Replayed' } } }],
      ['other document', { ...body, query: body.query.replace('createProduct', 'p2:createProduct') }],
      ['a read with the same variables', { ...body, query: 'query($i: CreateProductInput) { _service { sdl } }' }],
      ['other operation name', { ...body, operationName: 'Other' }],
      [
        'other claims',
        {
          ...body,
          extensions: { plangraph: { ...body.extensions.plangraph, claims: JSON.stringify({ sub: 'mallory', roles: ['portal_admin'] }) } },
        },
      ],
      ['moved in time', { ...body, extensions: { plangraph: { ...body.extensions.plangraph, ts: body.extensions.plangraph.ts + 1 } } }],
    ];
    for (const [what, replay] of attempts) {
      const r = await raw(url, replay);
      expect({ what, status: r.status, data: r.body.data ?? null, reason: r.body.errors?.[0].extensions?.reason }).toEqual({
        what,
        status: 403,
        data: null,
        reason: 'GATEWAY_SIGNATURE_INVALID',
      });
    }
    const check = await viaGateway(platform.gatewayUrl, `query($s: String) { product(slug: $s) { id } }`, { s: other });
    expect(check.data).toEqual({ product: null });

    // After the window even the request as captured is refused.
    await waitFor(() => Date.now() / 1000 > body.extensions.plangraph.ts + MAX_AGE + 1, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the signature window to pass',
    });
    const late = await raw(url, body);
    expect({ status: late.status, data: late.body.data ?? null, reason: late.body.errors?.[0].extensions?.reason }).toEqual({
      status: 403,
      data: null,
      reason: 'GATEWAY_SIGNATURE_EXPIRED',
    });
  });
});
