import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitStoreConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { CONNECT_TIMEOUT_MS, gatewayRedis, redisTarget, throttled } from './redis';
import { localRateWindows, type HardeningConfig, type RateCounter, type RateLimitWindows } from './hardening';

/**
 * The gateway's connection to Redis for the rate limit. It connects in the background (a gateway
 * starts whether Redis is there or not), reconnects by itself for as long as the gateway runs, and
 * never queues commands while disconnected: a command Redis cannot take at once fails at once, and
 * the limiter counts in the process instead (its insurance). It says so in the log, once per
 * 30 s at most, and once more when Redis is back.
 */
export class RateLimitRedis {
  readonly client: Redis;
  private readonly target: string;
  /** Settles when the first connection attempt has succeeded or failed (or took too long). */
  private readonly firstAttempt: Promise<void>;
  private firstAttemptOver = false;
  /** Whether counting has fallen back to the process (or the connection failed) since Redis last was ready. */
  private away = false;
  private readonly warnUnreachable = throttled((reason) =>
    this.log.warn(
      { redis: this.target, reason },
      'Redis unreachable: this gateway counts the rate limit in its own process until Redis is back',
    ),
  );
  private closed = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.target = redisTarget(url);
    this.client = gatewayRedis(url);
    this.client.on('error', (error: Error & { code?: string }) => this.unreachable(error.code ?? error.message));
    this.client.on('ready', () => {
      if (!this.away) return;
      this.away = false;
      this.log.info({ redis: this.target }, 'Redis reachable again: the rate limit is shared by the gateway replicas again');
    });
    this.firstAttempt = new Promise<void>((resolve) => {
      const over = () => {
        clearTimeout(timer);
        this.firstAttemptOver = true;
        resolve();
      };
      const timer = setTimeout(over, CONNECT_TIMEOUT_MS);
      timer.unref();
      this.client.once('ready', over);
      this.client.once('error', over);
    });
  }

  /** Waits for the first connection attempt only: afterwards a missing Redis is counted around at once. */
  whenFirstAttemptOver(): Promise<void> | null {
    return this.firstAttemptOver ? null : this.firstAttempt;
  }

  /** Redis could not count (not connected, an error, no answer in time): counted in this process. */
  unreachable(reason: string): void {
    if (this.closed) return;
    this.away = true;
    this.warnUnreachable(reason);
  }

  /** Ends the connection (and any reconnecting): politely when it is up, at once otherwise. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    if (client.status === 'end') return;
    const ended = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
      timer.unref();
      client.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
    await ended;
  }
}

/** The in-process limiter that counts while Redis cannot; tells the connection when it does. */
class InProcessInsurance extends RateLimiterMemory {
  constructor(
    options: { points: number; duration: number },
    private readonly onUse: () => void,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>) {
    this.onUse();
    return super.consume(...args);
  }

  override get(...args: Parameters<RateLimiterMemory['get']>) {
    this.onUse();
    return super.get(...args);
  }
}

const retryAfterOf = (result: RateLimiterRes) => Math.max(1, Math.ceil(result.msBeforeNext / 1000));

/**
 * Fixed windows of counts per key kept in Redis, so that every gateway replica counts into the
 * same window: `requests` per `windowSeconds` across all of them (rate-limiter-flexible's
 * `RateLimiterRedis`: one atomic script sets the key with the window as its expiry if it is new and
 * increments it; the key's remaining time is the Retry-After). When Redis cannot count, an
 * in-process limiter with the same numbers does (`insuranceLimiter`), until Redis can again. A
 * caller never gets an error from here: anything unexpected lets the request through.
 */
export class SharedRateWindows implements RateCounter {
  private readonly limiter: RateLimiterRedis;

  constructor(
    readonly requests: number,
    readonly windowSeconds: number,
    private readonly redis: RateLimitRedis,
    /** Keys are `<keyPrefix>:<key>`. */
    keyPrefix: string,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis.client,
      points: requests,
      duration: windowSeconds,
      keyPrefix,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new InProcessInsurance({ points: requests, duration: windowSeconds }, () =>
        redis.unreachable('not connected, or no answer in time'),
      ),
    });
  }

  async hit(key: string): Promise<number | null> {
    if (this.requests <= 0) return null;
    await this.redis.whenFirstAttemptOver();
    try {
      await this.limiter.consume(key);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) return retryAfterOf(error);
      this.redis.unreachable(error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  async exhausted(key: string): Promise<number | null> {
    if (this.requests <= 0) return null;
    await this.redis.whenFirstAttemptOver();
    try {
      const result = await this.limiter.get(key);
      return result && result.consumedPoints >= this.requests ? retryAfterOf(result) : null;
    } catch (error) {
      this.redis.unreachable(error instanceof Error ? error.message : String(error));
      return null;
    }
  }
}

/**
 * The rate-limit windows of a gateway: in Redis when `REDIS_URL` is set (shared by every
 * replica: `PLATFORM_RATE_LIMIT` is exact across them), else in this process. Keys:
 * `<REDIS_KEY_PREFIX>rate:operations:<caller>` and `<REDIS_KEY_PREFIX>rate:failed:<address>`.
 */
export function rateLimitWindows(config: HardeningConfig, store: RateLimitStoreConfig, log: Logger): RateLimitWindows {
  const { requests, windowSeconds } = config.rateLimit;
  if (!store.redisUrl || requests <= 0) return localRateWindows(config);
  const redis = new RateLimitRedis(store.redisUrl, log);
  return {
    operations: new SharedRateWindows(requests, windowSeconds, redis, `${store.keyPrefix}rate:operations`),
    // The address keys start with `failed:` already (`addressKey`).
    failed: new SharedRateWindows(requests, windowSeconds, redis, `${store.keyPrefix}rate`),
    close: () => redis.close(),
  };
}

export { redisTarget };
