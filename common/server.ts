import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { GraphQLSchema, ExecutionResult } from 'graphql';
import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { MigrationObject } from '@mikro-orm/core';
import {
  Caller,
  gatewaySignatureCheck,
  REQUEST_ID_HEADER,
  REQUEST_ID_SIG_HEADER,
  type ForwardedRequestId,
  type UpstreamRequest,
} from './auth';
import {
  claimsConfig,
  jobConcurrency,
  jobLockTimeoutSeconds,
  processEnv,
  shutdownGraceSeconds,
  subgraphConfig,
  type SubgraphName,
} from './config';
import { initOrm, migrate, readiness } from './db';
import { auditLoggerContext, type AuditActor } from './audit';
import { hasIdempotencyKeys, purgeSchedule, purgeExpiredIdempotencyKeys, purgeTaskName } from './idempotency';
import { JobRunner } from './jobs';
import type { TaskList } from 'graphile-worker';
import { databaseUnavailable, formatError, isDatabaseUnavailable, isPublicError, logUnexpected, MASKED_MESSAGE } from './errors';
import { createLogger, type Logger } from './logger';
import { migratePlatform } from './platform';
import { PgPubSub } from './pubsub';
import { inputBoundaryPlugin, subscribeWithinBoundary } from './input-boundary';
import { documentCache } from './document-cache';
import { systemClock, type Clock } from './clock';
import { createRegistry, jobQueueMetrics, jobRunMetrics, serveMetrics, type Registry, type TaskQueueRow } from './metrics';
import { SubgraphObservability } from './observability';
import { closeWebSockets, drainDeadline, HttpDrain, keepIdleConnectionsLonger, type StopOptions } from './drain';

/**
 * The clock gateway signatures are aged by: real time, as the gateway dates them. Their freshness
 * is a matter between two hosts, not one of the subgraph's rules, so a test that moves the
 * subgraph's clock (`StartOptions.clock`) still gets its requests through.
 */
const signatureClock: Clock = systemClock;

/** What every resolver receives. */
export interface SubgraphContext {
  /** A fresh EntityManager fork for this request (own identity map and dataloaders). */
  em: EntityManager;
  caller: Caller;
  requestId: string;
  log: Logger;
  pubsub: PgPubSub;
  /** "Now" for every time-dependent rule; injected in tests. */
  clock: Clock;
  /**
   * The environment the subgraph was started with, validated at start: read settings from it through the typed
   * accessors of `common/config` (parsed once per environment), never from `process.env` or by variable name.
   */
  env: NodeJS.ProcessEnv;
}

/** What a job handler of a subgraph gets (no caller: jobs run on behalf of the platform). */
export interface JobRuntime {
  orm: MikroORM;
  pubsub: PgPubSub;
  log: Logger;
  clock: Clock;
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
  /** The process's Prometheus registry (served at `/metrics`): a subgraph's own metrics go here. */
  metrics: Registry;
}

export interface SubgraphModule {
  name: SubgraphName;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- MikroORM's own type for entity classes
  entities: Function[];
  migrations: MigrationObject[];
  /** Builds the federated schema; needs no database (composition uses it offline). */
  buildSchema(pubsub: PgPubSub): Promise<GraphQLSchema>;
  /**
   * Job handlers this subgraph runs (graphile-worker task names, `<subgraph>.<task>`). Each
   * process of the subgraph runs a worker for exactly these tasks. Handlers must be idempotent.
   */
  jobs?(runtime: JobRuntime): TaskList;
  /** Recurring jobs (graphile-worker crontab `match`, UTC) among its `jobs`: run once per due time, whichever replica takes them. */
  recurring?: { task: string; match: string }[];
  /** Extra HTTP routes (e.g. an ingest endpoint), mounted before `/graphql`. */
  routes?(app: express.Express, runtime: JobRuntime): void;
  /** Metrics of its own read at scrape time (e.g. the provider's sync state), added to `runtime.metrics`. */
  metrics?(runtime: JobRuntime): void;
}

export interface StartOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  log?: Logger;
  /** Sees every SQL statement (N+1 tests, benchmarks). */
  onQuery?: (sql: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Time source for the subgraph's rules (default: the system clock). */
  clock?: Clock;
}

export interface RunningSubgraph {
  name: SubgraphName;
  url: string;
  port: number;
  orm: MikroORM;
  pubsub: PgPubSub;
  /** The supervised job runner, when the subgraph has job handlers. */
  jobs: JobRunner | null;
  /**
   * Graceful stop: `/readyz` answers 503 and the port refuses new connections at once;
   * WebSockets are closed with 1012 (service restart); requests in flight finish (within the
   * grace period, `SHUTDOWN_GRACE_SECONDS` unless `options.graceMs` says otherwise); the job
   * workers take no more jobs and finish theirs; then the database connections close.
   */
  stop(options?: StopOptions): Promise<void>;
}

function contextFactory(orm: MikroORM, pubsub: PgPubSub, log: Logger, env: NodeJS.ProcessEnv, clock: Clock) {
  const { rolesClaim, mfaClaim } = claimsConfig(env);
  const check = gatewaySignatureCheck(env, signatureClock);
  return (
    request: UpstreamRequest & { extensions?: { plangraph?: unknown } | null },
    /** The request id and its HMAC from the HTTP headers (over graphql-ws they are in the payload). */
    transportRequestId: ForwardedRequestId | null = null,
  ): SubgraphContext => {
    const verified = check(request, transportRequestId);
    if (verified.refusal) throw verified.refusal;
    // An unsigned request (allowed outside production) keeps the id it came with, for the logs.
    const requestId = verified.requestId ?? (verified.trusted ? null : transportRequestId?.id) ?? randomUUID();
    const caller = new Caller(verified.claims, rolesClaim, mfaClaim);
    return {
      em: orm.em.fork({ loggerContext: auditLoggerContext(caller, requestId) }),
      caller,
      requestId,
      log: log.child({ requestId }),
      pubsub,
      clock,
      env,
    };
  };
}

/** Logs unexpected errors with the request id and tags masked errors with it. */
function errorPlugin(log: Logger): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      return {
        /** Names the audit action after the mutation's root fields (e.g. `createPlan`). */
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : []));
          const current = contextValue.em.getLoggerContext<{ audit?: AuditActor }>().audit;
          if (current) contextValue.em.setLoggerContext({ audit: { ...current, action: fields.join(',') } });
        },
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (!isPublicError(error)) logUnexpected(log, error, contextValue.requestId, operationName);
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}

function maskResult(result: ExecutionResult, log: Logger, requestId: string) {
  if (!result.errors?.length) return undefined;
  return {
    ...result,
    errors: result.errors.map((error) => {
      if (isPublicError(error)) {
        const { stacktrace: _drop, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
        return { message: error.message, path: error.path, locations: error.locations, extensions: { ...extensions, requestId } };
      }
      logUnexpected(log, error, requestId);
      if (isDatabaseUnavailable(error.originalError ?? error)) {
        const unavailable = databaseUnavailable(error.path);
        return { ...unavailable, extensions: { ...unavailable.extensions, requestId } };
      }
      return { message: MASKED_MESSAGE, path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } };
    }),
  };
}

/**
 * Starts one subgraph: MikroORM on its own schema (migrations applied under an advisory lock),
 * Apollo Server on express with `/graphql`, `/healthz`, `/readyz`, and graphql-ws on the same
 * port when the schema has subscriptions.
 */
export async function startSubgraph(module: SubgraphModule, options: StartOptions): Promise<RunningSubgraph> {
  const env = options.env ?? processEnv();
  // Every setting of this subgraph checked before anything starts: one ConfigError names every bad variable.
  subgraphConfig(module.name, env);
  const log = options.log ?? createLogger(module.name);
  await migratePlatform(options.databaseUrl);
  const clock = options.clock ?? systemClock;
  const orm = await initOrm({
    schema: module.name,
    databaseUrl: options.databaseUrl,
    entities: module.entities,
    migrations: module.migrations,
    log,
    onQuery: options.onQuery,
    clock,
  });
  const pubsub = new PgPubSub(log);
  const metrics = createRegistry();
  const observability = new SubgraphObservability(module.name, metrics);
  let worker: JobRunner | null = null;
  let taskNames: string[] = [];
  let jobOrm: MikroORM | null = null;
  try {
    await migrate(orm, options.databaseUrl, module.name, log);
    const schema = await module.buildSchema(pubsub);
    const makeContext = contextFactory(orm, pubsub, log, env, clock);
    const signatureCheck = gatewaySignatureCheck(env, signatureClock);
    if (module.jobs && jobConcurrency(env) > 0) {
      // Jobs get an ORM of their own: their statements stay out of the request-path counts
      // (onQuery) and cannot starve the request pool.
      jobOrm = await initOrm({
        schema: module.name,
        databaseUrl: options.databaseUrl,
        entities: module.entities,
        migrations: module.migrations,
        log,
        poolMax: 10,
        clock,
      });
      const taskList = module.jobs({ orm: jobOrm, pubsub, log, clock, databaseUrl: options.databaseUrl, env, metrics });
      // Idempotency keys past their retention window are deleted hourly where the subgraph keeps them.
      const keepsKeys = await hasIdempotencyKeys(jobOrm.em.fork(), module.name);
      const purgeOrm = jobOrm;
      if (keepsKeys) {
        taskList[purgeTaskName(module.name)] = async () => {
          const purged = await purgeExpiredIdempotencyKeys(purgeOrm.em.fork(), module.name, clock.now());
          if (purged) log.info({ purged }, 'expired idempotency keys deleted');
        };
      }
      taskNames = Object.keys(taskList);
      worker = new JobRunner({
        databaseUrl: options.databaseUrl,
        taskList,
        log,
        owner: module.name,
        concurrency: jobConcurrency(env),
        lockTimeoutMs: jobLockTimeoutSeconds(env) * 1000,
        recurring: [...(keepsKeys ? [purgeSchedule(module.name)] : []), ...(module.recurring ?? [])],
        onJobRun: jobRunMetrics(metrics),
      });
      await worker.start();
    }

    // The queue of this subgraph's tasks, read at scrape time (API-only replicas report it too).
    jobQueueMetrics(metrics, module.name, (sql, params) => orm.em.getConnection().execute<TaskQueueRow[]>(sql, params), taskNames);

    const app = express();
    app.disable('x-powered-by');
    const httpServer = http.createServer(app);
    keepIdleConnectionsLonger(httpServer);
    // Server-sent event streams (the gateways' `/catalogue-changes`) never end by themselves: cut them
    // when the drain starts; their clients reconnect to another replica.
    const drain = new HttpDrain(httpServer, {
      streams: (res) => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream'),
    });

    let wsCleanup: { dispose(): void | Promise<void> } | null = null;
    let wss: WebSocketServer | null = null;
    if (schema.getSubscriptionType()) {
      await pubsub.connect(options.databaseUrl);
      wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
      const documents = documentCache();
      wsCleanup = useServer<Record<string, unknown>>(
        {
          schema,
          // One parsed, validated document per text the gateways send, not one per subscription.
          parse: documents.parse,
          validate: documents.validate,
          // Requests without a good gateway signature get an error for that subscription, not a closed socket.
          onSubscribe: (_ctx, _id, payload) => {
            const { refusal } = signatureCheck(payload);
            return refusal ? [refusal] : undefined;
          },
          context: (_ctx, _id, payload) => observability.withTraceContext(makeContext(payload), payload),
          subscribe: (args) => observability.subscribe(args, subscribeWithinBoundary),
          onNext: (_ctx, _id, _payload, args, result) => {
            const context = args.contextValue as SubgraphContext;
            return maskResult(result, log, context.requestId);
          },
        },
        wss,
      );
    }

    const apollo = new ApolloServer<SubgraphContext>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection: true,
      // The process decides how to stop (scripts/start-one.ts drains, then exits): Apollo's own
      // SIGTERM handler would stop it behind the drain's back and signal the process again.
      stopOnTerminationSignals: false,
      plugins: [
        ApolloServerPluginInlineTraceDisabled(),
        // No subgraph sets cache hints (the gateway's response cache has its own rules), so the
        // default cache-control plugin would only add a hook to every resolved field.
        ApolloServerPluginCacheControlDisabled(),
        errorPlugin(log),
        inputBoundaryPlugin(),
        observability.apolloPlugin(),
        {
          async serverWillStart() {
            return {
              async drainServer() {
                await wsCleanup?.dispose();
              },
            };
          },
        },
      ],
    });
    await apollo.start();

    const runtime: JobRuntime = { orm, pubsub, log, clock, databaseUrl: options.databaseUrl, env, metrics };
    module.routes?.(app, runtime);
    module.metrics?.(runtime);
    app.get('/metrics', (_req, res) => void serveMetrics(metrics, res, log));
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok', service: module.name });
    });
    app.get('/readyz', async (_req, res) => {
      // A stopping replica is not ready from the first moment, so a load balancer stops sending it traffic.
      if (drain.isDraining) {
        res.status(503).json({ status: 'not ready', reason: 'shutting down', service: module.name });
        return;
      }
      const state = await readiness(orm);
      const jobs = worker?.health();
      if (state.ok && jobs && !jobs.ok) Object.assign(state, jobs);
      res.status(state.ok ? 200 : 503).json({ status: state.ok ? 'ready' : 'not ready', reason: state.reason, service: module.name });
    });
    app.use(
      '/graphql',
      express.json({
        limit: '1mb',
        // The raw body: the HMAC of the gateway's request id (`x-plangraph-request-id-sig`) covers it.
        verify: (req, _res, buf) => {
          (req as { rawBody?: Buffer }).rawBody = buf;
        },
      }),
      expressMiddleware(apollo, {
        context: async ({ req }) => {
          const id = req.headers[REQUEST_ID_HEADER];
          const sig = req.headers[REQUEST_ID_SIG_HEADER];
          const body = (req as { rawBody?: Buffer }).rawBody ?? '';
          return makeContext(
            req.body ?? {},
            typeof id === 'string' ? { id: id.slice(0, 128), sig: typeof sig === 'string' ? sig : null, body } : null,
          );
        },
      }),
    );

    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}/graphql`;
    log.info({ port, host: options.host ?? '127.0.0.1' }, `${module.name} subgraph listening`);

    let stopping: Promise<void> | null = null;
    const stop = async (graceMs: number) => {
      const deadlineMs = drainDeadline(graceMs);
      log.info({ graceMs }, `${module.name} subgraph stopping`);
      // All at once: the port closes and /readyz fails, subscribers are told to reconnect
      // elsewhere, requests in flight and jobs in flight finish.
      const [requests] = await Promise.all([drain.drain(deadlineMs), wss ? closeWebSockets(wss, deadlineMs) : undefined, worker?.stop()]);
      if (!requests.graceful) log.warn({ cut: requests.cut }, 'requests still running at the end of the grace period were cut');
      await apollo.stop();
      await jobOrm?.close(true);
      await pubsub.close();
      await orm.close(true);
      log.info(`${module.name} subgraph stopped`);
    };
    return {
      name: module.name,
      url,
      port,
      orm,
      pubsub,
      jobs: worker,
      stop(stopOptions = {}) {
        stopping ??= stop(stopOptions.graceMs ?? shutdownGraceSeconds(env) * 1000);
        return stopping;
      },
    };
  } catch (error) {
    await worker?.stop().catch(() => undefined);
    await jobOrm?.close(true).catch(() => undefined);
    await pubsub.close();
    await orm.close(true);
    throw error;
  }
}
