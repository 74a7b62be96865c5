import fs from 'node:fs';
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { isProduction } from '../common/config';

/** Limits the gateway enforces on every operation, from the environment. */
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
  /** Headers a request without a JSON body (GET, forms) must carry (CSRF prevention). */
  csrfHeaders: string[];
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}`);
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase());
}

export function hardeningConfig(env: NodeJS.ProcessEnv = process.env): HardeningConfig {
  const production = isProduction(env);
  const rate = /^(\d+)\/(\d+)$/.exec(env.PLATFORM_RATE_LIMIT ?? '600/60');
  if (!rate) throw new Error('PLATFORM_RATE_LIMIT must look like `<requests>/<seconds>`, e.g. 600/60 (0/60 turns it off)');
  return {
    maxDepth: int(env, 'GRAPHQL_MAX_DEPTH', 12, 1),
    maxAliases: int(env, 'GRAPHQL_MAX_ALIASES', 15),
    maxTokens: int(env, 'GRAPHQL_MAX_TOKENS', 3000, 1),
    maxDirectives: int(env, 'GRAPHQL_MAX_DIRECTIVES', 20),
    batchLimit: int(env, 'GRAPHQL_BATCH_LIMIT', 0),
    maxBodyBytes: int(env, 'GRAPHQL_MAX_BODY_BYTES', 100_000, 1),
    requestTimeoutMs: int(env, 'GRAPHQL_REQUEST_TIMEOUT_MS', 30_000, 1),
    upstreamTimeoutMs: int(env, 'GRAPHQL_UPSTREAM_TIMEOUT_MS', 15_000, 1),
    introspection: bool(env, 'GRAPHQL_INTROSPECTION', !production),
    fieldSuggestions: bool(env, 'GRAPHQL_FIELD_SUGGESTIONS', !production),
    trustedDocumentsFile: env.TRUSTED_DOCUMENTS_FILE || null,
    rateLimit: { requests: Number(rate[1]), windowSeconds: Math.max(1, Number(rate[2])) },
    csrfHeaders: ['x-graphql-csrf', 'apollo-require-preflight'],
  };
}

/** graphql-armor validation limits (depth, aliases, tokens, directives) and suggestion masking. */
export function armorPlugins(config: HardeningConfig): GatewayPlugin[] {
  const plugins = [
    maxDepthPlugin({ n: config.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits: true }),
    maxAliasesPlugin({ n: config.maxAliases, exposeLimits: true }),
    maxTokensPlugin({ n: config.maxTokens, exposeLimits: true }),
    maxDirectivesPlugin({ n: config.maxDirectives, exposeLimits: true }),
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

/**
 * Fixed-window rate limit per caller: the verified token subject, else the client address.
 * Kept in this gateway process (each replica counts its own callers); refused operations get
 * HTTP 429, `extensions.code = RATE_LIMITED` and `retryAfter` seconds (also as `Retry-After`).
 */
export function useRateLimit(config: HardeningConfig, now: () => number = Date.now): GatewayPlugin {
  const { requests, windowSeconds } = config.rateLimit;
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = now();
  return {
    onExecute({ args }) {
      if (requests <= 0) return;
      const context = args.contextValue as {
        jwt?: { payload?: { sub?: unknown } };
        req?: http.IncomingMessage;
        request?: { headers?: unknown };
      };
      const sub = context.jwt?.payload?.sub;
      const key = typeof sub === 'string' && sub ? `sub:${sub}` : `ip:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
      const t = now();
      const windowMs = windowSeconds * 1000;
      if (t - lastSweep > windowMs) {
        for (const [k, w] of windows) if (t - w.start >= windowMs) windows.delete(k);
        lastSweep = t;
      }
      let window = windows.get(key);
      if (!window || t - window.start >= windowMs) {
        window = { start: t, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      if (window.count > requests) {
        const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - t) / 1000));
        throw new GraphQLError(`Rate limit of ${requests} operations per ${windowSeconds} s reached. Retry after ${retryAfter} s.`, {
          extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers: { 'retry-after': String(retryAfter) } } },
        });
      }
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
      res.end(JSON.stringify({ errors: [{ message: `Request body exceeds ${maxBytes} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE', limit: maxBytes } }] }));
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
