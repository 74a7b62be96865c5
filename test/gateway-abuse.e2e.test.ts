import WebSocket from 'ws';
import jwt from 'jsonwebtoken';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { jwtConfig } from '../common/config';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { Seed } from './kit/seed';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';

/**
 * Abuse a single caller could try through the real gateway (issue 14, items 1 and 7): tokens
 * that never expire, failed requests that cost nothing, subscriptions without end.
 */
describe('gateway against abuse', () => {
  let platform: TestPlatform;
  const clients: Client[] = [];
  const sockets: WebSocket[] = [];
  const admin = portalAdmin();
  let org: string;
  const secret = () => jwtConfig().secret!;
  const now = () => Math.floor(Date.now() / 1000);
  /** An HS256 token with exactly these claims (no `exp` or `iat` added). */
  const raw = (claims: Record<string, unknown>) => jwt.sign(claims, secret(), { algorithm: 'HS256', noTimestamp: true });
  const gatewayWith = async (env: NodeJS.ProcessEnv) => (await platform.extraGateway({ ...process.env, ...env })).url;

  beforeAll(async () => {
    platform = await startPlatform();
    org = await new Seed(platform.gatewayUrl, admin).organization(developer().sub, { slug: unique('abuse') });
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    for (const s of sockets) s.terminate();
    await platform?.stop();
  });

  async function post(url: string, query: string, token?: string) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] },
    };
  }

  /** Opens a raw graphql-ws socket and sends `connection_init`: resolves with `ack` or the close code and reason. */
  function connect(url: string, connectionParams: Record<string, unknown>): Promise<{ ack: true } | { code: number; reason: string }> {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') resolve({ ack: true });
      });
      socket.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
      socket.on('error', reject);
    });
  }

  function client(url: string, identity: Identity): Client {
    const c = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(c);
    return c;
  }

  function subscribe(c: Client) {
    const events: any[] = [];
    const errors: any[] = [];
    let completed = false;
    const stop = c.subscribe(
      { query: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { thresholdPercent } }`, variables: { org } },
      {
        next: (result) => (result.errors ? errors.push(...result.errors) : events.push(result.data)),
        error: (error) => errors.push(...(Array.isArray(error) ? error : [error])),
        complete: () => (completed = true),
      },
    );
    return { events, errors, stop, isComplete: () => completed };
  }

  let probe = Date.UTC(2021, 0, 1);
  /** Raises warnings (each in a window of its own) until every subscription in `live` has one; then clears them. */
  async function allLive(live: { events: unknown[] }[], beforeEachProbe: () => void = () => undefined) {
    await waitFor(
      async () => {
        if (live.every((s) => s.events.length > 0)) return true;
        beforeEachProbe();
        probe += 60_000;
        await raiseQuotaWarning(platform.subgraphs.usage!.orm.em.fork(), platform.subgraphs.usage!.pubsub, {
          organizationId: org,
          kind: QuotaWarningKind.SOFT,
          thresholdPercent: 1,
          used: 10,
          limit: 1000,
          windowStart: new Date(probe),
          resetsAt: new Date(probe + 60_000),
        });
        return live.every((s) => s.events.length > 0);
      },
      { intervalMs: 150, what: 'every accepted subscription to receive a warning' },
    );
    for (const s of live) s.events.length = 0;
  }

  /** A subscription over HTTP (server-sent events); `events` fills with the `next` payloads. */
  function sse(url: string, identity: Identity) {
    const controller = new AbortController();
    const events: any[] = [];
    let buffer = '';
    void fetch(url, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${tokenFor(identity)}` },
      body: JSON.stringify({
        query: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { thresholdPercent } }`,
        variables: { org },
      }),
    })
      .then(async (response) => {
        const decoder = new TextDecoder();
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block);
            if (/^event: next$/m.test(block) && data) events.push(JSON.parse(data[1]));
          }
        }
      })
      .catch(() => undefined);
    return { events, stop: () => controller.abort() };
  }

  describe('token lifetime (JWT_MAX_AGE)', () => {
    it('refuses tokens without exp, living longer than 24 h, or with a future iat stretching the window, saying why', async () => {
      const noExp = await post(platform.gatewayUrl, '{ viewer { id } }', raw({ sub: 'forever', roles: ['portal_admin'] }));
      expect(noExp.status).toBe(401);
      expect(noExp.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/no expiry time \(`exp`\).*86400 s \(JWT_MAX_AGE\)/),
        extensions: { code: 'UNAUTHENTICATED' },
      });

      const century = await post(
        platform.gatewayUrl,
        '{ viewer { id } }',
        raw({ sub: 'old', iat: now(), exp: now() + 100 * 365 * 86_400 }),
      );
      expect(century.status).toBe(401);
      expect(century.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/longer than the 86400 s/),
        extensions: { code: 'UNAUTHENTICATED' },
      });

      const noIat = await post(platform.gatewayUrl, '{ viewer { id } }', raw({ sub: 'no-iat', exp: now() + 2 * 86_400 }));
      expect(noIat.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const futureIat = await post(
        platform.gatewayUrl,
        '{ viewer { id } }',
        raw({ sub: 'future', iat: now() + 10 * 86_400, exp: now() + 10 * 86_400 + 60 }),
      );
      expect(futureIat.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

      const day = await post(platform.gatewayUrl, '{ viewer { subject } }', raw({ sub: 'daily', iat: now(), exp: now() + 86_400 }));
      expect(day.body).toEqual({ data: { viewer: { subject: 'daily' } } });
    });

    it('follows JWT_MAX_AGE', async () => {
      const short = await gatewayWith({ JWT_MAX_AGE: '600' });
      expect((await post(short, '{ viewer { subject } }', tokenFor(developer(), 3600))).status).toBe(401);
      expect((await post(short, '{ viewer { subject } }', tokenFor(developer(), 300))).body.errors).toBeUndefined();
    });
  });

  describe('failed requests count per address', () => {
    it('refused tokens: after the limit, even a good token from that address gets 429, over HTTP and WebSocket', async () => {
      const url = await gatewayWith({ PLATFORM_RATE_LIMIT: '3/60' });
      const good = tokenFor(developer());
      expect((await post(url, '{ viewer { subject } }', good)).body.errors).toBeUndefined();
      for (let i = 0; i < 3; i++)
        expect((await post(url, '{ viewer { id } }', 'not-a-jwt')).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const refused = await post(url, '{ viewer { subject } }', good);
      expect(refused.status).toBe(429);
      expect(refused.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/failed requests/),
        extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
      });
      expect(await connect(url, { authorization: `Bearer ${good}` })).toEqual({
        code: 4429,
        reason: expect.stringMatching(/^Too many failed requests/),
      });
    });

    it('invalid documents and refused WebSocket handshakes count too', async () => {
      const url = await gatewayWith({ PLATFORM_RATE_LIMIT: '3/60' });
      const good = tokenFor(developer());
      for (let i = 0; i < 2; i++)
        expect((await post(url, '{ viewer { nope } }', good)).body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(await connect(url, { authorization: `Bearer ${raw({ sub: 'x' })}` })).toMatchObject({ code: 4403 });
      expect((await post(url, '{ viewer { subject } }', good)).status).toBe(429);
    });
  });

  describe('WebSocket connection_init', () => {
    it('closes at once with 4403 and the reason for forged, expired, exp-less and too long-lived tokens; acknowledges good and absent ones', async () => {
      const forged = jwt.sign({ sub: 'mallory', roles: ['portal_admin'] }, 'not-the-secret', { algorithm: 'HS256', expiresIn: 60 });
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ authorization: `Bearer ${forged}` }, /^Forbidden: invalid token$/],
        [{ token: tokenFor(developer(), -60) }, /^Forbidden: token expired$/],
        [{ authorization: `Bearer ${raw({ sub: 'forever' })}` }, /^Forbidden: token has no exp/],
        [{ token: raw({ sub: 'old', iat: now(), exp: now() + 365 * 86_400 }) }, /^Forbidden: token lifetime exceeds JWT_MAX_AGE$/],
        [{ authorization: 'Bearer not-a-jwt' }, /^Forbidden: malformed token$/],
      ];
      for (const [params, reason] of cases) {
        const result = await connect(platform.gatewayUrl, params);
        expect({ params, result }).toEqual({ params, result: { code: 4403, reason: expect.stringMatching(reason) } });
      }
      expect(await connect(platform.gatewayUrl, { authorization: `Bearer ${tokenFor(developer())}` })).toEqual({ ack: true });
      expect(await connect(platform.gatewayUrl, {})).toEqual({ ack: true });
    });
  });

  describe('subscription caps', () => {
    it('caps subscriptions per connection and per caller across sockets, refusing one with SUBSCRIPTION_LIMIT while the others live on', async () => {
      const url = await gatewayWith({
        GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
        GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER: '5',
        PLATFORM_RATE_LIMIT: '1000/60',
      });
      const first = client(url, admin);
      const a = [subscribe(first), subscribe(first), subscribe(first)];
      await allLive(a);
      const fourth = subscribe(first);
      await waitFor(() => fourth.errors.length > 0, { what: 'the 4th subscription on one connection to be refused' });
      expect(fourth.errors[0]).toMatchObject({
        message: expect.stringMatching(/already runs 3 subscriptions/),
        extensions: { code: 'SUBSCRIPTION_LIMIT', limit: 3, scope: 'connection' },
      });

      const second = client(url, admin);
      const b = [subscribe(second), subscribe(second)];
      await allLive([...a, ...b]);
      const sixth = subscribe(second);
      await waitFor(() => sixth.errors.length > 0, { what: 'the 6th subscription of one caller to be refused' });
      expect(sixth.errors[0]).toMatchObject({ extensions: { code: 'SUBSCRIPTION_LIMIT', limit: 5, scope: 'caller' } });

      // Another caller is not affected; ending one subscription frees a place for its caller.
      const other = subscribe(client(url, portalAdmin()));
      a[0].stop();
      const again = subscribe(second);
      await allLive([...a.slice(1), ...b, other, again]);
      expect([...a, ...b, other, again].flatMap((s) => s.errors)).toEqual([]);
      expect([...a.slice(1), ...b, other, again].some((s) => s.isComplete())).toBe(false);
    });

    it('counts subscriptions over HTTP (server-sent events) with the caller’s WebSocket ones, and frees the place when the client goes', async () => {
      const url = await gatewayWith({ GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER: '2', PLATFORM_RATE_LIMIT: '1000/60' });
      const caller = portalAdmin();
      const overHttp = sse(url, caller);
      const overWs = subscribe(client(url, caller));
      await allLive([overHttp, overWs]);
      const third = sse(url, caller);
      await waitFor(() => third.events.length > 0, { what: 'the refusal of the 3rd subscription' });
      expect(third.events[0].errors[0]).toMatchObject({ extensions: { code: 'SUBSCRIPTION_LIMIT', limit: 2, scope: 'caller' } });
      overHttp.stop();
      // The gateway sees the client go a moment later: until then the new one is refused, and retried.
      const again = client(url, caller);
      let fourth = subscribe(again);
      await allLive(
        [
          overWs,
          {
            get events() {
              return fourth.events;
            },
          },
        ],
        () => {
          if (fourth.errors.length === 0) return;
          expect(fourth.errors[0].extensions?.code).toBe('SUBSCRIPTION_LIMIT');
          fourth = subscribe(again);
        },
      );
      expect(fourth.errors).toEqual([]);
    });

    it('counts each subscribe with the rate limit: a caller at its limit cannot subscribe', async () => {
      const url = await gatewayWith({ PLATFORM_RATE_LIMIT: '3/60' });
      const caller = portalAdmin();
      for (let i = 0; i < 2; i++) expect((await gatewayRequest(url, '{ viewer { subject } }', {}, caller)).errors).toBeUndefined();
      const c = client(url, caller);
      const allowed = subscribe(c);
      await allLive([allowed]);
      expect((await gatewayRequest(url, '{ viewer { subject } }', {}, caller)).status).toBe(429);
      const refused = subscribe(c);
      await waitFor(() => refused.errors.length > 0, { what: 'the subscription over the rate limit to be refused' });
      expect(refused.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
      // The socket and the subscription within the limit live on.
      await allLive([allowed]);
    });
  });
});
