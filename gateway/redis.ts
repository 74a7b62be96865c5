import { Redis } from 'ioredis';

/** How long a first connection attempt may take (and how long requests wait for it). */
export const CONNECT_TIMEOUT_MS = 2_000;
/** A Redis command not answered within this counts as Redis being away. */
const COMMAND_TIMEOUT_MS = 1_000;
/** Longest pause between reconnection attempts while Redis is away. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** At most one warning about an outage per this long. */
const WARNING_INTERVAL_MS = 30_000;

/** Where a Redis URL points, for logs: host and port, never the credentials it may hold. */
export function redisTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}

/**
 * A gateway connection to Redis (rate limit, response cache): it never queues commands while
 * disconnected, so a command Redis cannot take at once fails at once and the caller goes around
 * Redis; it reconnects by itself for as long as the gateway runs.
 */
export function gatewayRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
}

/** Calls `warn` at most once per `WARNING_INTERVAL_MS`: an outage is said, not repeated per request. */
export function throttled(warn: (reason: string) => void): (reason: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (reason) => {
    const now = performance.now();
    if (now - last < WARNING_INTERVAL_MS) return;
    last = now;
    warn(reason.slice(0, 200));
  };
}
