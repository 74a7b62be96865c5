import http from 'node:http';
import { createSecretKey, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, getGraphQLWSOptions, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import useJWT, { createRemoteJwksSigningKeyProvider, extractFromConnectionParams, extractFromHeader } from '@graphql-mesh/plugin-jwt-auth';
import { WebSocketServer } from 'ws';
import { GraphQLError } from 'graphql';
import { maskError as defaultMaskError } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { REQUEST_ID_HEADER, REQUEST_ID_SIG_HEADER, signForwardedAuth, signRequestId, upstreamPrint, type Claims } from '../common/auth';
import {
  gatewayConfig,
  gatewaySharedSecret,
  isProduction,
  jwtConfig,
  logLevel,
  processEnv,
  queryPlannerConfig,
  rateLimitStoreConfig,
  responseCacheConfig,
  shutdownGraceSeconds,
  SUBGRAPH_NAMES,
  subgraphUrl,
  type SubgraphName,
} from '../common/config';
import { createLogger, type Logger } from '../common/logger';
import { systemClock, type Clock } from '../common/clock';
import { closeWebSockets, drainDeadline, HttpDrain, keepIdleConnectionsLonger, type StopOptions } from '../common/drain';
import {
  armorPlugins,
  callerKey,
  hardeningConfig,
  limitBodySize,
  trustedDocuments,
  useCsrfPrevention,
  useRateLimit,
  useRequestDeadlineError,
  type HardeningConfig,
  type RateLimitWindows,
} from './hardening';
import { rateLimitWindows } from './shared-rate-limit';
import { useClientErrors, withErrorCode, withStableCode } from './errors';
import { hiveLogger } from './logging';
import { readinessProbe } from './readiness';
import { useVerifiedTokenCache, VerifiedTokenCache, withLifetimeCheck, type TokenCheck } from './tokens';
import { CallerSubscriptions, guardWebSocket, useSubscriptionCap } from './websocket';
import { createRegistry, isMetricsRequest, serveMetrics, type Registry } from '../common/metrics';
import { observabilityPlugins } from './observability';
import { responseCachePlugins, type EarlyHits } from './response-cache';
import { upstreamSubscriptions } from './upstream-subscriptions';
import { useSharedSubscriptions } from './shared-subscriptions';
import httpTransport from '@graphql-mesh/transport-http';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

export interface GatewayOptions {
  /** Composed supergraph SDL (schema/supergraph.graphql). */
  supergraph: string;
  /** Where each subgraph listens; defaults to SUBGRAPH_<NAME>_URL or the default ports. */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
  port: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** The process's Prometheus registry: the gateway's metrics (docs/OBSERVABILITY.md) go here. */
  metrics?: Registry;
  /**
   * The time that dates the signatures of subgraph calls (real time unless a test holds it still,
   * e.g. to keep calls within one second; subgraphs still refuse it once it is too old).
   */
  signingClock?: Clock;
}

interface GatewayParts {
  /** How graphql-ws `connection_init` tokens are verified (as the JWT plugin verifies them). */
  tokens: TokenCheck;
  limits: HardeningConfig;
  /** The rate-limit windows (see `useRateLimit`); failed requests per address are shared with the WebSocket guard. */
  rateLimit: RateLimitWindows;
  /** Running subscriptions per caller, over graphql-ws and HTTP. */
  subscriptions: CallerSubscriptions;
  /** Bearer tokens already verified, until their expiry (see `VerifiedTokenCache`). */
  verifiedTokens: VerifiedTokenCache;
  /** The response cache's answerer of hits below Yoga, once the cache is set up (none when it is off). */
  earlyHits: { current: EarlyHits | null };
}

export interface RunningGateway {
  url: string;
  port: number;
  server: http.Server;
  /**
   * Graceful stop: `/readyz` answers 503 and the port refuses new connections at once; client
   * WebSockets are closed with 1012 (service restart: graphql-ws clients reconnect, through a
   * load balancer to another gateway); requests in flight finish (within the grace period,
   * `SHUTDOWN_GRACE_SECONDS` unless `options.graceMs` says otherwise); then the connections to
   * the subgraphs close.
   */
  stop(options?: StopOptions): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The gateway's time: real time. It dates the signatures the subgraphs age in real time
 * (`common/server.ts`), and judges token lifetimes next to the JWT libraries' own `exp` checks,
 * which read the system clock; any other clock here would disagree with both.
 */
const gatewayClock: Clock = systemClock;

/** The request id of a client request: the client's `x-request-id` when acceptable, else a new one. */
function requestIdOf(given: string | null | undefined): string {
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Attaches the verified claims to every subgraph call, signed with the gateway's shared secret
 * together with the whole operation and the time (HTTP bodies and graphql-ws subscribe messages
 * alike; see `ForwardedAuth` for why not Hive's `hmacSignature`), and the request id beside it
 * with its own HMAC bound to the signed request: over HTTP in the `x-request-id` and
 * `x-plangraph-request-id-sig` headers (bound to the body), set when the call is actually sent
 * (`onFetch`, after Hive's in-flight deduplication has looked at the body), and in the payload over
 * graphql-ws. So identical queries of the same caller that are in flight at the same time go
 * upstream once, while calls of different callers, whose claims differ, never share an answer.
 * Echoes the request id to the client.
 */
function useForwardedIdentity(secret: string, clock: Clock): GatewayPlugin {
  const ids = new WeakMap<object, string>();
  return {
    onRequest({ request }) {
      ids.set(request, requestIdOf(request.headers.get(REQUEST_ID_HEADER)));
    },
    onContextBuilding({ context, extendContext }) {
      const request = (context as { request?: object }).request;
      const requestId = (request && ids.get(request)) || randomUUID();
      extendContext({ requestId } as never);
    },
    onSubgraphExecute({ executionRequest, setExecutionRequest }) {
      const context = (executionRequest.context ?? {}) as { jwt?: { payload?: Claims }; requestId?: string };
      const claims = context.jwt?.payload ?? null;
      // Signed over exactly what the transport sends: the document as the HTTP and graphql-ws
      // executors print it (`upstreamPrint` = their default print), the variables and the
      // operation name. (Their `print` option cannot be set from here: transport options end up
      // in the supergraph's directives, which hold no functions.)
      const request = {
        query: upstreamPrint(executionRequest.document),
        variables: executionRequest.variables,
        operationName: executionRequest.operationName,
      };
      const auth = signForwardedAuth(secret, claims, request, clock.now().getTime());
      if (executionRequest.operationType === 'subscription') {
        // graphql-ws: no headers per operation, and no deduplication either.
        const requestId = context.requestId ?? randomUUID();
        auth.requestId = requestId;
        auth.requestIdSig = signRequestId(secret, requestId, auth.sig);
      }
      setExecutionRequest({ ...executionRequest, extensions: { ...executionRequest.extensions, plangraph: auth } });
    },
    onFetch({ context, options, setOptions }) {
      // The call that goes out (a merged call: with the context of the first client request). Only
      // subgraph calls carry a request id in their context; the body is the signed JSON.
      const requestId = (context as { requestId?: string } | undefined)?.requestId;
      if (!requestId || typeof options.body !== 'string') return;
      setOptions({
        ...options,
        headers: {
          ...(options.headers as Record<string, string> | undefined),
          [REQUEST_ID_HEADER]: requestId,
          [REQUEST_ID_SIG_HEADER]: signRequestId(secret, requestId, options.body),
        },
      });
    },
    onResponse({ request, response }) {
      const id = ids.get(request);
      if (id) response.headers.set(REQUEST_ID_HEADER, id);
    },
  };
}

/**
 * What a subgraph call yields, in the shape Hive's JavaScript runtime gave its callers: a call that
 * fails (the upstream timeout rejects it; a transport error throws) becomes a result with that
 * error, which the planner's executor puts on the fields the call was for (`path`); errors that
 * arrive as plain objects (graphql-ws events) become GraphQL errors, so they keep their codes
 * instead of being masked; a subscription whose events fail ends with an event carrying the
 * errors. Registered after Hive's own upstream plugins, so it wraps their executors; only with
 * the Rust planner (`GATEWAY_QUERY_PLANNER=rust`, the default).
 */
function useSubgraphResults(): GatewayPlugin {
  const asError = (error: unknown): GraphQLError => {
    if (error instanceof GraphQLError) return error;
    const formatted = error as { message?: unknown; path?: readonly (string | number)[]; extensions?: Record<string, unknown> } | null;
    return new GraphQLError(typeof formatted?.message === 'string' ? formatted.message : String(error), {
      ...(error instanceof Error ? { originalError: error } : {}),
      ...(formatted?.extensions ? { extensions: formatted.extensions } : {}),
      ...(formatted?.path ? { path: formatted.path } : {}),
    });
  };
  // graphql-ws ends a refused subscription with a list of errors.
  const failed = (error: unknown) => ({ errors: (Array.isArray(error) ? error : [error]).map(asError) });
  const normalized = (result: unknown) => {
    const errors = (result as { errors?: unknown[] } | null)?.errors;
    return Array.isArray(errors) && errors.some((e) => !(e instanceof GraphQLError))
      ? { ...(result as object), errors: errors.map(asError) }
      : result;
  };
  // Not an async generator: its `return()` would wait for the pending `next()`, so a client that
  // ends its subscription would leave the subgraph's running until the next event.
  function events(source: AsyncIterable<unknown>): AsyncIterableIterator<unknown> {
    const iterator = source[Symbol.asyncIterator]();
    let ended = false;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        if (ended) return { done: true, value: undefined };
        try {
          const step = await iterator.next();
          return step.done ? step : { done: false, value: normalized(step.value) };
        } catch (error) {
          ended = true;
          return { done: false, value: failed(error) };
        }
      },
      async return(value?: unknown) {
        ended = true;
        return iterator.return ? iterator.return(value) : { done: true, value };
      },
      async throw(error?: unknown) {
        ended = true;
        if (iterator.throw) return iterator.throw(error);
        throw error;
      },
    };
  }
  const settle = (result: unknown) =>
    result && typeof result === 'object' && Symbol.asyncIterator in result ? events(result as AsyncIterable<unknown>) : normalized(result);
  return {
    onSubgraphExecute({ executor, setExecutor }) {
      setExecutor(((request: Parameters<typeof executor>[0]) => {
        try {
          const result = executor(request);
          return result && typeof (result as Promise<unknown>).then === 'function'
            ? (result as Promise<unknown>).then(settle, failed)
            : settle(result);
        } catch (error) {
          return failed(error);
        }
      }) as typeof executor);
    },
  };
}

const UNREACHABLE = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|fetch failed|socket hang up|other side closed/i;

/** The messages and codes along an error's cause chain. */
function causes(error: unknown): string {
  const seen: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const e = current as { message?: unknown; code?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown[] };
    seen.push(String(e.message ?? ''), String(e.code ?? ''));
    for (const inner of e.errors ?? [])
      seen.push(String((inner as { message?: unknown }).message ?? ''), String((inner as { code?: unknown }).code ?? ''));
    current = e.originalError ?? e.cause;
  }
  return seen.join(' ');
}

/**
 * Error masking: a subgraph that cannot be reached becomes a clear SERVICE_UNAVAILABLE error on
 * the fields it serves (with `retryAfter`), not an opaque "Unexpected error"; everything else
 * unexpected stays masked.
 */
function maskUnavailable(error: unknown, message: string, isDev?: boolean): Error {
  if (UNREACHABLE.test(causes(error))) {
    const graphqlError = error instanceof GraphQLError ? error : null;
    return new GraphQLError('A service behind the gateway is unavailable; retry in a moment.', {
      path: graphqlError?.path,
      nodes: graphqlError?.nodes,
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 },
    });
  }
  return defaultMaskError(error, message, isDev);
}

/** Token from `connectionParams.authorization` ("Bearer …") as well as `connectionParams.token`. */
function fromConnectionParamsAuthorization() {
  return ((params: { serverContext?: { connectionParams?: Record<string, unknown> } }) => {
    const value = params.serverContext?.connectionParams?.authorization ?? params.serverContext?.connectionParams?.Authorization;
    if (typeof value !== 'string') return undefined;
    const match = /^Bearer\s+(.+)$/i.exec(value.trim());
    return match ? { token: match[1], prefix: 'Bearer' } : undefined;
  }) as never;
}

/**
 * The Node responses that carry a subscription over HTTP (server-sent events): they never end by
 * themselves, so a draining gateway cuts them at once (their clients reconnect, as EventSource
 * does) instead of waiting for its deadline.
 */
const subscriptionStreams = new WeakSet<object>();

function useSubscriptionStreams(): GatewayPlugin {
  return {
    onSubscribe({ args }) {
      // Over HTTP the context holds the Node request and response; over graphql-ws it holds neither.
      const res = (args.contextValue as { res?: object }).res;
      if (res) subscriptionStreams.add(res);
    },
  } as GatewayPlugin;
}

/** Settings and state the HTTP side (plugins) and the graphql-ws side share. */
function gatewayParts(env: NodeJS.ProcessEnv, log: Logger): GatewayParts {
  const jwt = jwtConfig(env);
  const limits = hardeningConfig(env);
  // A KeyObject, not a string: given a string, jsonwebtoken's verify first tries
  // crypto.createPublicKey(secret) on every request, which throws before it falls back to HMAC;
  // that cost about a tenth of the gateway's CPU under load.
  const secretKey = jwt.secret ? createSecretKey(Buffer.from(jwt.secret, 'utf8')) : null;
  const signingKey = jwt.jwksUrl
    ? createRemoteJwksSigningKeyProvider({ jwksUri: jwt.jwksUrl, cache: true, rateLimit: true })
    : () => secretKey;
  return {
    limits,
    earlyHits: { current: null },
    tokens: {
      signingKey: signingKey as TokenCheck['signingKey'],
      algorithms: jwt.jwksUrl ? ['RS256', 'ES256', 'PS256'] : ['HS256'],
      issuer: jwt.issuer,
      audience: jwt.audience,
      maxAgeSeconds: jwt.maxAgeSeconds,
      clock: gatewayClock,
    },
    rateLimit: rateLimitWindows(limits, rateLimitStoreConfig(env), log),
    subscriptions: new CallerSubscriptions(limits.maxSubscriptionsPerCaller),
    verifiedTokens: new VerifiedTokenCache(gatewayClock),
  };
}

export function createGateway(
  options: GatewayOptions,
  parts: GatewayParts = gatewayParts(options.env ?? processEnv(), options.log ?? createLogger('gateway')),
) {
  const env = options.env ?? processEnv();
  const log = options.log ?? createLogger('gateway');
  const jwt = jwtConfig(env);
  const production = isProduction(env);
  const signingKeyProvider = parts.tokens.signingKey as never;

  const transportEntries: Record<string, { location: string; options?: Record<string, unknown> }> = {};
  for (const name of SUBGRAPH_NAMES) {
    transportEntries[name] = {
      location: options.subgraphUrls?.[name] ?? subgraphUrl(name, env),
      options: { subscriptions: { kind: 'ws', location: '/graphql' } },
    };
  }

  const { limits } = parts;
  const trusted = trustedDocuments(limits);
  const rustPlanner = queryPlannerConfig(env).planner === 'rust';
  const logging = hiveLogger(log, logLevel(env));

  return createGatewayRuntime({
    supergraph: options.supergraph,
    // `rust` (the default): Hive Router's query planner (a native addon) and its plan executor
    // instead of Hive Gateway's own planner on schema stitching. BENCHMARKS.md has the difference.
    ...(rustPlanner ? { unifiedGraphHandler } : {}),
    batching: limits.batchLimit > 0 ? { limit: limits.batchLimit } : false,
    // CSRF prevention is `useCsrfPrevention` below (GET queries need no header; see there).
    ...(limits.introspection ? {} : { disableIntrospection: { disableIf: () => true } }),
    requestDeadline: limits.requestTimeoutMs,
    // Subscriptions live as long as the client wants: the per-call timeout must not end them.
    upstreamTimeout: ({ executionRequest }) => (executionRequest?.operationType === 'subscription' ? undefined : limits.upstreamTimeoutMs),
    ...(trusted
      ? {
          persistedDocuments: {
            getPersistedOperation: (key: string) => trusted.get(key) ?? null,
            allowArbitraryDocuments: false,
          },
        }
      : {}),
    transportEntries: transportEntries as never,
    // Subscriptions to subgraphs end with an error the client can resume from when their socket
    // is lost, instead of being re-sent silently (see upstreamSubscriptions).
    transports: (kind: string) => (kind === 'ws' ? upstreamSubscriptions : kind === 'http' ? httpTransport : undefined) as never,
    logging,
    graphiql: production ? false : { title: 'Plangraph' },
    landingPage: false,
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    requestId: false,
    maskedErrors: { maskError: (error, message, isDev) => withStableCode(maskUnavailable(error, message, isDev)) },
    plugins: () => [
      useCsrfPrevention(limits.csrfHeaders),
      // Before the JWT plugin: a token verified before is taken as verified until its expiry.
      useVerifiedTokenCache(parts.verifiedTokens) as unknown as GatewayPlugin,
      withErrorCode(
        useJWT({
          signingKeyProviders: [signingKeyProvider],
          tokenLookupLocations: [
            withLifetimeCheck(extractFromHeader({ name: 'authorization', prefix: 'Bearer' }), jwt.maxAgeSeconds, gatewayClock),
            withLifetimeCheck(extractFromConnectionParams({ name: 'token' }), jwt.maxAgeSeconds, gatewayClock),
            withLifetimeCheck(fromConnectionParamsAuthorization(), jwt.maxAgeSeconds, gatewayClock),
          ],
          tokenVerification: {
            algorithms: parts.tokens.algorithms,
            ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
            ...(jwt.audience ? { audience: jwt.audience } : {}),
          },
          reject: { missingToken: false, invalidToken: true },
          forward: { payload: false, token: false },
        }) as unknown as GatewayPlugin,
        'UNAUTHENTICATED',
      ),
      useForwardedIdentity(gatewaySharedSecret(env), options.signingClock ?? gatewayClock),
      ...(rustPlanner ? [useSubgraphResults()] : []),
      useRateLimit(limits, parts.rateLimit),
      useSubscriptionCap(parts.subscriptions),
      useSubscriptionStreams(),
      // Clients with the same subscription key share one execution and upstream subscription.
      useSharedSubscriptions({ registry: options.metrics, clock: gatewayClock }),
      ...armorPlugins(limits),
      useClientErrors(),
      useRequestDeadlineError(limits),
      ...responseCachePlugins({
        config: responseCacheConfig(env),
        store: rateLimitStoreConfig(env),
        supergraph: options.supergraph,
        productsUrl: transportEntries.products.location,
        secret: gatewaySharedSecret(env),
        log,
        metrics: options.metrics,
        countAnonymous: (req) => parts.rateLimit.operations.hit(callerKey({ req })),
        // Not with trusted documents: a query text sent as is must reach their check (in Yoga).
        early: trusted
          ? undefined
          : {
              endpoint: '/graphql',
              requestId: requestIdOf,
              ready: (hits) => (parts.earlyHits.current = hits),
            },
      }),
      ...(options.metrics ? observabilityPlugins(options.metrics, logging) : []),
    ],
  });
}

/**
 * @whatwg-node/server, under Hive Gateway, disposes every gateway of the process on the first
 * SIGTERM or SIGINT (`disposeOnProcessTerminate`, which Hive turns on and offers no way to turn
 * off): that would cut the very requests a drain lets finish. `stop` disposes the gateway when
 * its drain is over instead. (Its handler for the process's `exit` stays.)
 */
function keepGatewayThroughSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    for (const listener of process.listeners(signal))
      if (listener.name === 'terminateHandler') process.removeListener(signal, listener as (...args: unknown[]) => void);
}

/** Starts the gateway on Node's http server with graphql-ws on the same `/graphql` path. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const env = options.env ?? processEnv();
  // Every setting checked before anything starts: one ConfigError names every bad variable.
  gatewayConfig(env);
  const log = options.log ?? createLogger('gateway');
  const parts = gatewayParts(env, log);
  const metrics = options.metrics ?? createRegistry();
  const gateway = createGateway({ ...options, log, metrics }, parts);
  // Load the supergraph before accepting traffic: otherwise a first operation arriving over
  // graphql-ws (which does not trigger the lazy load an HTTP request does) finds no schema.
  await gateway.getSchema();
  keepGatewayThroughSignals();
  const readiness = readinessProbe({
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, options.subgraphUrls?.[name] ?? subgraphUrl(name, env)])),
    schemaLoaded: async () => gateway.getSchema(),
  });
  // A known anonymous catalogue read found in the response cache is answered before Yoga; anything else goes to Yoga.
  const answer: http.RequestListener = (req, res) => {
    const early = parts.earlyHits.current;
    if (!early) return void gateway(req, res);
    early.serve(req, res).then(
      (served) => {
        if (!served) void gateway(req, res);
      },
      () => void gateway(req, res),
    );
  };
  const serveGraphql = limitBodySize(answer, hardeningConfig(env).maxBodyBytes);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/readyz') {
      // A stopping gateway is not ready from the first moment, so a load balancer stops sending it traffic.
      if (drain.isDraining) {
        res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ status: 'not ready', reason: 'shutting down', service: 'gateway' }));
      } else void readiness.handle(res);
    } else if (isMetricsRequest(req)) void serveMetrics(metrics, res, log);
    else serveGraphql(req, res);
  });
  keepIdleConnectionsLonger(server);
  const drain = new HttpDrain(server, { streams: (res) => subscriptionStreams.has(res) });
  const wss = new WebSocketServer({ server, path: gateway.graphqlEndpoint });
  const ws = useServer(
    guardWebSocket(
      getGraphQLWSOptions(gateway, (ctx) => {
        const extra = ctx.extra as { request?: unknown; socket?: unknown } | undefined;
        return { req: extra?.request, socket: extra?.socket };
      }),
      { ...parts, failed: parts.rateLimit.failed, log },
    ),
    wss,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : 'localhost';
  const url = `http://${host}:${port}${gateway.graphqlEndpoint}`;
  log.info({ port, host: options.host ?? '127.0.0.1' }, 'gateway listening');
  let stopping: Promise<void> | null = null;
  const stop = async (graceMs: number) => {
    const deadlineMs = drainDeadline(graceMs);
    log.info({ graceMs }, 'gateway stopping');
    const [requests] = await Promise.all([drain.drain(deadlineMs), closeWebSockets(wss, deadlineMs)]);
    if (!requests.graceful) log.warn({ cut: requests.cut }, 'requests still running at the end of the grace period were cut');
    await ws.dispose();
    await gateway.dispose();
    log.info('gateway stopped');
  };
  return {
    url,
    port,
    server,
    stop(stopOptions = {}) {
      stopping ??= stop(stopOptions.graceMs ?? shutdownGraceSeconds(env) * 1000);
      return stopping;
    },
  };
}
