import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, type Identity } from './helpers/graphql';
import { signDevToken } from './kit/token';
import { parseMetrics, valueOf } from './helpers/prometheus';

/**
 * Every gateway limit at its boundary: N accepted, N+1 refused with a clear error.
 * A dedicated gateway with small limits (and production mode) runs in front of the real subgraphs.
 */
describe('gateway hardening', () => {
  let platform: TestPlatform;
  let strict: string;
  // Secrets of their own (production refuses the public development ones), for every gateway and
  // subgraph here: the subgraphs trust only what is signed with their GATEWAY_SHARED_SECRET.
  const own = { JWT_SECRET: `jwt-${randomUUID()}`, GATEWAY_SHARED_SECRET: `gateway-${randomUUID()}` };
  const secrets = () => own;
  const tokenFor = (identity: Identity) => signDevToken({ ...identity }, 3600, { ...process.env, ...own });
  const limits = {
    GRAPHQL_MAX_DEPTH: '4',
    GRAPHQL_MAX_ALIASES: '3',
    GRAPHQL_MAX_TOKENS: '40',
    GRAPHQL_MAX_DIRECTIVES: '2',
    GRAPHQL_BATCH_LIMIT: '2',
    GRAPHQL_MAX_BODY_BYTES: '2000',
    PLATFORM_RATE_LIMIT: '0/60',
  };

  beforeAll(async () => {
    platform = await startPlatform({ subgraphEnv: own, gatewayEnv: { ...process.env, ...own } });
    strict = (await platform.extraGateway({ ...process.env, NODE_ENV: 'production', ...secrets(), ...limits })).url;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor(developer())}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: response.status, body: json, headers: response.headers };
  }
  const ok = (r: { body: any }) => !r.body.errors && r.body.data !== undefined;

  it('limits query depth (4 accepted, 5 refused)', async () => {
    expect(ok(await post(strict, { query: '{ viewer { memberships { organization { id } } } }' }))).toBe(true);
    const refused = await post(strict, { query: '{ viewer { memberships { organization { members { subject } } } } }' });
    expect(refused.body.errors[0].message).toMatch(/depth limit of 4 exceeded, found 5/);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'MAX_DEPTH_LIMIT', limit: 4 });
  });

  it('limits aliases (3 accepted, 4 refused)', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { subject }`).join(' ')} }`;
    expect(ok(await post(strict, { query: aliases(3) }))).toBe(true);
    const refused = await post(strict, { query: aliases(4) });
    expect(refused.body.errors[0].message).toMatch(/Aliases limit of 3 exceeded, found 4/);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'MAX_ALIASES_LIMIT', limit: 3 });
  });

  it('limits tokens (40 accepted, 41 refused)', async () => {
    const tokens = (n: number) =>
      `{ ${Array(n - 2)
        .fill('__typename')
        .join(' ')} }`;
    expect(ok(await post(strict, { query: tokens(40) }))).toBe(true);
    const refused = await post(strict, { query: tokens(41) });
    expect(refused.body.errors[0].message).toMatch(/^Token limit of 40 exceeded/);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'MAX_TOKENS_LIMIT', limit: 40 });
  });

  it('limits directives (2 accepted, 3 refused)', async () => {
    expect(ok(await post(strict, { query: '{ viewer @include(if: true) { subject @include(if: true) } }' }))).toBe(true);
    const refused = await post(strict, { query: '{ viewer @include(if: true) { subject @include(if: true) email @include(if: true) } }' });
    expect(refused.body.errors[0].message).toMatch(/Directives limit of 2 exceeded, found 3/);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'MAX_DIRECTIVES_LIMIT', limit: 2 });
  });

  it('limits batching (2 operations accepted, 3 refused)', async () => {
    const op = { query: '{ viewer { subject } }' };
    const two = await post(strict, [op, op]);
    expect(two.status).toBe(200);
    expect(two.body).toHaveLength(2);
    const three = await post(strict, [op, op, op]);
    expect(three.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(three.body)).toMatch(/batch/i);
    expect(three.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    const dev = await post(platform.gatewayUrl, [op, op]);
    expect(dev.status).toBeGreaterThanOrEqual(400);
    expect(dev.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('limits the request body (2000 bytes accepted, 2001 refused with 413)', async () => {
    const body = (size: number) => {
      const base = JSON.stringify({ query: '{ viewer { subject } }' });
      return base.replace('{ viewer', `{${' '.repeat(size - base.length + 1)}viewer`);
    };
    expect(Buffer.byteLength(body(2000))).toBe(2000);
    expect(ok(await post(strict, body(2000)))).toBe(true);
    const refused = await post(strict, body(2001));
    expect(refused.status).toBe(413);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limit: 2000 });
  });

  it('refuses simple-request POSTs without the CSRF header (CSRF_REFUSED, naming the header) and GET mutations', async () => {
    const mutation = 'mutation { registerDeveloper(input: { displayName: "x" }) { errors { code } } }';
    const simple: [string, string][] = [
      ['text/plain', JSON.stringify({ query: mutation })],
      ['application/x-www-form-urlencoded', new URLSearchParams({ query: mutation }).toString()],
    ];
    for (const [contentType, body] of simple) {
      const form = await fetch(strict, { method: 'POST', headers: { 'content-type': contentType }, body });
      expect(form.status).toBe(403);
      const error = ((await form.json()) as any).errors[0];
      expect(error.extensions).toEqual({ code: 'CSRF_REFUSED' });
      expect(error.message).toContain(`content-type \`${contentType}\``);
      expect(error.message).toContain('`x-graphql-csrf` header');
      const withHeader = await fetch(strict, { method: 'POST', headers: { 'content-type': contentType, 'x-graphql-csrf': '1' }, body });
      expect(withHeader.status).not.toBe(403);
    }
    const overGet = await fetch(`${strict}?query=${encodeURIComponent(mutation)}`, { headers: { 'x-graphql-csrf': '1' } });
    expect(overGet.status).toBe(405);
    expect(((await overGet.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('turns introspection and field suggestions off in production, on in development', async () => {
    const introspection = { query: '{ __schema { queryType { name } } }' };
    const prod = await post(strict, introspection);
    expect(ok(prod)).toBe(false);
    expect(ok(await post(platform.gatewayUrl, introspection))).toBe(true);
    const typo = { query: '{ viewr { subject } }' };
    expect(JSON.stringify((await post(strict, typo)).body)).not.toMatch(/Did you mean/);
    expect(JSON.stringify((await post(platform.gatewayUrl, typo)).body)).toMatch(/Did you mean/);
  });

  it('rate-limits each caller (5 per window accepted, the 6th refused with retryAfter), independently of other callers', async () => {
    const limited = (await platform.extraGateway({ ...process.env, ...secrets(), PLATFORM_RATE_LIMIT: '5/60' })).url;
    const alice = { authorization: `Bearer ${tokenFor(developer())}` };
    for (let i = 0; i < 5; i++) expect(ok(await post(limited, { query: '{ viewer { subject } }' }, alice))).toBe(true);
    const refused = await post(limited, { query: '{ viewer { subject } }' }, alice);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(refused.body.errors[0].extensions.retryAfter).toBeGreaterThan(0);
    expect(refused.body.errors[0].extensions.retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('retry-after')).toBe(String(refused.body.errors[0].extensions.retryAfter));
    expect(ok(await post(limited, { query: '{ viewer { subject } }' }))).toBe(true);
  });

  it('runs only trusted documents when a trusted-documents file is configured', async () => {
    const document = '{ viewer { subject } }';
    const hash = createHash('sha256').update(document).digest('hex');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-trusted-')), 'documents.json');
    fs.writeFileSync(file, JSON.stringify({ [hash]: document }));
    const trusted = (await platform.extraGateway({ ...process.env, ...secrets(), TRUSTED_DOCUMENTS_FILE: file })).url;
    const known = await post(trusted, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expect(ok(known)).toBe(true);
    const arbitrary = await post(trusted, { query: document });
    expect(ok(arbitrary)).toBe(false);
  });

  it('refuses a trusted catalogue read sent as text even once the response cache holds it', async () => {
    const catalogue = '{ catalogs(first: 1) { totalCount } }';
    const hash = createHash('sha256').update(catalogue).digest('hex');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-trusted-')), 'documents.json');
    fs.writeFileSync(file, JSON.stringify({ [hash]: catalogue }));
    const env = { ...process.env, ...secrets(), TRUSTED_DOCUMENTS_FILE: file, RESPONSE_CACHE_TTL_SECONDS: '600', REDIS_URL: '' };
    const trusted = (await platform.extraGateway(env)).url;
    const anonymous = async (body: unknown) => {
      const response = await fetch(trusted, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const hits = async () =>
      valueOf(parseMetrics(await (await fetch(new URL('/metrics', trusted))).text()), 'gateway_response_cache_total', { result: 'hit' });
    // By its id: run, stored, then answered from the cache.
    for (let i = 0; i < 3; i++) {
      const byId = await anonymous({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
      expect(byId.body.data.catalogs.totalCount).toEqual(expect.any(Number));
    }
    expect(await hits()).toBeGreaterThanOrEqual(1);
    // The same text sent as is: still refused, cached or not.
    const asText = await anonymous({ query: catalogue });
    expect(asText.body.data).toBeUndefined();
    expect(asText.body.errors?.length).toBeGreaterThan(0);
  });

  it('ends a request that runs past the request deadline with REQUEST_TIMEOUT', async () => {
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/graphql`;
      const env = { ...process.env, ...secrets(), GRAPHQL_REQUEST_TIMEOUT_MS: '300', GRAPHQL_UPSTREAM_TIMEOUT_MS: '20000' };
      const slow = (await platform.extraGateway(env, { provider: url })).url;
      const started = Date.now();
      const r = await post(slow, { query: '{ provider(id: "00000000-0000-4000-8000-000000000000") { id } }' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.status).toBe(503);
      expect(r.body.errors[0]).toEqual({
        message: expect.stringMatching(/longer than 300 ms/),
        extensions: { code: 'REQUEST_TIMEOUT', limit: 300 },
      });
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it('times out a subgraph that does not answer, keeping the rest of the response', async () => {
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/graphql`;
      // Long enough for the developers subgraph to answer `viewer` on a busy machine (the hanging
      // provider never answers, so its call always takes the whole timeout).
      const slow = (await platform.extraGateway({ ...process.env, ...secrets(), GRAPHQL_UPSTREAM_TIMEOUT_MS: '2000' }, { provider: url }))
        .url;
      const started = Date.now();
      const r = await post(slow, { query: '{ viewer { subject } provider(id: "00000000-0000-4000-8000-000000000000") { id } }' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.body.data?.viewer?.subject).toEqual(expect.any(String));
      expect(r.body.data.provider).toBeNull();
      expect(r.body.errors[0]).toMatchObject({ path: ['provider'], extensions: { code: 'GATEWAY_TIMEOUT' } });
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});
