/** Parts: variables read together, and the typed value each makes. Private to the configuration module. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { KeyRing } from '../crypto';
import {
  DEFAULT_PORTS,
  DEV_GATEWAY_SECRET,
  DEV_JWT_SECRET,
  DEV_KEY_SOURCE,
  PORTS,
  SUBGRAPH_NAMES,
  SUBGRAPH_URLS,
  SubgraphName,
  Values,
  VariableName,
  VARIABLES,
} from './variables';

// ---------------------------------------------------------------------------------------------
// Parts: variables read together, and the typed value they make

export interface Problem {
  variable: string;
  /** The value as the message shows it: `="…"`, ` (value hidden)` for a secret, or empty when unset. */
  shown: string;
  /** What the value must be. */
  message: string;
}

export interface Checks {
  /** Records a problem of a variable (a rule between variables, such as "required in production"). */
  fail(variable: VariableName, message: string): void;
}

export interface Part<T> {
  name: string;
  variables: readonly VariableName[];
  schema: z.ZodType<T>;
}

export function part<const K extends VariableName, T>(
  name: string,
  variables: readonly K[],
  build: (values: Values<K>, checks: Checks) => T,
): Part<T> {
  const shape = Object.fromEntries(variables.map((v) => [v, VARIABLES[v].schema])) as { [P in K]: (typeof VARIABLES)[P]['schema'] };
  const schema = z.object(shape).transform((values, ctx) => {
    let failed = false;
    const result = build(values as Values<K>, {
      fail(variable, message) {
        failed = true;
        ctx.addIssue({ code: 'custom', message, path: [variable] });
      },
    });
    return failed ? z.NEVER : result;
  });
  return { name, variables, schema: schema as unknown as z.ZodType<T> };
}

/** A secret that has a development default: required, and not that default, in production. */
function productionSecret(
  checks: Checks,
  name: VariableName,
  value: string | undefined,
  production: boolean,
  devDefault: string,
  alternative = '',
) {
  if (value && production && value === devDefault) {
    checks.fail(name, 'is the public development value: set a secret of your own when NODE_ENV=production');
    return value;
  }
  if (value) return value;
  if (production) checks.fail(name, `must be set when NODE_ENV=production${alternative}`);
  return devDefault;
}

export const runtime = part('runtime', ['NODE_ENV'], (v) => ({ production: v.NODE_ENV === 'production' }));

export const logging = part('logging', ['LOG_LEVEL'], (v) => ({ level: v.LOG_LEVEL }));

/** Interface and port of one process: `<NAME>_PORT` over `PORT` over the default. */
export function listen(name: SubgraphName | 'gateway') {
  const specific = `${name.toUpperCase()}_PORT` as keyof typeof PORTS;
  return part(`listen:${name}`, ['HOST', 'PORT', specific], (v) => ({
    host: v.HOST ?? '127.0.0.1',
    port: (v[specific] as number | undefined) ?? v.PORT ?? DEFAULT_PORTS[name],
  }));
}
export const LISTEN = Object.fromEntries((['gateway', ...SUBGRAPH_NAMES] as const).map((name) => [name, listen(name)])) as Record<
  SubgraphName | 'gateway',
  ReturnType<typeof listen>
>;

export const database = part('database', ['DATABASE_URL'], (v, checks) => {
  if (!v.DATABASE_URL) checks.fail('DATABASE_URL', 'must be set (npm start sets it for the embedded PostgreSQL)');
  return { url: v.DATABASE_URL ?? '' };
});

/** `npm start`: an embedded PostgreSQL unless DATABASE_URL is set, and the ports of every process. */
export const startAll = part(
  'npm start',
  ['DATABASE_URL', 'PLANGRAPH_DATA_DIR', 'EMBEDDED_PG_PORT', 'HOST', 'PORT', ...(Object.keys(PORTS) as (keyof typeof PORTS)[])],
  (v) => ({
    databaseUrl: v.DATABASE_URL ?? null,
    dataDir: v.PLANGRAPH_DATA_DIR ?? null,
    embeddedPort: v.EMBEDDED_PG_PORT,
    host: v.HOST ?? '127.0.0.1',
    ports: Object.fromEntries(
      (['gateway', ...SUBGRAPH_NAMES] as const).map((name) => [
        name,
        v[`${name.toUpperCase()}_PORT` as keyof typeof PORTS] ?? v.PORT ?? DEFAULT_PORTS[name],
      ]),
    ) as Record<SubgraphName | 'gateway', number>,
  }),
);

/**
 * The reference developer portal `npm start` serves: its port, the gateway URL its browsers use,
 * its OpenID Connect client, whether its development sign-in may mint tokens (outside
 * production, when tokens are HS256 with `JWT_SECRET`; a JWKS setup's tokens come from the identity
 * provider), and the claim its menu reads roles from (the subgraphs' `JWT_ROLES_CLAIM`).
 */
export const portal = part(
  'portal',
  ['NODE_ENV', 'PORTAL_PORT', 'PORTAL_GATEWAY_URL', 'PORTAL_OIDC_ISSUER', 'PORTAL_OIDC_CLIENT_ID', 'JWT_JWKS_URL', 'JWT_ROLES_CLAIM'],
  (v, checks) => {
    if (Boolean(v.PORTAL_OIDC_ISSUER) !== Boolean(v.PORTAL_OIDC_CLIENT_ID)) {
      const missing = v.PORTAL_OIDC_ISSUER ? 'PORTAL_OIDC_CLIENT_ID' : 'PORTAL_OIDC_ISSUER';
      checks.fail(missing, 'must be set with PORTAL_OIDC_ISSUER and PORTAL_OIDC_CLIENT_ID together (the portal’s OpenID Connect client)');
    }
    return {
      port: v.PORTAL_PORT,
      gatewayUrl: v.PORTAL_GATEWAY_URL ?? null,
      oidc: v.PORTAL_OIDC_ISSUER && v.PORTAL_OIDC_CLIENT_ID ? { issuer: v.PORTAL_OIDC_ISSUER, clientId: v.PORTAL_OIDC_CLIENT_ID } : null,
      devSignIn: v.NODE_ENV !== 'production' && !v.JWT_JWKS_URL,
      rolesClaim: v.JWT_ROLES_CLAIM ?? 'roles',
    };
  },
);

/** How tokens are verified: the gateway, the usage subgraph's service tokens, `npm run token`. */
export const jwtKeys = part('jwt', ['NODE_ENV', 'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'], (v, checks) => {
  const production = v.NODE_ENV === 'production';
  const jwksUrl = v.JWT_JWKS_URL;
  return {
    /** HS256 shared secret (development, or production without JWKS). */
    secret: jwksUrl
      ? v.JWT_SECRET
      : productionSecret(checks, 'JWT_SECRET', v.JWT_SECRET, production, DEV_JWT_SECRET, ' (or set JWT_JWKS_URL)'),
    /** JWKS endpoint for RS256/ES256 tokens (production). Takes precedence over `secret`. */
    jwksUrl,
    issuer: v.JWT_ISSUER,
    audience: v.JWT_AUDIENCE,
  };
});

export const tokenLifetime = part('token lifetime', ['JWT_MAX_AGE'], (v) => ({ maxAgeSeconds: v.JWT_MAX_AGE }));

/** What subgraphs take from the verified claims. */
export const claims = part('claims', ['JWT_ROLES_CLAIM', 'JWT_MFA_CLAIM'], (v) => ({
  rolesClaim: v.JWT_ROLES_CLAIM ?? 'roles',
  mfaClaim: v.JWT_MFA_CLAIM ?? null,
}));

export const sharedSecret = part('gateway signature', ['NODE_ENV', 'GATEWAY_SHARED_SECRET'], (v, checks) => ({
  secret: productionSecret(checks, 'GATEWAY_SHARED_SECRET', v.GATEWAY_SHARED_SECRET, v.NODE_ENV === 'production', DEV_GATEWAY_SECRET),
}));

export const signatureCheck = part('signature check', ['NODE_ENV', 'GATEWAY_SIGNATURE_MAX_AGE_SECONDS'], (v) => ({
  maxAgeSeconds: v.GATEWAY_SIGNATURE_MAX_AGE_SECONDS,
  /**
   * Whether GraphQL requests without a gateway signature — `_service` and `_entities` included —
   * are refused (wrong or stale signatures are refused always): in production. In development a
   * subgraph serves unsigned callers as anonymous (tools, GraphiQL-like clients).
   */
  required: v.NODE_ENV === 'production',
}));

export const encryption = part('encryption', ['NODE_ENV', 'ENCRYPTION_KEYS'], (v, checks): KeyRing => {
  if (v.ENCRYPTION_KEYS) return v.ENCRYPTION_KEYS;
  if (v.NODE_ENV === 'production') checks.fail('ENCRYPTION_KEYS', 'must be set when NODE_ENV=production');
  const key = createHash('sha256').update(DEV_KEY_SOURCE).digest();
  return { current: { id: 'dev', key }, all: new Map([['dev', key]]) };
});

export const graphqlLimits = part(
  'graphql limits',
  [
    'NODE_ENV',
    'GRAPHQL_MAX_DEPTH',
    'GRAPHQL_MAX_ALIASES',
    'GRAPHQL_MAX_TOKENS',
    'GRAPHQL_MAX_DIRECTIVES',
    'GRAPHQL_BATCH_LIMIT',
    'GRAPHQL_MAX_BODY_BYTES',
    'GRAPHQL_REQUEST_TIMEOUT_MS',
    'GRAPHQL_UPSTREAM_TIMEOUT_MS',
    'GRAPHQL_INTROSPECTION',
    'GRAPHQL_FIELD_SUGGESTIONS',
    'TRUSTED_DOCUMENTS_FILE',
    'PLATFORM_RATE_LIMIT',
    'GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION',
    'GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER',
  ],
  (v) => {
    const production = v.NODE_ENV === 'production';
    return {
      maxDepth: v.GRAPHQL_MAX_DEPTH,
      maxAliases: v.GRAPHQL_MAX_ALIASES,
      maxTokens: v.GRAPHQL_MAX_TOKENS,
      maxDirectives: v.GRAPHQL_MAX_DIRECTIVES,
      batchLimit: v.GRAPHQL_BATCH_LIMIT,
      maxBodyBytes: v.GRAPHQL_MAX_BODY_BYTES,
      requestTimeoutMs: v.GRAPHQL_REQUEST_TIMEOUT_MS,
      upstreamTimeoutMs: v.GRAPHQL_UPSTREAM_TIMEOUT_MS,
      introspection: v.GRAPHQL_INTROSPECTION ?? !production,
      fieldSuggestions: v.GRAPHQL_FIELD_SUGGESTIONS ?? !production,
      trustedDocumentsFile: v.TRUSTED_DOCUMENTS_FILE ?? null,
      rateLimit: v.PLATFORM_RATE_LIMIT ?? { requests: 600, windowSeconds: 60 },
      maxSubscriptionsPerConnection: v.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerCaller: v.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER,
    };
  },
);

/** Where the gateways keep the rate-limit windows: Redis, shared by every replica, or (unset) each process its own. */
export const rateLimitStore = part('rate-limit store', ['REDIS_URL', 'REDIS_KEY_PREFIX'], (v) => ({
  redisUrl: v.REDIS_URL ?? null,
  keyPrefix: v.REDIS_KEY_PREFIX ?? 'plangraph:',
}));

/** The gateway's query planner and executor (`gateway/index.ts`). */
export const queryPlanner = part('query planner', ['GATEWAY_QUERY_PLANNER'], (v) => ({
  planner: v.GATEWAY_QUERY_PLANNER,
}));

/** The gateway's response cache for anonymous public-catalogue reads (`gateway/response-cache.ts`). */
export const responseCache = part('response cache', ['RESPONSE_CACHE_TTL_SECONDS'], (v) => ({
  ttlSeconds: v.RESPONSE_CACHE_TTL_SECONDS,
}));

export const subgraphUrls = part(
  'subgraph urls',
  Object.keys(SUBGRAPH_URLS) as (keyof typeof SUBGRAPH_URLS)[],
  (v) =>
    Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [
        name,
        v[`SUBGRAPH_${name.toUpperCase()}_URL` as keyof typeof SUBGRAPH_URLS] ?? `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`,
      ]),
    ) as Record<SubgraphName, string>,
);

export const jobs = part('jobs', ['JOB_CONCURRENCY', 'JOB_LOCK_TIMEOUT_SECONDS'], (v) => ({
  concurrency: v.JOB_CONCURRENCY,
  lockTimeoutSeconds: v.JOB_LOCK_TIMEOUT_SECONDS,
}));

/** How a process stops (`scripts/start-one.ts`, the `stop` of a subgraph or the gateway). */
export const shutdown = part('shutdown', ['SHUTDOWN_GRACE_SECONDS'], (v) => ({ graceSeconds: v.SHUTDOWN_GRACE_SECONDS }));

/** `npm run plangraph`: where the platform is and who calls it (scripts/plangraph-cli.ts). */
export const catalogClient = part('catalog client', ['PLANGRAPH_URL', 'PLANGRAPH_TOKEN'], (v, checks) => {
  if (!v.PLANGRAPH_URL) checks.fail('PLANGRAPH_URL', 'must be set: the GraphQL URL of the gateway, e.g. http://127.0.0.1:4000/graphql');
  if (!v.PLANGRAPH_TOKEN) checks.fail('PLANGRAPH_TOKEN', 'must be set: a portal admin’s bearer token (npm run token -- … in development)');
  return { url: v.PLANGRAPH_URL ?? '', token: v.PLANGRAPH_TOKEN ?? '' };
});

export const plans = part('plans', ['PLAN_CHANGE_APPROVAL'], (v) => ({ planChangeApproval: v.PLAN_CHANGE_APPROVAL }));

export const developers = part('developers', ['CREDENTIAL_EXPIRY_WARNING_SECONDS', 'ACCESS_REVIEW_UNUSED_DAYS'], (v) => ({
  credentialExpiryWarningSeconds: v.CREDENTIAL_EXPIRY_WARNING_SECONDS,
  accessReviewUnusedDays: v.ACCESS_REVIEW_UNUSED_DAYS,
}));

/** Webhook delivery (the developers subgraph's dispatcher, docs/WEBHOOKS.md). */
export const webhooks = part(
  'webhooks',
  ['NODE_ENV', 'WEBHOOK_ALLOWED_CIDRS', 'WEBHOOK_TIMEOUT_MS', 'WEBHOOK_RETRY_BASE_MS', 'WEBHOOK_RETRY_WINDOW_SECONDS'],
  (v) => ({
    /** http:// URLs are accepted for localhost outside production. */
    production: v.NODE_ENV === 'production',
    allowedCidrs: v.WEBHOOK_ALLOWED_CIDRS,
    timeoutMs: v.WEBHOOK_TIMEOUT_MS,
    retryBaseMs: v.WEBHOOK_RETRY_BASE_MS,
    retryWindowSeconds: v.WEBHOOK_RETRY_WINDOW_SECONDS,
  }),
);

export const provider = part(
  'provider',
  ['SYNC_STUCK_SECONDS', 'PROVIDER_HTTP_TIMEOUT_MS', 'PROVIDER_SYNC_INTERVAL_SECONDS', 'PROVIDER_TYK_RELOAD'],
  (v) => ({
    syncStuckSeconds: v.SYNC_STUCK_SECONDS,
    httpTimeoutMs: v.PROVIDER_HTTP_TIMEOUT_MS,
    syncIntervalSeconds: v.PROVIDER_SYNC_INTERVAL_SECONDS,
    tykReload: v.PROVIDER_TYK_RELOAD,
  }),
);

export const usage = part(
  'usage',
  [
    'TYK_ANALYTICS_DATABASE_URL',
    'TYK_ANALYTICS_TABLE',
    'TYK_ANALYTICS_TABLE_SHARDING',
    'USAGE_TAIL_INTERVAL_SECONDS',
    'USAGE_TAIL_SETTLE_SECONDS',
    'USAGE_TAIL_BATCH_SIZE',
    'USAGE_INGEST_MAX_RECORDS',
  ],
  (v) => ({
    /** Where Tyk Pump writes analytics; null: the usage subgraph's own database. */
    analyticsDatabaseUrl: v.TYK_ANALYTICS_DATABASE_URL ?? null,
    analyticsTable: v.TYK_ANALYTICS_TABLE,
    tableSharding: v.TYK_ANALYTICS_TABLE_SHARDING ?? false,
    tailIntervalSeconds: v.USAGE_TAIL_INTERVAL_SECONDS,
    tailSettleSeconds: v.USAGE_TAIL_SETTLE_SECONDS,
    tailBatchSize: v.USAGE_TAIL_BATCH_SIZE,
    ingestMaxRecords: v.USAGE_INGEST_MAX_RECORDS,
  }),
);

/**
 * OpenTelemetry tracing (common/telemetry.ts): off unless an OTLP endpoint is set. The standard
 * OTEL_* variables, read here and handed to the SDK explicitly.
 */
export const telemetry = part(
  'telemetry',
  [
    'OTEL_SDK_DISABLED',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_SERVICE_NAME',
    'OTEL_TRACES_SAMPLER',
    'OTEL_TRACES_SAMPLER_ARG',
    'OTEL_BSP_SCHEDULE_DELAY',
  ],
  (v) => {
    const base = v.OTEL_EXPORTER_OTLP_ENDPOINT;
    const tracesUrl = v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : null);
    return {
      /** Where spans are exported; null: tracing is off. */
      tracesUrl: v.OTEL_SDK_DISABLED ? null : tracesUrl,
      protocol: v.OTEL_EXPORTER_OTLP_PROTOCOL,
      headers: v.OTEL_EXPORTER_OTLP_HEADERS ?? {},
      /** null: `plangraph-<process>`. */
      serviceName: v.OTEL_SERVICE_NAME ?? null,
      sampler: v.OTEL_TRACES_SAMPLER,
      samplerRatio: v.OTEL_TRACES_SAMPLER_ARG,
      scheduleDelayMs: v.OTEL_BSP_SCHEDULE_DELAY,
    };
  },
);

/** Documented here so the table lists them; the test runner (`test/global-setup.mjs`) reads them. */
export const tests = part('tests', ['TEST_DATABASE_URL', 'REDIS_URL'], (v) => ({
  databaseUrl: v.TEST_DATABASE_URL ?? null,
  /** The suites that need Redis run only when it is set (test/helpers/service-table.cjs). */
  redisUrl: v.REDIS_URL ?? null,
}));
