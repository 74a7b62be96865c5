import { createHash } from 'node:crypto';
import jsonwebtoken, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { GraphQLError } from 'graphql';
import type { Clock } from '../common/clock';

/**
 * Why a verified-looking token lives too long for this gateway, or null when its lifetime is fine.
 * A token must carry `exp`, and `exp` may lie at most `maxAgeSeconds` after `iat` — or after now
 * when `iat` is missing or in the future (a future `iat` must not stretch the window).
 */
export function tokenLifetimeProblem(payload: unknown, maxAgeSeconds: number, nowSeconds: number): string | null {
  if (!payload || typeof payload !== 'object') return null;
  const { exp, iat } = payload as { exp?: unknown; iat?: unknown };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return `The token has no expiry time (\`exp\`); this gateway accepts only tokens that expire within ${maxAgeSeconds} s (JWT_MAX_AGE).`;
  }
  const from = typeof iat === 'number' && Number.isFinite(iat) ? Math.min(iat, nowSeconds) : nowSeconds;
  const lifetime = exp - from;
  if (lifetime > maxAgeSeconds) {
    return `The token lives ${Math.round(lifetime)} s (\`exp\` − ${typeof iat === 'number' ? '`iat`' : 'now'}), longer than the ${maxAgeSeconds} s this gateway accepts (JWT_MAX_AGE); ask for a token that expires sooner.`;
  }
  return null;
}

function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

type Extractor = (
  payload: never,
) => { token: string; prefix?: string } | undefined | null | Promise<{ token: string; prefix?: string } | undefined | null>;

/**
 * Wraps a token lookup of the JWT plugin so a token that lives too long (see
 * `tokenLifetimeProblem`) is refused with UNAUTHENTICATED and a message saying why, before the
 * plugin verifies it (refusing early grants nothing; a forged token is refused either way).
 */
export function withLifetimeCheck<E>(extractor: E, maxAgeSeconds: number, clock: Clock): E {
  const check = (found: { token: string } | undefined | null) => {
    if (!found?.token) return found;
    const problem = tokenLifetimeProblem(jsonwebtoken.decode(found.token), maxAgeSeconds, epochSeconds(clock));
    if (problem) throw unauthenticated(problem);
    return found;
  };
  return ((payload: never) => {
    const found = (extractor as unknown as Extractor)(payload);
    return found && typeof (found as Promise<unknown>).then === 'function'
      ? (found as Promise<{ token: string } | null>).then(check)
      : check(found as { token: string } | null);
  }) as E;
}

export interface TokenCheck {
  signingKey(kid: string | undefined): unknown;
  algorithms: Algorithm[];
  issuer?: string;
  audience?: string;
  maxAgeSeconds: number;
  /** "Now" of the lifetime rule (`tokenLifetimeProblem`). */
  clock: Clock;
}

/** The bearer token of graphql-ws `connectionParams` (`authorization: "Bearer …"` or `token`), or null. */
export function connectionToken(params: Record<string, unknown> | undefined | null): string | null {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match ? match[1] : authorization.trim() || null;
  }
  return typeof params?.token === 'string' && params.token ? params.token : null;
}

/**
 * Verifies a token as the JWT plugin does (same keys, algorithms, issuer, audience) plus the
 * lifetime rule; for graphql-ws `connection_init`, which the plugin never sees. Resolves to the
 * claims, or rejects with a short reason (it ends up in a WebSocket close frame, ≤ 123 bytes).
 */
export async function verifyToken(token: string, check: TokenCheck): Promise<JwtPayload> {
  const decoded = jsonwebtoken.decode(token, { complete: true });
  if (!decoded || typeof decoded.payload !== 'object') throw new Error('malformed token');
  const key = await Promise.resolve(check.signingKey(decoded.header.kid)).catch(() => null);
  if (!key) throw new Error('no key for this token');
  const payload = await new Promise<JwtPayload>((resolve, reject) =>
    jsonwebtoken.verify(
      token,
      key as string,
      {
        algorithms: check.algorithms,
        ...(check.issuer ? { issuer: check.issuer } : {}),
        ...(check.audience ? { audience: check.audience } : {}),
      },
      (error, verified) =>
        error ? reject(new Error(error.name === 'TokenExpiredError' ? 'token expired' : 'invalid token')) : resolve(verified as JwtPayload),
    ),
  );
  if (!payload.exp) throw new Error('token has no exp (JWT_MAX_AGE)');
  if (tokenLifetimeProblem(payload, check.maxAgeSeconds, epochSeconds(check.clock))) throw new Error('token lifetime exceeds JWT_MAX_AGE');
  return payload;
}

/** What the JWT plugin puts in the context (`context.jwt`) for a verified token. */
export interface VerifiedJwt {
  payload: JwtPayload;
  token: { value: string; prefix?: string };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Tokens the JWT plugin has verified (signature, algorithm, issuer, audience, `exp`, `nbf` and the
 * lifetime rule), kept until their `exp` so that a caller's next requests skip the decoding and the
 * signature check: a bounded LRU keyed by the token's SHA-256, never serving a token at or past its
 * `exp` (as jsonwebtoken, which refuses it from that second on). Only verified tokens go in:
 * refused ones are checked again every time. A verified token stays good until its `exp` even if
 * its signing key leaves the JWKS meanwhile, as it would in any process that had cached the key;
 * `JWT_MAX_AGE` bounds how long that is.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, VerifiedJwt>;

  constructor(
    private readonly clock: Clock,
    max = 10_000,
  ) {
    this.entries = new LRUCache<string, VerifiedJwt>({ max });
  }

  private static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(token: string): VerifiedJwt | null {
    const key = VerifiedTokenCache.key(token);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.token.value !== token || !(epochSeconds(this.clock) < (entry.payload.exp as number))) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  set(jwt: VerifiedJwt): void {
    const exp = jwt.payload?.exp;
    if (typeof exp !== 'number' || !(epochSeconds(this.clock) < exp) || typeof jwt.token?.value !== 'string') return;
    this.entries.set(VerifiedTokenCache.key(jwt.token.value), deepFreeze({ payload: jwt.payload, token: { ...jwt.token } }));
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The bearer token of an `Authorization` header, as the JWT plugin's header lookup reads it. */
function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const [prefix, token] = header.split(' ');
  return prefix === 'Bearer' && token ? token : null;
}

/**
 * Serves the `Authorization` bearer tokens of HTTP requests from `cache` when it has them, before
 * the JWT plugin (which skips its lookup and verification when `context.jwt` is there already),
 * and keeps the tokens the plugin verified. Goes before the JWT plugin in the plugin list.
 */
export function useVerifiedTokenCache(cache: VerifiedTokenCache) {
  return {
    onRequestParse({ request, serverContext }: { request: Request; serverContext: Record<string, unknown> }) {
      const token = bearerToken(request.headers.get('authorization'));
      const hit = token ? cache.get(token) : null;
      if (hit) serverContext.jwt = hit;
    },
    onContextBuilding({ context }: { context: Record<string, unknown> }) {
      // Entries of the cache are frozen; a token the plugin has just verified is not yet.
      const jwt = context.jwt as VerifiedJwt | undefined;
      if (jwt && !Object.isFrozen(jwt)) cache.set(jwt);
    },
  };
}
