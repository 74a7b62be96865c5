import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createLogger } from '../common/logger';
import { describeWithRedis } from '../test/helpers/services';
import { TcpProxy } from '../test/helpers/tcp-proxy';
import { waitFor } from '../test/helpers/wait';
import { hardeningConfig, type RateLimitWindows } from './hardening';
import { RateLimitRedis, rateLimitWindows, redisTarget, SharedRateWindows } from './shared-rate-limit';

describe('redisTarget', () => {
  it('names host and port only, never the credentials of the URL', () => {
    expect(redisTarget('redis://default:s3cret-pass@cache.internal:6380/2')).toBe('cache.internal:6380');
    expect(redisTarget('rediss://:s3cret-pass@cache.internal')).toBe('cache.internal:6379');
  });
});

describe('without REDIS_URL', () => {
  it('counts in the process, synchronously (the embedded default)', () => {
    const windows = rateLimitWindows(
      { ...hardeningConfig({}), rateLimit: { requests: 2, windowSeconds: 60 } },
      { redisUrl: null, keyPrefix: 'unused:' },
      createLogger('gateway', 'silent'),
    );
    expect(windows.operations.hit('sub:a')).toBeNull();
    expect(windows.operations.hit('sub:a')).toBeNull();
    expect(windows.operations.hit('sub:a')).toEqual(60);
    expect(windows.failed.exhausted('failed:1.2.3.4')).toBeNull();
  });
});

describeWithRedis('rate-limit windows in Redis (SharedRateWindows)', (redisUrl) => {
  const lines: string[] = [];
  const log = createLogger(
    'gateway',
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const opened: RateLimitWindows[] = [];
  const proxies: TcpProxy[] = [];
  let redis: Redis;
  /** A key prefix of this test's own: other tests and helpers share the Redis. */
  const prefix = () => `plangraph-test:${randomUUID()}:`;
  const windows = (requests: number, windowSeconds: number, keyPrefix: string, url = redisUrl) => {
    const made = rateLimitWindows({ ...hardeningConfig({}), rateLimit: { requests, windowSeconds } }, { redisUrl: url, keyPrefix }, log);
    opened.push(made);
    return made;
  };
  const logged = (message: RegExp) => lines.map((line) => JSON.parse(line)).filter((entry) => message.test(entry.msg));

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    for (const each of opened) await each.close();
    for (const proxy of proxies) await proxy.stop();
    redis?.disconnect();
  });

  it('allows exactly N per window and key, refuses the next with the seconds the key has left; keys count apart', async () => {
    const p = prefix();
    const { operations } = windows(3, 60, p);
    for (let i = 0; i < 3; i++) expect(await operations.hit('sub:alice')).toBeNull();
    const key = `${p}rate:operations:sub:alice`;
    expect(await redis.get(key)).toBe('3');
    expect(await operations.hit('sub:alice')).toEqual(expect.any(Number));
    expect(await operations.hit('sub:bob')).toBeNull();
    // Retry-After is what the key has left: shorten it and the answer follows.
    await redis.pexpire(key, 20_500);
    const retryAfter = await operations.hit('sub:alice');
    expect(retryAfter).toBeGreaterThanOrEqual(15);
    expect(retryAfter).toBeLessThanOrEqual(21);
    // `exhausted` answers without counting.
    expect(await operations.exhausted('sub:alice')).toBeGreaterThanOrEqual(15);
    expect(await operations.exhausted('sub:carol')).toBeNull();
    expect(await redis.get(key)).toBe('5');
    expect(await redis.exists(`${p}rate:operations:sub:carol`)).toBe(0);
  });

  it('keeps failed requests per address in a window of their own', async () => {
    const p = prefix();
    const { operations, failed } = windows(2, 60, p);
    expect(await failed.hit('failed:10.0.0.1')).toBeNull();
    expect(await failed.exhausted('failed:10.0.0.1')).toBeNull();
    expect(await failed.hit('failed:10.0.0.1')).toBeNull();
    expect(await failed.exhausted('failed:10.0.0.1')).toEqual(expect.any(Number));
    expect(await redis.get(`${p}rate:failed:10.0.0.1`)).toBe('2');
    expect(await operations.exhausted('ip:10.0.0.1')).toBeNull();
  });

  it('shares one count between two limiters (two gateways), exactly, also when they count at once', async () => {
    const p = prefix();
    const a = windows(5, 60, p).operations;
    const b = windows(5, 60, p).operations;
    for (const each of [a, b, a, b, a]) expect(await each.hit('sub:shared')).toBeNull();
    expect(await a.hit('sub:shared')).toEqual(expect.any(Number));
    expect(await b.hit('sub:shared')).toEqual(expect.any(Number));
    expect(await b.exhausted('sub:shared')).toEqual(expect.any(Number));

    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).hit('sub:burst')));
    expect(answers.filter((answer) => answer === null)).toHaveLength(5);
  });

  it('starts a new window when the old one has ended', async () => {
    const { operations } = windows(2, 1, prefix());
    expect(await operations.hit('sub:short')).toBeNull();
    expect(await operations.hit('sub:short')).toBeNull();
    expect(await operations.hit('sub:short')).toBe(1);
    await waitFor(async () => (await operations.exhausted('sub:short')) === null, { timeoutMs: 10_000, what: 'the 1 s window to end' });
    expect(await operations.hit('sub:short')).toBeNull();
    expect(await operations.hit('sub:short')).toBeNull();
    expect(await operations.hit('sub:short')).toBe(1);
  });

  it('counts in the process while Redis is away, with one warning and no error, and in Redis again once it is back', async () => {
    const { proxy, url } = await TcpProxy.inFrontOf(redisUrl, 6379);
    proxies.push(proxy);
    const p = prefix();
    const { operations } = windows(3, 60, p, url);
    expect(await operations.hit('sub:before')).toBeNull();
    expect(await redis.exists(`${p}rate:operations:sub:before`)).toBe(1);

    const warningsBefore = logged(/Redis unreachable/).length;
    await proxy.down();
    for (let i = 0; i < 3; i++) expect(await operations.hit('sub:during')).toBeNull();
    expect(await operations.hit('sub:during')).toEqual(expect.any(Number));
    expect(await operations.exhausted('sub:during')).toEqual(expect.any(Number));
    expect(await redis.exists(`${p}rate:operations:sub:during`)).toBe(0);
    const warnings = logged(/Redis unreachable/).slice(warningsBefore);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, redis: `127.0.0.1:${proxy.port}` });

    await proxy.up();
    let probe = 0;
    await waitFor(
      async () => {
        const key = `sub:probe-${probe++}`;
        await operations.hit(key);
        return (await redis.exists(`${p}rate:operations:${key}`)) === 1;
      },
      { timeoutMs: 20_000, what: 'counting in Redis again' },
    );
    expect(logged(/Redis reachable again/).length).toBeGreaterThan(0);
  });

  it('does not hold requests up when Redis is down from the start, and close() ends the connection', async () => {
    const { proxy, url } = await TcpProxy.inFrontOf(redisUrl, 6379);
    proxies.push(proxy);
    await proxy.down();
    const connection = new RateLimitRedis(url, log);
    const operations = new SharedRateWindows(2, 60, connection, `${prefix()}rate:operations`);
    const started = performance.now();
    expect(await operations.hit('sub:early')).toBeNull();
    expect(await operations.hit('sub:early')).toBeNull();
    expect(await operations.hit('sub:early')).toEqual(expect.any(Number));
    // At most one connection attempt (2 s) is waited for, once.
    expect(performance.now() - started).toBeLessThan(5_000);
    await connection.close();
    expect(connection.client.status).toBe('end');
  });
});
