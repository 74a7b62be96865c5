import type { Redis } from 'ioredis';
import {
  BREAK,
  getOperationAST,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DirectiveNode,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { LRUCache } from 'lru-cache';
import { createInMemoryCache, useResponseCache, type Cache } from '@envelop/response-cache';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { ExecutionResult } from 'graphql';
import type { RateLimitStoreConfig, ResponseCacheConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { counter, type Registry } from '../common/metrics';
import { CATALOGUE_CHANGES_AUTH_HEADER, CATALOGUE_CHANGES_PATH, catalogueChangesAuth } from '../common/catalogue-changes';
import { systemClock } from '../common/clock';
import { gatewayRedis, redisTarget, throttled } from './redis';
import { REQUEST_ID_HEADER } from '../common/auth';

/**
 * Answers a known anonymous catalogue read from the cache at the gateway's HTTP handler, before
 * GraphQL Yoga sees it (a hit through Yoga still runs its whole request pipeline: 0.55 ms of CPU
 * per hit in the benchmark's profile). Served only what Yoga would answer with the same bytes: a
 * plain JSON POST to the endpoint, anonymous, same-origin, with an `Accept` header Yoga has already
 * answered a hit for (its content type is reused), for a query text known as a catalogue read and
 * an entry of the current generation, within the caller's rate limit. Anything else goes to Yoga.
 */
export interface EarlyHits {
  /** Answers the request from the cache and resolves true, or resolves false and writes nothing. */
  serve(req: http.IncomingMessage & { body?: Buffer }, res: http.ServerResponse): Promise<boolean>;
}

/**
 * The gateway's response cache for the public catalogue (docs/ARCHITECTURE.md, "The gateway's
 * response cache"). In short:
 *
 * - **What is cached**: queries of anonymous callers (no `Authorization` header, no verified
 *   token) whose every field is served by the products or plans subgraph (read from the
 *   supergraph's `@join__field`/`@join__type`), without introspection or directives other than
 *   `@include`/`@skip`. Anything else — signed-in callers, whose view of the catalogue depends on
 *   their organizations and roles, mutations, subscriptions — bypasses it. Results with errors
 *   are never stored (`@envelop/response-cache`'s default).
 * - **Invalidation by generation**: every key holds the current *catalogue generation*. After a
 *   mutation served by the products or plans subgraph has executed, and before its answer leaves
 *   the gateway, the generation is bumped, so no later read finds an entry made before the
 *   change (a read that raced the mutation may still store its answer, under the old generation,
 *   where nobody looks any more). Entries age out by `RESPONSE_CACHE_TTL_SECONDS`.
 * - **Changes made by jobs** (policy imports) arrive on the products subgraph's change stream
 *   (`CatalogueFollower`, `common/catalogue-changes.ts`): one bump per change; while the stream is
 *   closed the cache is bypassed, and it is bumped each time the stream opens.
 * - **Where**: with `REDIS_URL`, the generation (`INCR`) and the entries live in Redis, shared by
 *   every replica; while Redis cannot be reached the cache is bypassed (never an error), and a
 *   gateway that lost its connection bumps the generation when it is back (it may have missed
 *   bumping for a mutation). Without Redis, in this process (exact for this gateway only).
 */

/** Graphs (supergraph enum values) whose fields form the public catalogue. */
const CATALOGUE_GRAPHS = new Set(['PRODUCTS', 'PLANS']);
/** Directives a cacheable document may use. */
const PLAIN_DIRECTIVES = new Set(['include', 'skip']);
/** Entries the in-process cache keeps at most (least recently used dropped first). */
const IN_PROCESS_ENTRIES = 500;
/** Query texts remembered as catalogue reads (for the early hit), at most. */
const KNOWN_READS = 1_000;
/** Answers larger than this (JSON characters) are not stored in Redis. */
const MAX_REDIS_VALUE_CHARS = 1_000_000;

/** `Type.field` coordinates served by the products or plans subgraph, from the supergraph SDL. */
export function catalogueCoordinates(supergraph: string): Set<string> {
  const coordinates = new Set<string>();
  const graphsOf = (directives: readonly DirectiveNode[] | undefined, name: string) =>
    (directives ?? [])
      .filter((d) => d.name.value === name)
      .flatMap((d) => d.arguments ?? [])
      .filter((a) => a.name.value === 'graph' && a.value.kind === Kind.ENUM)
      .map((a) => (a.value as { value: string }).value);
  for (const definition of parse(supergraph).definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    )
      continue;
    const typeGraphs = graphsOf(definition.directives, 'join__type');
    for (const field of definition.fields ?? []) {
      const fieldGraphs = graphsOf(field.directives, 'join__field');
      const graphs = fieldGraphs.length ? fieldGraphs : typeGraphs;
      if (graphs.some((g) => CATALOGUE_GRAPHS.has(g))) coordinates.add(`${definition.name.value}.${field.name.value}`);
    }
  }
  return coordinates;
}

export type OperationClass = 'catalogue-query' | 'catalogue-mutation' | 'other';

/**
 * Whether an operation reads only the catalogue (every field, at every depth, served by the
 * products or plans subgraph), changes it (a mutation with a root field of those subgraphs), or
 * neither. Memoised per document (the gateway reuses parsed documents).
 */
export function operationClassifier(schema: () => GraphQLSchema | undefined, coordinates: Set<string>) {
  const memo = new WeakMap<DocumentNode, Map<string, OperationClass>>();
  const classify = (document: DocumentNode, operationName: string | null | undefined, current: GraphQLSchema): OperationClass => {
    const operation = getOperationAST(document, operationName);
    if (!operation) return 'other';
    if (operation.operation === 'subscription') return 'other';
    if (operation.operation === 'mutation') {
      const roots = operation.selectionSet.selections;
      return roots.some((s) => s.kind === Kind.FIELD && coordinates.has(`Mutation.${s.name.value}`)) ||
        roots.some((s) => s.kind !== Kind.FIELD)
        ? 'catalogue-mutation'
        : 'other';
    }
    let cacheable = true;
    const typeInfo = new TypeInfo(current);
    // Only this operation and the fragments it spreads matter; others in the document are never run.
    const used: DocumentNode = {
      ...document,
      definitions: document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === operation),
    };
    visit(
      used,
      visitWithTypeInfo(typeInfo, {
        Directive(node) {
          if (!PLAIN_DIRECTIVES.has(node.name.value)) {
            cacheable = false;
            return BREAK;
          }
          return undefined;
        },
        Field(node) {
          const name = node.name.value;
          if (name === '__typename') return undefined;
          const parent = typeInfo.getParentType();
          if (name.startsWith('__') || !parent || !coordinates.has(`${parent.name}.${name}`)) {
            cacheable = false;
            return BREAK;
          }
          return undefined;
        },
      }),
    );
    return cacheable ? 'catalogue-query' : 'other';
  };
  return (document: DocumentNode, operationName: string | null | undefined): OperationClass => {
    const current = schema();
    if (!current) return 'other';
    let byName = memo.get(document);
    if (!byName) memo.set(document, (byName = new Map()));
    const key = operationName ?? '';
    let found = byName.get(key);
    if (!found) {
      found = classify(document, operationName, current);
      // Bounded: one entry per operation name the document defines (plus the unnamed choice).
      if (byName.size <= document.definitions.length) byName.set(key, found);
    }
    return found;
  };
}

/** Where the entries and the generation live. */
export interface CatalogueStore {
  cache: Cache;
  /** The current generation, or null when the cache cannot be used now (bypass). */
  generation(): Promise<string | null>;
  /** Makes every entry stored so far unreachable. */
  bump(): Promise<void>;
  close(): Promise<void>;
}

/** In this process: exact for this gateway; other replicas keep their own. */
export function inProcessStore(): CatalogueStore {
  let generation = 0;
  return {
    cache: createInMemoryCache({ max: IN_PROCESS_ENTRIES }),
    generation: async () => String(generation),
    bump: async () => {
      generation += 1;
    },
    close: async () => undefined,
  };
}

/** In Redis, shared by every replica: keys `<prefix>cache:catalogue:generation` and `<prefix>cache:catalogue:<generation>:<hash>`. */
export class RedisCatalogueStore implements CatalogueStore {
  readonly client: Redis;
  readonly cache: Cache;
  private readonly generationKey: string;
  private readonly target: string;
  /** Whether a command failed since Redis last was ready: bump when it is back (a mutation may have missed its bump). */
  private away = false;
  private closed = false;
  private readonly warnUnreachable = throttled((reason) =>
    this.log.warn({ redis: this.target, reason }, 'Redis unreachable: the response cache is bypassed until Redis is back'),
  );

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.target = redisTarget(url);
    this.generationKey = `${prefix}cache:catalogue:generation`;
    this.client = gatewayRedis(url);
    this.client.on('error', (error: Error & { code?: string }) => this.unreachable(error.code ?? error.message));
    this.client.on('ready', () => {
      if (!this.away) return;
      // Bumped before the cache is used again: until it succeeds, `away` stays and reads bypass.
      this.client
        .incr(this.generationKey)
        .then(() => {
          this.away = false;
          this.log.info({ redis: this.target }, 'Redis reachable again: the response cache is used again');
        })
        .catch((error: Error) => this.unreachable(error.message));
    });
    const redisKey = (id: string) => `${this.prefix}cache:catalogue:${id}`;
    this.cache = {
      get: async (id) => {
        try {
          const value = await this.client.get(redisKey(id));
          if (!value) return null;
          // Sent as it was stored: the text from Redis is the answer's serialisation already.
          const result = JSON.parse(value) as ExecutionResult;
          Object.defineProperty(result, 'stringify', {
            value: (v: unknown) => (v === result ? value : JSON.stringify(v)),
            enumerable: false,
          });
          return result;
        } catch (error) {
          this.unreachable(error instanceof Error ? error.message : String(error));
          return null;
        }
      },
      set: async (id, data, _entities, ttl) => {
        const value = JSON.stringify(data);
        if (value.length > MAX_REDIS_VALUE_CHARS || !Number.isFinite(ttl) || ttl <= 0) return;
        try {
          await this.client.set(redisKey(id), value, 'PX', Math.ceil(ttl));
        } catch (error) {
          this.unreachable(error instanceof Error ? error.message : String(error));
        }
      },
      invalidate: () => undefined,
    };
  }

  async generation(): Promise<string | null> {
    if (this.away || this.client.status !== 'ready') return null;
    try {
      return (await this.client.get(this.generationKey)) ?? '0';
    } catch (error) {
      this.unreachable(error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  async bump(): Promise<void> {
    try {
      await this.client.incr(this.generationKey);
    } catch (error) {
      // Entries stay reachable by the other replicas until they expire or Redis comes back to this one.
      this.unreachable(error instanceof Error ? error.message : String(error));
      this.log.warn({ redis: this.target }, 'could not invalidate the response cache after a catalogue change');
    }
  }

  private unreachable(reason: string): void {
    if (this.closed) return;
    this.away = true;
    this.warnUnreachable(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }
}

/** Where the products subgraph streams catalogue changes made by jobs, next to its `/graphql`. */
export function catalogueChangesUrl(productsGraphqlUrl: string): string {
  const url = new URL(productsGraphqlUrl);
  url.pathname = url.pathname.replace(/\/graphql\/?$/, '') + CATALOGUE_CHANGES_PATH;
  url.search = '';
  return url.toString();
}

/**
 * Follows the products subgraph's stream of catalogue changes made outside the gateway's
 * mutations (`common/catalogue-changes.ts`) and bumps the generation for each. While the stream
 * is not open the cache is bypassed (`live` false); each time it opens, the generation is bumped
 * before the cache is used again (changes may have been missed while it was closed).
 */
export class CatalogueFollower {
  private connected = false;
  private stopped = false;
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly store: CatalogueStore,
    private readonly log: Logger,
  ) {
    void this.run();
  }

  get live(): boolean {
    return this.connected;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const abort = (this.abort = new AbortController());
      try {
        const response = await fetch(this.url, {
          headers: { [CATALOGUE_CHANGES_AUTH_HEADER]: catalogueChangesAuth(this.secret, systemClock.now().getTime()) },
          signal: abort.signal,
        });
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (message.startsWith(': ready')) {
              await this.store.bump();
              this.connected = true;
            } else if (/^data:/m.test(message)) {
              await this.store.bump();
            }
          }
          if (buffer.length > 10_000) throw new Error('malformed catalogue change stream');
        }
        throw new Error('stream ended');
      } catch (error) {
        this.connected = false;
        if (!this.stopped) this.warn(error instanceof Error ? error.message : String(error));
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private readonly warn = throttled((reason) =>
    this.log.warn({ reason }, 'catalogue change stream of the products subgraph closed: the response cache is bypassed until it is back'),
  );

  stop(): void {
    this.stopped = true;
    this.connected = false;
    this.abort?.abort();
    this.wake?.();
  }
}

interface CacheContext {
  jwt?: { payload?: unknown };
  request?: { headers?: { get(name: string): string | null } };
  /** The request's GraphQL parameters (GraphQL Yoga puts them in every operation's context). */
  params?: { query?: unknown };
}

/** The query text the client sent, when the context has it. */
function queryText(context: CacheContext): string | null {
  const query = context.params?.query;
  return typeof query === 'string' ? query : null;
}

/** Anonymous: no verified token and no `Authorization` header at all. */
function anonymous(context: CacheContext): boolean {
  return !context.jwt?.payload && !context.request?.headers?.get('authorization');
}

/**
 * The response-cache plugins: ours (decides per execution, reads the generation, bumps it after
 * catalogue mutations) followed by `@envelop/response-cache` (stores and serves). `ttlSeconds`
 * 0 returns none.
 */
export function responseCachePlugins(options: {
  config: ResponseCacheConfig;
  store: RateLimitStoreConfig;
  supergraph: string;
  /** The products subgraph's `/graphql` URL: its catalogue change stream is next to it. */
  productsUrl: string;
  /** The gateway's shared secret, to open that stream. */
  secret: string;
  log: Logger;
  metrics?: Registry;
  /**
   * Counts one operation of an anonymous caller (by client address) in the gateway's rate limit
   * (`useRateLimit`'s window); the seconds to wait when that went over the limit, else null. A hit
   * served early (see `onParams` below) skips the execution hooks, where that count is made.
   */
  countAnonymous?: (req: http.IncomingMessage | undefined) => number | null | Promise<number | null>;
  /**
   * Receives the answerer of hits below GraphQL Yoga (`EarlyHits`), for the gateway's HTTP handler;
   * `requestId` gives the `x-request-id` it answers with (the client's, when acceptable, else a new one).
   */
  early?: { endpoint: string; requestId: (given: string | undefined) => string; ready: (hits: EarlyHits) => void };
}): GatewayPlugin[] {
  const { ttlSeconds } = options.config;
  if (ttlSeconds <= 0) return [];
  const store: CatalogueStore = options.store.redisUrl
    ? new RedisCatalogueStore(options.store.redisUrl, options.store.keyPrefix, options.log)
    : inProcessStore();
  const follower = new CatalogueFollower(catalogueChangesUrl(options.productsUrl), options.secret, store, options.log);
  const coordinates = catalogueCoordinates(options.supergraph);
  let schema: GraphQLSchema | undefined;
  const classify = operationClassifier(() => schema, coordinates);
  /** The generation each cacheable execution's key is built with. */
  const generations = new WeakMap<object, string>();
  const lookups = options.metrics
    ? counter(options.metrics, {
        name: 'gateway_response_cache_total',
        help: 'Operations by what the response cache did: hit, miss (executed and offered to the cache), bypass (not cacheable, or the cache is unavailable)',
        labelNames: ['result'],
      })
    : null;
  const count = (result: 'hit' | 'miss' | 'bypass') => lookups?.inc({ result });
  const earlyAnswers = options.metrics
    ? counter(options.metrics, {
        name: 'gateway_response_cache_early_hits_total',
        help: 'Hits answered before GraphQL Yoga, at the HTTP handler (a part of gateway_response_cache_total{result="hit"})',
      })
    : null;
  const counted: Cache = {
    get: async (id) => {
      const found = await store.cache.get(id);
      count(found ? 'hit' : 'miss');
      return found ? serializedOnce(found) : found;
    },
    set: (id, data, entities, ttl) => store.cache.set(id, data, entities, ttl),
    invalidate: (entities) => store.cache.invalidate(entities),
  };

  /**
   * Query texts (with their operation names) classified as catalogue reads since the schema last
   * changed: an anonymous request with one of them can be answered from the cache before it is
   * parsed, validated or given a context. Bounded; least recently used forgotten first.
   */
  const knownReads = new LRUCache<string, true>({ max: KNOWN_READS });
  const textKey = (query: string, operationName: string | null | undefined) => `${operationName ?? ''}\n${query}`;
  /**
   * The early hit's lookup, for `onParams` and the answerer below Yoga alike: the stored answer of a
   * remembered catalogue text (counted as a hit and in the caller's rate limit), `limited` when the
   * caller is over that limit (counted), else null.
   */
  const knownHit = async (
    query: string,
    operationName: string | null | undefined,
    variables: unknown,
    req: http.IncomingMessage | undefined,
  ): Promise<ExecutionResult | 'limited' | null> => {
    if (!knownReads.get(textKey(query, operationName)) || !follower.live) return null;
    const generation = await store.generation();
    if (generation === null) return null;
    const found = await store.cache.get(cacheKey(generation, query, operationName, variables));
    if (!found) return null;
    if (options.countAnonymous && (await options.countAnonymous(req)) !== null) return 'limited';
    count('hit');
    return found;
  };
  /** Requests Yoga answered with an early hit (their answer's content type is learnt in `onResponse`). */
  const yogaHits = new WeakSet<object>();
  /** Requests the answerer below Yoga found over the rate limit: counted once already, Yoga refuses them. */
  const limitedBelow = new WeakSet<http.IncomingMessage>();
  /**
   * The content type Yoga gave a hit, by the request's `Accept` header as sent: the answerer below
   * Yoga serves only requests whose `Accept` Yoga has already answered a hit for, with that type.
   */
  const hitContentTypes = new LRUCache<string, string>({ max: 32 });

  const decide: GatewayPlugin = {
    onSchemaChange({ schema: next }) {
      schema = next;
      knownReads.clear();
    },
    /**
     * The early hit: an anonymous request (no `Authorization` header) whose query text was seen
     * before as a catalogue read, while the cache is usable, found in the cache under the key the
     * execution would use, is answered here. It was refused or let through by the CSRF, body and
     * depth/cost rules when its text was first run (the same text gets the same verdict against
     * the same schema), and it still counts in the caller's rate limit; a caller over the limit
     * goes the usual way (and is refused there). Anything else, a miss included, goes on as usual.
     */
    async onParams({ params, request, setResult, context: serverContext }) {
      const query = params.query;
      // Over graphql-ws there is no HTTP request here (and only subscriptions are sent that way).
      if (typeof query !== 'string' || !request || request.headers.get('authorization') !== null) return;
      const req = (serverContext as { req?: http.IncomingMessage } | undefined)?.req;
      if (req && limitedBelow.has(req)) return;
      const found = await knownHit(query, params.operationName, params.variables, req);
      if (!found || found === 'limited') return;
      yogaHits.add(request);
      setResult(serializedOnce(found));
    },
    onResponse({ request, response }) {
      if (!yogaHits.has(request) || response.status !== 200 || request.headers.get('origin') !== null) return;
      const type = response.headers.get('content-type');
      if (type) hitContentTypes.set(request.headers.get('accept') ?? '', type);
    },
    async onExecute({ args }) {
      const context = args.contextValue as CacheContext & object;
      const kind = classify(args.document, args.operationName);
      if (kind === 'catalogue-mutation') {
        return {
          // Awaited by envelop before the answer is sent: the change has committed (or failed) by now.
          onExecuteDone: () => store.bump(),
        };
      }
      if (kind === 'catalogue-query' && anonymous(context)) {
        const query = queryText(context);
        if (query !== null) knownReads.set(textKey(query, args.operationName), true);
        const generation = follower.live ? await store.generation() : null;
        if (generation !== null) {
          generations.set(context, generation);
          return undefined;
        }
      }
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'query') count('bypass');
      return undefined;
    },
    onDispose: () => {
      follower.stop();
      return store.close();
    },
  };

  if (options.early) {
    const { endpoint, requestId } = options.early;
    const serve = async (req: http.IncomingMessage & { body?: Buffer }, res: http.ServerResponse): Promise<boolean> => {
      const { headers } = req;
      if (req.method !== 'POST' || req.url !== endpoint || !req.body || headers.authorization !== undefined) return false;
      // Cross-origin requests get their CORS headers from Yoga.
      if (headers.origin !== undefined || !/^application\/json\b/i.test(headers['content-type'] ?? '')) return false;
      const contentType = hitContentTypes.get(headers.accept ?? '');
      if (!contentType) return false;
      const params = plainParams(req.body);
      if (!params) return false;
      let found: ExecutionResult | 'limited' | null;
      try {
        found = await knownHit(params.query, params.operationName, params.variables, req);
      } catch {
        return false; // Yoga's way decides (the cache is bypassed while its store fails)
      }
      if (found === 'limited') limitedBelow.add(req);
      if (!found || found === 'limited') return false;
      earlyAnswers?.inc();
      const body = bodyOf(found);
      res.writeHead(200, {
        'content-type': contentType,
        'content-length': body.length,
        [REQUEST_ID_HEADER]: requestId(typeof headers[REQUEST_ID_HEADER] === 'string' ? headers[REQUEST_ID_HEADER] : undefined),
      });
      res.end(body);
      return true;
    };
    options.early.ready({ serve });
  }

  const cache = useResponseCache<CacheContext & object>({
    cache: counted,
    session: () => null,
    enabled: (context) => generations.has(context),
    ttl: ttlSeconds * 1000,
    invalidateViaMutation: false,
    includeExtensionMetadata: false,
    // Never an answer with errors (the library's default, without its console warning per answer).
    shouldCacheResult: ({ result }) => !result.errors?.length,
    // Keyed by the query text as sent (the early hit has nothing else), else the printed document.
    buildResponseCacheKey: (params) =>
      cacheKey(
        generations.get(params.context as object) ?? 'none',
        queryText(params.context as CacheContext) ?? params.documentString,
        params.operationName,
        params.variableValues,
      ),
  });
  return [decide, cache as unknown as GatewayPlugin];
}

/** JSON with object keys in sorted order, so that the same variables give the same key whatever their order. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(object[key])}`).join(',')}}`;
}

/**
 * The key of an entry (before its generation): SHA-256 of the document, the operation name and the
 * variables. Computed with node:crypto at once: the library's default goes through WebCrypto's
 * asynchronous digest, 7.5 % of a cache hit's CPU in the benchmark's profile.
 */
export function entryKey(documentString: string, operationName: string | null | undefined, variables: unknown): string {
  return createHash('sha256')
    .update(`${documentString}|${operationName ?? ''}|${stableJson(variables ?? {})}`)
    .digest('hex');
}

/**
 * A stored answer serialised once: GraphQL Yoga writes a result with its own `stringify` when it
 * has one, so every later hit on the same entry sends the same string instead of serialising the
 * whole page again (9 % of a hit's CPU). Only for this very object: a copy (another plugin adding
 * to the answer) is serialised as usual.
 */
function serializedOnce(result: ExecutionResult): ExecutionResult {
  if (Object.prototype.hasOwnProperty.call(result, 'stringify')) return result;
  let text: string | undefined;
  Object.defineProperty(result, 'stringify', {
    value: (value: unknown) => (value === result ? (text ??= JSON.stringify(result)) : JSON.stringify(value)),
    enumerable: false,
  });
  return result;
}

/** A stored answer's bytes as sent (the string of `serializedOnce`), encoded once per stored object. */
const encoded = new WeakMap<object, Buffer>();
function bodyOf(result: ExecutionResult): Buffer {
  let body = encoded.get(result);
  if (!body) {
    const text = (serializedOnce(result) as { stringify: (value: unknown) => string }).stringify(result);
    body = Buffer.from(text, 'utf8');
    encoded.set(result, body);
  }
  return body;
}

/**
 * A POST body the answerer below Yoga may look up: one JSON object with a string `query`, an
 * `operationName` that is a string or absent, `variables` an object or absent, and nothing else
 * (no `extensions`: Yoga decides what those mean). Anything else is left to Yoga.
 */
function plainParams(body: Buffer): { query: string; operationName?: string | null; variables?: Record<string, unknown> | null } | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { query, operationName, variables, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length || typeof query !== 'string') return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  return { query, operationName, variables: variables as Record<string, unknown> | null | undefined };
}

/** The key of an entry: its catalogue generation, then `entryKey`. */
function cacheKey(generation: string, documentString: string, operationName: string | null | undefined, variables: unknown): string {
  return `${generation}:${entryKey(documentString, operationName, variables)}`;
}
