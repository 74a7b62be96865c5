import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, tokenFor } from './helpers/graphql';
import { waitFor } from './helpers/wait';
import type { Clock } from '../common/clock';

/**
 * Identical queries of the same caller in flight at the same time go to a subgraph once (Hive's
 * in-flight deduplication, which keys on the body: the request id travels beside it), and calls of
 * different callers never share an answer (their signed claims make their bodies differ). A proxy
 * in front of the developers subgraph counts the calls and can hold them until the test lets them
 * go; the gateway's signing clock is held still within a test, so every call is signed in the
 * same second.
 */
describe('in-flight merging of identical subgraph calls', () => {
  let platform: TestPlatform;
  let proxy: http.Server;
  let gatewayUrl: string;
  /** Calls that reached the developers subgraph through the proxy: body and request id header. */
  const calls: { body: string; requestId: string | undefined }[] = [];
  let holding = false;
  const held: (() => void)[] = [];
  let signingNow = new Date();
  const signingClock: Clock = { now: () => signingNow };
  const QUERY = 'query Viewer { viewer { subject } }';
  const alice = developer();
  const bob = developer();

  beforeAll(async () => {
    platform = await startPlatform();
    const target = new URL(platform.subgraphs.developers!.url);
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const forward = () => {
          const upstream = http.request(
            { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          upstream.on('error', () => res.destroy());
          upstream.end(body);
        };
        if (req.method === 'POST') {
          const header = req.headers['x-request-id'];
          calls.push({ body: body.toString('utf8'), requestId: typeof header === 'string' ? header : undefined });
        }
        if (holding && req.method === 'POST') held.push(forward);
        else forward();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
    const extra = await platform.extraGateway({ ...process.env, GRAPHQL_BATCH_LIMIT: '10' }, { developers: proxyUrl }, { signingClock });
    gatewayUrl = extra.url;
    // Parsed, validated and planned once before the tests, unheld.
    for (const who of [alice, bob])
      expect((await gatewayRequest(gatewayUrl, QUERY, {}, who)).data).toEqual({ viewer: { subject: who.sub } });
  });

  beforeEach(() => {
    calls.length = 0;
    signingNow = new Date();
  });

  afterAll(async () => {
    for (const release of held.splice(0)) release();
    await platform?.stop();
    proxy?.closeAllConnections();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  });

  function release(): void {
    holding = false;
    for (const forward of held.splice(0)) forward();
  }

  it('signs identical queries of one caller alike whatever their request ids, so those in flight together go to the subgraph once', async () => {
    // Two client requests one after the other: two calls, with byte-identical bodies (what Hive's
    // deduplication compares) and each with its own request id beside the body. One token for both:
    // tokens signed a second apart differ in `iat`, so their claims (in the body) would too.
    const token = `Bearer ${tokenFor(alice)}`;
    for (const id of ['first-of-alice', 'second-of-alice'])
      expect((await gatewayRequest(gatewayUrl, QUERY, {}, null, { authorization: token, 'x-request-id': id })).data).toEqual({
        viewer: { subject: alice.sub },
      });
    expect(calls.map((c) => c.requestId)).toEqual(['first-of-alice', 'second-of-alice']);
    expect(calls[1].body).toBe(calls[0].body);
    calls.length = 0;

    holding = true;
    // Five identical operations of one caller, in one batched HTTP request: all in flight at once.
    const answer = fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor(alice)}`, 'x-request-id': 'batch-of-alice' },
      body: JSON.stringify(Array.from({ length: 5 }, () => ({ query: QUERY }))),
    }).then((r) => r.json() as Promise<{ data?: unknown }[]>);
    await waitFor(() => calls.length >= 1, { what: 'the first call to reach the subgraph' });
    release();
    const results = await answer;
    expect(results).toEqual(Array.from({ length: 5 }, () => ({ data: { viewer: { subject: alice.sub } } })));
    expect(calls.length).toBe(1);
    expect(calls[0].requestId).toBe('batch-of-alice');
  });

  it('never merges the same query of two different callers: each gets its own answer', async () => {
    holding = true;
    const [forAlice, forBob] = [alice, bob].map((who) =>
      gatewayRequest(gatewayUrl, QUERY, {}, who, { 'x-request-id': `one-of-${who.sub}` }),
    );
    // Both reach the subgraph while the first is still held: had they been merged, the second never would.
    await waitFor(() => calls.length >= 2, { what: 'a call per caller at the subgraph' });
    release();
    expect((await forAlice).data).toEqual({ viewer: { subject: alice.sub } });
    expect((await forBob).data).toEqual({ viewer: { subject: bob.sub } });
    expect(calls.map((c) => c.requestId).sort()).toEqual([`one-of-${alice.sub}`, `one-of-${bob.sub}`].sort());
    const claimsOf = (c: { body: string }) => JSON.parse(JSON.parse(c.body).extensions.plangraph.claims).sub;
    expect(calls.map(claimsOf).sort()).toEqual([alice.sub, bob.sub].sort());
  });
});
