import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, tokenFor, type Identity } from './helpers/graphql';
import { describeWithRedis } from './helpers/services';
import { TcpProxy } from './helpers/tcp-proxy';
import { waitFor } from './helpers/wait';
import type { RunningGateway } from '../gateway';

/**
 * PLATFORM_RATE_LIMIT with two gateways in front of one set of subgraphs: with REDIS_URL they
 * share one count per caller (and per address for failed requests), so N is N however many
 * replicas run; without it each gateway counts its own.
 */
describe('platform rate limit across gateway replicas', () => {
  const N = 4;
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startPlatform({ gatewayEnv: { ...process.env, PLATFORM_RATE_LIMIT: '0/60' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const query = '{ viewer { subject } }';
  const ask = (gateway: RunningGateway, identity: Identity | null, token?: string) =>
    gatewayRequest(gateway.url, query, {}, token ? null : identity, token ? { authorization: `Bearer ${token}` } : {});
  /** Answered with data and no error. */
  const served = async (gateway: RunningGateway, identity: Identity) => {
    const answer = await ask(gateway, identity);
    return answer.status === 200 && !answer.errors && answer.data?.viewer?.subject === identity.sub;
  };
  /** Refused as today's single gateway refuses: 429, RATE_LIMITED, retryAfter also as Retry-After. */
  const expectRefused = async (gateway: RunningGateway, identity: Identity, what = /operations per 60 s/) => {
    const answer = await ask(gateway, identity);
    expect(answer.status).toBe(429);
    expect(answer.errors?.[0]).toMatchObject({
      message: expect.stringMatching(what),
      extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
    });
    const retryAfter = answer.errors![0].extensions!.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(answer.headers.get('retry-after')).toBe(String(retryAfter));
  };
  /** A request with a token that does not verify (a failed request): its error code. */
  const refusedToken = async (gateway: RunningGateway) => (await ask(gateway, null, 'not-a-jwt')).errors?.[0].extensions?.code;
  /** Opens a graphql-ws socket and sends `connection_init`: the close code, or `ack`. */
  const handshake = (gateway: RunningGateway, token: string) =>
    new Promise<number | 'ack'>((resolve, reject) => {
      const socket = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') {
          resolve('ack');
          socket.terminate();
        }
      });
      socket.on('close', (code) => resolve(code));
      socket.on('error', reject);
    });

  describe('without REDIS_URL (the default)', () => {
    it('each gateway counts its own callers: N on each', async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_RATE_LIMIT: `${N}/60` };
      delete env.REDIS_URL;
      const a = await platform.extraGateway(env);
      const b = await platform.extraGateway(env);
      const caller = developer();
      for (let i = 0; i < N; i++) expect(await served(a, caller)).toBe(true);
      for (let i = 0; i < N; i++) expect(await served(b, caller)).toBe(true);
      await expectRefused(a, caller);
      await expectRefused(b, caller);
    });
  });

  describeWithRedis('with REDIS_URL', (redisUrl) => {
    let redis: Redis;
    const proxies: TcpProxy[] = [];
    beforeAll(() => {
      redis = new Redis(redisUrl);
    });
    afterAll(async () => {
      for (const proxy of proxies) await proxy.stop();
      redis?.disconnect();
    });

    /** Two gateways that count in Redis under a key prefix of their own (other suites and helpers share the Redis). */
    const replicas = async (url = redisUrl) => {
      const prefix = `plangraph-test:${randomUUID()}:`;
      const env = { ...process.env, PLATFORM_RATE_LIMIT: `${N}/60`, REDIS_URL: url, REDIS_KEY_PREFIX: prefix };
      return { a: await platform.extraGateway(env), b: await platform.extraGateway(env), prefix };
    };

    it('allows exactly N operations of a caller across both gateways and refuses the next on either', async () => {
      const { a, b, prefix } = await replicas();
      const caller = developer();
      for (const gateway of [a, b, b, a]) expect(await served(gateway, caller)).toBe(true);
      await expectRefused(a, caller);
      await expectRefused(b, caller);
      expect(await redis.get(`${prefix}rate:operations:sub:${caller.sub}`)).toBe(String(N + 2));
      // Another caller has a window of its own.
      expect(await served(b, developer())).toBe(true);
    });

    it('shares the window of failed requests per address: refused tokens and handshakes on one gateway close the other', async () => {
      const { a, b } = await replicas();
      const caller = developer();
      expect(await served(b, caller)).toBe(true);
      expect(await refusedToken(a)).toBe('UNAUTHENTICATED');
      expect(await refusedToken(b)).toBe('UNAUTHENTICATED');
      expect(await handshake(a, 'not-a-jwt')).toBe(4403);
      expect(await refusedToken(b)).toBe('UNAUTHENTICATED');
      await expectRefused(a, caller, /failed requests/);
      await expectRefused(b, caller, /failed requests/);
      expect(await handshake(b, tokenFor(caller))).toBe(4429);
    });

    it('Redis away: no caller gets an error, each gateway counts in its own process; shared again once Redis is back; stop() closes the connections', async () => {
      const { proxy, url } = await TcpProxy.inFrontOf(redisUrl, 6379);
      proxies.push(proxy);
      const { a, b, prefix } = await replicas(url);
      expect(await served(a, developer())).toBe(true);
      // Each gateway holds two connections: the rate limit's and the response cache's. A busy machine
      // can time out a first connection attempt (2 s); the reconnect follows within a few seconds.
      await waitFor(() => proxy.connections === 4, { timeoutMs: 30_000, what: 'both gateways connected to Redis' });

      await proxy.down();
      const during = developer();
      for (let i = 0; i < N; i++) expect(await served(a, during)).toBe(true);
      for (let i = 0; i < N; i++) expect(await served(b, during)).toBe(true);
      await expectRefused(a, during);
      await expectRefused(b, during);
      expect(await redis.exists(`${prefix}rate:operations:sub:${during.sub}`)).toBe(0);

      await proxy.up();
      for (const gateway of [a, b]) {
        await waitFor(
          async () => {
            const probe = developer();
            expect(await served(gateway, probe)).toBe(true);
            return (await redis.exists(`${prefix}rate:operations:sub:${probe.sub}`)) === 1;
          },
          { timeoutMs: 20_000, what: 'the gateway counting in Redis again' },
        );
      }
      const after = developer();
      for (const gateway of [b, a, b, a]) expect(await served(gateway, after)).toBe(true);
      await expectRefused(a, after);
      await expectRefused(b, after);

      await a.stop();
      await b.stop();
      await waitFor(() => proxy.connections === 0, { what: 'the stopped gateways to close their Redis connections' });
    }, 120_000);
  });
});
