import type { Clock } from '../common/clock';
import { useVerifiedTokenCache, VerifiedTokenCache, type VerifiedJwt } from './tokens';

describe('verified token cache', () => {
  let now = Date.UTC(2026, 0, 1);
  const clock: Clock = { now: () => new Date(now) };
  const seconds = () => Math.floor(now / 1000);
  const verified = (value: string, exp: number | undefined): VerifiedJwt => ({
    payload: { sub: value, exp },
    token: { value, prefix: 'Bearer' },
  });

  it('serves a verified token until its exp, never at or after it, and only that token', () => {
    const cache = new VerifiedTokenCache(clock);
    cache.set(verified('token-a', seconds() + 60));
    expect(cache.get('token-a')?.payload.sub).toBe('token-a');
    expect(cache.get('token-b')).toBeNull();
    now += 59_999;
    expect(cache.get('token-a')).not.toBeNull();
    now += 1;
    expect(cache.get('token-a')).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing without an exp or already expired, and stays within its bound', () => {
    const cache = new VerifiedTokenCache(clock, 2);
    cache.set(verified('no-exp', undefined));
    cache.set(verified('expired', seconds()));
    expect(cache.size).toBe(0);
    for (const t of ['t1', 't2', 't3']) cache.set(verified(t, seconds() + 60));
    expect(cache.size).toBe(2);
    expect(cache.get('t1')).toBeNull();
    // What is served cannot be changed by one request for the next.
    const entry = cache.get('t3')!;
    expect(() => ((entry.payload as Record<string, unknown>).sub = 'mallory')).toThrow(TypeError);
  });

  it('hands the JWT plugin a cached token before it looks, and keeps only what the plugin verified', () => {
    const cache = new VerifiedTokenCache(clock);
    const plugin = useVerifiedTokenCache(cache);
    const request = (authorization?: string) => new Request('http://gateway/graphql', { headers: authorization ? { authorization } : {} });
    // A request whose token the plugin refused has no `jwt` in its context: nothing is kept.
    plugin.onContextBuilding({ context: {} });
    expect(cache.size).toBe(0);
    // Verified by the plugin: kept, and the next request with that token gets it without a check.
    plugin.onContextBuilding({ context: { jwt: verified('good', seconds() + 60) } });
    const serverContext: Record<string, unknown> = {};
    plugin.onRequestParse({ request: request('Bearer good'), serverContext });
    expect((serverContext.jwt as VerifiedJwt).payload.sub).toBe('good');
    const other: Record<string, unknown> = {};
    plugin.onRequestParse({ request: request('Bearer forged'), serverContext: other });
    plugin.onRequestParse({ request: request(), serverContext: other });
    expect(other.jwt).toBeUndefined();
  });
});
