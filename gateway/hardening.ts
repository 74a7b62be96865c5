import fs from 'node:fs';
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { graphqlLimitsConfig } from '../common/config';

/** Limits the gateway enforces on every operation, from the environment (`graphqlLimits` in common/config). */
export interface HardeningConfig {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  /** Operations per batched HTTP request; 0 turns batching off. */
  batchLimit: number;
  maxBodyBytes: number;
  /** Hard limit for one HTTP request, ms. */
  requestTimeoutMs: number;
  /** Limit for one call to a subgraph, ms. */
  upstreamTimeoutMs: number;
  introspection: boolean;
  fieldSuggestions: boolean;
  /** JSON file `{ "<sha256 hash>": "<document>" }`; when set, only these documents run. */
  trustedDocumentsFile: string | null;
  /** Requests per caller (token subject, else IP) per window; 0 turns the limit off. */
  rateLimit: { requests: number; windowSeconds: number };
  /** Subscriptions one graphql-ws connection may have running at once. */
  maxSubscriptionsPerConnection: number;
  /** Subscriptions one caller (token subject, else address) may have running at once over all its connections to this gateway process. */
  maxSubscriptionsPerCaller: number;
  /** Headers a POST without a JSON body (forms, `text/plain`) must carry (CSRF prevention, see `useCsrfPrevention`). */
  csrfHeaders: string[];
}

export function hardeningConfig(env: NodeJS.ProcessEnv): HardeningConfig {
  return { ...graphqlLimitsConfig(env), csrfHeaders: ['x-graphql-csrf', 'apollo-require-preflight'] };
}

/**
 * Gives a graphql-armor refusal its stable code and the limit, and drops the "Syntax Error: "
 * armor puts before every message (the operation is well-formed, only too big).
 */
function rejectWith(code: string, limit: number) {
  return [
    (_context: unknown, error: GraphQLError) => {
      error.message = error.message.replace(/^Syntax Error: /, '');
      Object.assign(error.extensions, { code, limit });
    },
  ];
}

/**
 * graphql-armor validation limits (depth, aliases, tokens, directives) and suggestion masking.
 * Refusals carry `extensions.code` MAX_DEPTH_LIMIT, MAX_ALIASES_LIMIT, MAX_TOKENS_LIMIT or
 * MAX_DIRECTIVES_LIMIT (the names Apollo Router uses for its operation limits) and `limit`.
 */
export function armorPlugins(config: HardeningConfig): GatewayPlugin[] {
  const plugins = [
    maxDepthPlugin({
      n: config.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      exposeLimits: true,
      onReject: rejectWith('MAX_DEPTH_LIMIT', config.maxDepth),
    }),
    maxAliasesPlugin({ n: config.maxAliases, exposeLimits: true, onReject: rejectWith('MAX_ALIASES_LIMIT', config.maxAliases) }),
    maxTokensPlugin({ n: config.maxTokens, exposeLimits: true, onReject: rejectWith('MAX_TOKENS_LIMIT', config.maxTokens) }),
    maxDirectivesPlugin({
      n: config.maxDirectives,
      exposeLimits: true,
      onReject: rejectWith('MAX_DIRECTIVES_LIMIT', config.maxDirectives),
    }),
  ];
  if (!config.fieldSuggestions) plugins.push(blockFieldSuggestionsPlugin({ mask: '[Suggestion hidden]' }) as never);
  return plugins as unknown as GatewayPlugin[];
}

/** Trusted documents: a map from sha256 hash to document text, loaded once. */
export function trustedDocuments(config: HardeningConfig): Map<string, string> | null {
  if (!config.trustedDocumentsFile) return null;
  const parsed = JSON.parse(fs.readFileSync(config.trustedDocumentsFile, 'utf8')) as Record<string, string>;
  return new Map(Object.entries(parsed));
}

/** Milliseconds on the monotonic clock: rate windows measure elapsed time, not a rule's "now". */
export const monotonicMs = (): number => performance.now();

/**
 * Fixed windows of counts per key (a caller, an address): `RateWindows` in this gateway process,
 * or `SharedRateWindows` (gateway/shared-rate-limit.ts) in Redis, shared by every replica.
 * In-process answers come at once; Redis answers are promises.
 */
export interface RateCounter {
  readonly requests: number;
  readonly windowSeconds: number;
  /** Counts one for `key`; the seconds to wait when that went over the limit, else null. */
  hit(key: string): number | null | Promise<number | null>;
  /** The seconds to wait when `key` has used up its window already (counts nothing), else null. */
  exhausted(key: string): number | null | Promise<number | null>;
}

/** The two windows of `useRateLimit`: operations per caller, failed requests per address. */
export interface RateLimitWindows {
  operations: RateCounter;
  failed: RateCounter;
  /** Lets go of what the windows hold (the Redis connection); the gateway's dispose calls it. */
  close(): Promise<void>;
}

/** Calls `then` with the value, at once when it is there, else when the promise resolves. */
export function whenKnown<T, R>(value: T | Promise<T>, then: (known: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/** Both windows in this gateway process: each replica counts its own callers. */
export function localRateWindows(config: HardeningConfig, now: () => number = monotonicMs): RateLimitWindows {
  const { requests, windowSeconds } = config.rateLimit;
  return {
    operations: new RateWindows(requests, windowSeconds, now),
    failed: new RateWindows(requests, windowSeconds, now),
    close: async () => undefined,
  };
}

/** Fixed windows of counts per key (a caller, an address), kept in this gateway process. */
export class RateWindows implements RateCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep: number;

  constructor(
    readonly requests: number,
    readonly windowSeconds: number,
    private readonly now: () => number = monotonicMs,
  ) {
    this.lastSweep = now();
  }

  private current(key: string, t: number) {
    const windowMs = this.windowSeconds * 1000;
    if (t - this.lastSweep > windowMs) {
      for (const [k, w] of this.windows) if (t - w.start >= windowMs) this.windows.delete(k);
      this.lastSweep = t;
    }
    let window = this.windows.get(key);
    if (!window || t - window.start >= windowMs) {
      window = { start: t, count: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  private retryAfter(window: { start: number }, t: number): number {
    return Math.max(1, Math.ceil((window.start + this.windowSeconds * 1000 - t) / 1000));
  }

  /** Counts one for `key`; the seconds to wait when that went over the limit, else null. */
  hit(key: string): number | null {
    if (this.requests <= 0) return null;
    const t = this.now();
    const window = this.current(key, t);
    window.count += 1;
    return window.count > this.requests ? this.retryAfter(window, t) : null;
  }

  /** The seconds to wait when `key` has used up its window already (counts nothing), else null. */
  exhausted(key: string): number | null {
    if (this.requests <= 0) return null;
    const t = this.now();
    const window = this.current(key, t);
    return window.count >= this.requests ? this.retryAfter(window, t) : null;
  }
}

export function rateLimited(requests: number, windowSeconds: number, retryAfter: number, what = 'operations'): GraphQLError {
  return new GraphQLError(`Rate limit of ${requests} ${what} per ${windowSeconds} s reached. Retry after ${retryAfter} s.`, {
    extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers: { 'retry-after': String(retryAfter) } } },
  });
}

/** The rate-limit key of a caller: the verified token subject, else the client address. */
export function callerKey(context: { jwt?: { payload?: { sub?: unknown } }; req?: http.IncomingMessage }): string {
  const sub = context.jwt?.payload?.sub;
  return typeof sub === 'string' && sub ? `sub:${sub}` : `ip:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
}

/** The client address behind a request or a WebSocket. */
export function addressKey(req: http.IncomingMessage | undefined): string {
  return `failed:${req?.socket?.remoteAddress ?? 'unknown'}`;
}

/**
 * Fixed-window rate limit per caller: the verified token subject, else the client address.
 * Counted in this gateway process (each replica counts its own callers), or with `REDIS_URL` in
 * Redis, where every replica shares one count (`SharedRateWindows`). Refused operations get
 * HTTP 429, `extensions.code = RATE_LIMITED` and `retryAfter` seconds (also as `Retry-After`).
 * Every operation counts: queries and mutations (`onExecute`) and each subscription started,
 * over graphql-ws or HTTP (`onSubscribe`).
 *
 * Requests that fail before they run — a refused token (401), a malformed request or a parse
 * error (400), a CSRF refusal (403), an invalid document — never reach those hooks; they count against a
 * separate window per client address (`failed`, the same numbers), and an address that has used
 * it up gets 429 before its token is even looked at. `startGateway` counts refused graphql-ws
 * `connection_init`s there too. An invalid document is counted from `onValidate`, whose
 * after-hook cannot wait: over HTTP `onResponse` waits for that count before the answer leaves.
 */
export function useRateLimit(config: HardeningConfig, windows: RateLimitWindows = localRateWindows(config)): GatewayPlugin {
  const { requests, windowSeconds } = config.rateLimit;
  const { operations, failed } = windows;
  /** HTTP requests counted already: as operations (they ran) or as failed (invalid documents). */
  const counted = new WeakSet<object>();
  /** Counts of invalid documents still on their way to Redis, by HTTP request. */
  const pending = new WeakMap<object, Promise<unknown>>();
  const count = ({ args }: { args: { contextValue: unknown } }) => {
    const context = args.contextValue as Parameters<typeof callerKey>[0] & { request?: object };
    if (context.request) counted.add(context.request);
    return whenKnown(operations.hit(callerKey(context)), (retryAfter) => {
      if (retryAfter !== null) throw rateLimited(requests, windowSeconds, retryAfter);
    });
  };
  return {
    onRequest({ serverContext, endResponse, fetchAPI }) {
      const address = addressKey((serverContext as { req?: http.IncomingMessage } | undefined)?.req);
      return whenKnown(failed.exhausted(address), (retryAfter) => {
        if (retryAfter === null) return;
        const error = rateLimited(requests, windowSeconds, retryAfter, 'failed requests');
        const body = { errors: [{ message: error.message, extensions: { code: 'RATE_LIMITED', retryAfter } }] };
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': String(retryAfter) },
          }),
        );
      });
    },
    onValidate({ context }) {
      return ({ valid }) => {
        if (valid) return;
        const { request, req } = context as { request?: object; req?: http.IncomingMessage };
        if (request) counted.add(request);
        const hit = failed.hit(addressKey(req));
        if (request && hit instanceof Promise) pending.set(request, hit);
      };
    },
    onExecute: count,
    onSubscribe: count,
    onResponse({ request, response, serverContext }) {
      if (counted.has(request)) return pending.get(request);
      if (![400, 401, 403].includes(response.status)) return;
      return whenKnown(failed.hit(addressKey((serverContext as { req?: http.IncomingMessage } | undefined)?.req)), () => undefined);
    },
    onDispose: () => windows.close(),
  } as GatewayPlugin;
}

/** Content types a browser may POST cross-site without a CORS preflight (HTML forms, `text/plain`). */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * CSRF prevention. A web page can make a visitor's browser send requests to the gateway that
 * skip CORS preflight: a form POST (form-urlencoded, multipart, `text/plain`) and a plain GET.
 * Those would matter if the browser added credentials of its own (cookies, HTTP auth, client
 * certificates) and the request changed something.
 *
 * - POSTs with a simple content type (or none) must carry one of `headers` (any value): a page
 *   can only add such a header through a preflighted, CORS-checked request. JSON POSTs are
 *   always preflighted cross-site and need nothing. Refused requests get HTTP 403 and
 *   `extensions.code = CSRF_REFUSED` with a message saying which header to send.
 * - GET needs no header: it can only run queries and subscriptions (Yoga refuses mutations over
 *   GET with 405), which change nothing, and the gateway reads credentials only from the
 *   `authorization` header (or graphql-ws connection params), never from cookies, so a request
 *   a foreign page triggers runs anonymously and reading its answer is up to CORS anyway. This
 *   is what lets urql's default client (queries as GET, `preferGetMethod: 'within-url-limit'`)
 *   and cached GETs work. Should the gateway ever accept ambient credentials (cookies, or a
 *   proxy in front of it that turns a session cookie into a bearer token), GET must require the
 *   header again.
 */
export function useCsrfPrevention(headers: string[]): GatewayPlugin {
  const [first, ...others] = headers.map((h) => `\`${h}\``);
  const header = others.length ? `${first} header (or ${others.join(', ')})` : `${first} header`;
  return {
    onRequestParse({ request }) {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const contentType = request.headers.get('content-type')?.toLowerCase();
      if (contentType && !SIMPLE_CONTENT_TYPES.some((simple) => contentType.startsWith(simple))) return;
      if (headers.some((name) => request.headers.has(name))) return;
      throw new GraphQLError(
        `Refused as a possible cross-site request forgery: a POST ${contentType ? `with content-type \`${contentType.split(';')[0].trim()}\`` : 'without a content-type'} must carry the ${header}, with any value. Send operations as JSON (\`content-type: application/json\`) or add the header.`,
        { extensions: { code: 'CSRF_REFUSED', http: { status: 403 } } },
      );
    },
  } as GatewayPlugin;
}

/**
 * Hive Gateway answers a request that runs past its deadline (`requestTimeoutMs`) with a plain
 * text 503. This turns that answer into a GraphQL error with `extensions.code = REQUEST_TIMEOUT`
 * and the limit, like every other refusal.
 */
export function useRequestDeadlineError(config: HardeningConfig, graphqlPath = '/graphql'): GatewayPlugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (response.status !== 503 || response.headers.get('content-type')?.includes('json')) return;
      if (new URL(request.url).pathname !== graphqlPath) return;
      if ((await response.clone().text()) !== 'Request deadline exceeded') return;
      const body = {
        errors: [
          {
            message: `The request took longer than ${config.requestTimeoutMs} ms and was stopped. Retry, or ask for less in one operation.`,
            extensions: { code: 'REQUEST_TIMEOUT', limit: config.requestTimeoutMs },
          },
        ],
      };
      setResponse(
        new fetchAPI.Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json', connection: 'close' } }),
      );
    },
  } as GatewayPlugin;
}

/**
 * Refuses request bodies over the limit with 413 before they reach GraphQL. The body is read
 * here (at most `maxBytes`) and handed on as a Buffer, which the server adapter uses as it is.
 */
export function limitBodySize(handler: http.RequestListener, maxBytes: number): http.RequestListener {
  return (req, res) => {
    const refuse = () => {
      if (res.headersSent) return;
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(
        JSON.stringify({
          errors: [{ message: `Request body exceeds ${maxBytes} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE', limit: maxBytes } }],
        }),
      );
    };
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      handler(req, res);
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      refuse();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let seen = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      seen += chunk.length;
      if (seen > maxBytes) {
        tooLarge = true;
        refuse();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      (req as http.IncomingMessage & { body?: Buffer }).body = Buffer.concat(chunks);
      handler(req, res);
    });
  };
}
