/** The variables: each one declared once, with its type, bounds, default, meaning and whether it is a secret. */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { KeyRing } from '../crypto';
import developmentSecrets from '../development-secrets.json';

export const SUBGRAPH_NAMES = ['products', 'plans', 'developers', 'usage', 'provider'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** Default ports of `npm start` and docker-compose; tests pick free ports instead. */
export const DEFAULT_PORTS: Record<SubgraphName | 'gateway', number> = {
  gateway: 4000,
  products: 4001,
  plans: 4002,
  developers: 4003,
  usage: 4004,
  provider: 4005,
};

/** Default port of the reference developer portal that `npm start` serves (`portal/dist`). */
export const DEFAULT_PORTAL_PORT = 4006;

/** An environment: `process.env` of a process, or the settings a test starts a process with. */
export type Env = NodeJS.ProcessEnv;

/**
 * Development values of the secrets, refused in production. They live in a JSON file so that
 * `npm run token` (`scripts/token-cli.cjs`, plain JavaScript that needs no build) signs with the
 * same JWT secret the gateway checks.
 */
export const DEV_JWT_SECRET: string = developmentSecrets.JWT_SECRET;
export const DEV_GATEWAY_SECRET: string = developmentSecrets.GATEWAY_SHARED_SECRET;
export const DEV_KEY_SOURCE = 'plangraph-development-encryption-key-not-for-production';

// ---------------------------------------------------------------------------------------------
// Variables

/** Who reads a variable, as the README's table names them. */
export type Reader = 'gateway' | SubgraphName | 'npm start' | 'npm run token' | 'npm run plangraph' | 'npm test';

export interface Variable<T = unknown> {
  /** From the raw value (undefined when unset; blank counts as unset) to the typed value. */
  schema: z.ZodType<T>;
  /** What the table shows as the default. */
  default: string;
  /** What the table shows as the allowed values (the bounds the schema checks). */
  allowed: string;
  description: string;
  /** A secret: its value never appears in an error message, and the table marks it. */
  secret?: boolean;
}

/** Blank counts as unset, as it always has (`FOO=` in a shell or compose file). */
const unsetIfBlank = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

function integer(o: {
  default: number;
  min: number;
  max: number;
  unit?: string;
  description: string;
  defaultText?: string;
}): Variable<number> {
  const rule = `a whole number${o.unit ? ` of ${o.unit}` : ''} ${o.max === Number.MAX_SAFE_INTEGER ? `≥ ${o.min}` : `from ${o.min} to ${o.max}`}`;
  const must = { error: `must be ${rule}` };
  return {
    schema: z
      .preprocess(unsetIfBlank, z.string().transform(Number).pipe(z.number(must).int(must).min(o.min, must).max(o.max, must)).optional())
      .transform((value) => value ?? o.default),
    default: o.defaultText ?? `\`${o.default}\``,
    allowed: `${o.max === Number.MAX_SAFE_INTEGER ? `≥ ${o.min}` : `${o.min}–${o.max}`}${o.unit ? ` ${o.unit}` : ''}`,
    description: o.description,
  };
}

/** An optional whole number without a default of its own (ports: the default depends on the process). */
function optionalInteger(o: { min: number; max: number; default: string; description: string }): Variable<number | undefined> {
  const must = { error: `must be a whole number from ${o.min} to ${o.max}` };
  return {
    schema: z.preprocess(
      unsetIfBlank,
      z.string().transform(Number).pipe(z.number(must).int(must).min(o.min, must).max(o.max, must)).optional(),
    ),
    default: o.default,
    allowed: `${o.min}–${o.max}`,
    description: o.description,
  };
}

function oneOf<const T extends string>(values: readonly T[], fallback: T, description: string, normalize = false): Variable<T> {
  const must = { error: `must be one of ${values.join(', ')}` };
  return {
    schema: z
      .preprocess(
        (value) => {
          const blankless = unsetIfBlank(value);
          return normalize && typeof blankless === 'string' ? blankless.trim().toLowerCase() : blankless;
        },
        z.enum(values as unknown as [T, ...T[]], must).optional(),
      )
      .transform((value) => value ?? fallback),
    default: `\`${fallback}\``,
    allowed: values.map((v) => `\`${v}\``).join(', '),
    description,
  };
}

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  on: true,
  false: false,
  '0': false,
  no: false,
  off: false,
};

function flag(o: { default: string; description: string }): Variable<boolean | undefined> {
  return {
    schema: z.preprocess(
      (value) => {
        const v = unsetIfBlank(value);
        return typeof v === 'string' ? v.trim().toLowerCase() : v;
      },
      z
        .enum(Object.keys(BOOLEAN_WORDS) as [string, ...string[]], { error: 'must be true or false (also 1/0, yes/no, on/off)' })
        .transform((v) => BOOLEAN_WORDS[v]!)
        .optional(),
    ),
    default: o.default,
    allowed: '`true`, `false`',
    description: o.description,
  };
}

function text(o: { default?: string; description: string; secret?: boolean; allowed?: string }): Variable<string | undefined> {
  return {
    schema: z.preprocess(unsetIfBlank, z.string().optional()),
    default: o.default ?? '–',
    allowed: o.allowed ?? 'text',
    description: o.description,
    secret: o.secret,
  };
}

function url(o: {
  default?: string;
  description: string;
  protocols: RegExp;
  allowed: string;
  secret?: boolean;
}): Variable<string | undefined> {
  return {
    schema: z.preprocess(unsetIfBlank, z.url({ protocol: o.protocols, error: `must be a URL (${o.allowed})` }).optional()),
    default: o.default ?? '–',
    allowed: o.allowed,
    description: o.description,
    secret: o.secret,
  };
}

/** Comma-separated CIDRs (`10.0.0.0/8,::1/128`), parsed into address, prefix and family. */
function cidrList(description: string): Variable<{ address: string; prefix: number; family: 'ipv4' | 'ipv6' }[]> {
  const must = { error: 'must be comma-separated CIDR ranges such as `10.0.0.0/8,127.0.0.1/32,::1/128`' };
  return {
    schema: z
      .preprocess(
        unsetIfBlank,
        z
          .string()
          .transform((value, ctx) => {
            const out: { address: string; prefix: number; family: 'ipv4' | 'ipv6' }[] = [];
            for (const entry of value
              .split(',')
              .map((e) => e.trim())
              .filter(Boolean)) {
              const [address, prefixText] = entry.split('/');
              const version = isIP(address ?? '');
              const prefix = Number(prefixText);
              const max = version === 6 ? 128 : 32;
              if (!version || prefixText === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
                ctx.addIssue({ code: 'custom', message: must.error });
                return z.NEVER;
              }
              out.push({ address: address!, prefix, family: version === 6 ? 'ipv6' : 'ipv4' });
            }
            return out;
          })
          .optional(),
      )
      .transform((value) => value ?? []),
    default: 'none',
    allowed: 'CIDR list',
    description,
  };
}

/** Default lead time of CREDENTIAL_EXPIRING events: 7 days before `expiresAt`. */
export const DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS = 604_800;

/** `name` or `schema.name`, each a plain lower-case SQL identifier (`TYK_ANALYTICS_TABLE`). */
export const TABLE_NAME = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

const POSTGRES_URL = { protocols: /^postgres(ql)?$/, allowed: '`postgres://…`' };
const HTTP_URL = { protocols: /^https?$/, allowed: '`http(s)://…`' };

/** `id:<32 bytes in base64>` entries, comma-separated: the first encrypts, all decrypt. */
const encryptionKeys: Variable<KeyRing | undefined> = {
  schema: z.preprocess(
    unsetIfBlank,
    z
      .string()
      .transform((raw, ctx) => {
        const all = new Map<string, Buffer>();
        let current: KeyRing['current'] | null = null;
        for (const entry of raw
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean)) {
          const colon = entry.indexOf(':');
          const id = entry.slice(0, colon);
          const key = Buffer.from(entry.slice(colon + 1), 'base64');
          if (colon < 1 || !/^[A-Za-z0-9_-]+$/.test(id) || key.length !== 32) {
            ctx.addIssue({ code: 'custom', message: 'must be `id:<32 bytes in base64>` entries, comma-separated' });
            return z.NEVER;
          }
          all.set(id, key);
          current ??= { id, key };
        }
        if (!current) {
          ctx.addIssue({ code: 'custom', message: 'must name at least one key (`id:<32 bytes in base64>`)' });
          return z.NEVER;
        }
        return { current, all } satisfies KeyRing;
      })
      .optional(),
  ),
  default: 'a development key',
  allowed: '`id:<32 bytes base64>,…`',
  description:
    'AES-256-GCM keys for secrets at rest; the first encrypts, all decrypt (put a new key first to rotate); required in production',
  secret: true,
};

export const PORTS = Object.fromEntries(
  (['gateway', ...SUBGRAPH_NAMES] as const).map((name) => [
    `${name.toUpperCase()}_PORT`,
    optionalInteger({
      min: 0,
      max: 65535,
      default: `\`${DEFAULT_PORTS[name]}\``,
      description: `listening port of the ${name === 'gateway' ? 'gateway' : `${name} subgraph`} (over \`PORT\`)`,
    }),
  ]),
) as Record<`${Uppercase<SubgraphName | 'gateway'>}_PORT`, Variable<number | undefined>>;

export const SUBGRAPH_URLS = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => [
    `SUBGRAPH_${name.toUpperCase()}_URL`,
    url({
      ...HTTP_URL,
      default: `\`http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql\``,
      description: `where the gateway reaches the ${name} subgraph`,
    }),
  ]),
) as Record<`SUBGRAPH_${Uppercase<SubgraphName>}_URL`, Variable<string | undefined>>;

/** Every variable, in the order of the README's table. */
export const VARIABLES = {
  NODE_ENV: text({
    description:
      '`production` turns GraphiQL, introspection and field suggestions off, makes the secrets mandatory and refuses the development ones',
    allowed: '`production`, or anything else',
  }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info', 'pino log level (the tests use `warn`)'),
  DATABASE_URL: url({
    ...POSTGRES_URL,
    default: 'embedded PostgreSQL (`npm start`)',
    description: 'PostgreSQL to use; required by a subgraph started on its own; with it set, `npm start` starts no embedded server',
    secret: true,
  }),
  PLANGRAPH_DATA_DIR: text({ default: '`.data/postgres`', description: 'data directory of the embedded PostgreSQL', allowed: 'a path' }),
  EMBEDDED_PG_PORT: integer({ default: 54329, min: 1, max: 65535, description: 'port of the embedded PostgreSQL' }),
  HOST: text({ default: '`127.0.0.1`', description: 'interface to listen on (`0.0.0.0` in containers)', allowed: 'an address' }),
  PORT: optionalInteger({
    min: 0,
    max: 65535,
    default: '4000 gateway, 4001–4005 subgraphs',
    description: 'listening port, when the process-specific variable below is not set',
  }),
  ...PORTS,
  ...SUBGRAPH_URLS,
  JWT_SECRET: text({
    default: 'a development secret',
    description:
      'HS256 secret for bearer tokens (and service tokens of the usage ingest); required in production unless `JWT_JWKS_URL` is set',
    secret: true,
  }),
  JWT_JWKS_URL: url({
    ...HTTP_URL,
    description: 'JWKS endpoint for RS256/ES256/PS256 tokens (production); takes precedence over `JWT_SECRET`',
  }),
  JWT_ISSUER: text({ description: 'issuer a token must have, when set' }),
  JWT_AUDIENCE: text({ description: 'audience a token must have, when set' }),
  JWT_MAX_AGE: integer({
    default: 86_400,
    defaultText: '`86400` (24 h)',
    min: 1,
    max: 31_536_000,
    unit: 'seconds',
    description:
      'longest token lifetime accepted: tokens without `exp`, or whose `exp` lies further than this after `iat` (or now, when `iat` is missing or in the future), are refused with UNAUTHENTICATED saying why',
  }),
  JWT_ROLES_CLAIM: text({
    default: '`roles`',
    description:
      'claim that lists platform roles (`portal_admin`, `service`): a list, or one string of names separated by spaces or commas; the portal’s menu reads it too',
    allowed: 'a claim name',
  }),
  JWT_MFA_CLAIM: text({
    description:
      'a claim that asserts multi-factor authentication when `true` (besides `amr` containing `mfa`); step-up operations need one of the two',
    allowed: 'a claim name',
  }),
  GATEWAY_SHARED_SECRET: text({
    default: 'a development secret',
    description:
      'HMAC key the gateway signs each upstream request with (document, variables, operation name, claims, time; the request id beside it with an HMAC of its own); subgraphs refuse altered, forged or stale signatures, and in production unsigned requests too (in development an unsigned caller is anonymous); required in production',
    secret: true,
  }),
  GATEWAY_SIGNATURE_MAX_AGE_SECONDS: integer({
    default: 60,
    min: 1,
    max: 3600,
    unit: 'seconds',
    description:
      'how long after the gateway signed a request a subgraph still accepts it; older, future-dated or altered signatures are refused with FORBIDDEN, and in production unsigned requests too',
  }),
  ENCRYPTION_KEYS: encryptionKeys,
  GRAPHQL_MAX_DEPTH: integer({
    default: 12,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    description: 'deepest field nesting an operation may have',
  }),
  GRAPHQL_MAX_ALIASES: integer({ default: 15, min: 0, max: Number.MAX_SAFE_INTEGER, description: 'aliases per operation' }),
  GRAPHQL_MAX_TOKENS: integer({ default: 3000, min: 1, max: Number.MAX_SAFE_INTEGER, description: 'lexer tokens per document' }),
  GRAPHQL_MAX_DIRECTIVES: integer({ default: 20, min: 0, max: Number.MAX_SAFE_INTEGER, description: 'directives per operation' }),
  GRAPHQL_BATCH_LIMIT: integer({
    default: 0,
    defaultText: '`0` (off)',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    description: 'operations per batched HTTP request; `0` turns batching off',
  }),
  GRAPHQL_MAX_BODY_BYTES: integer({
    default: 100_000,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    description: 'largest request body (413 above)',
  }),
  // Node's timers hold at most 2^31 - 1 ms; a longer timeout would fire at once.
  GRAPHQL_REQUEST_TIMEOUT_MS: integer({
    default: 30_000,
    min: 1,
    max: 2_147_483_647,
    unit: 'milliseconds',
    description: 'hard limit for one HTTP request',
  }),
  GRAPHQL_UPSTREAM_TIMEOUT_MS: integer({
    default: 15_000,
    min: 1,
    max: 2_147_483_647,
    unit: 'milliseconds',
    description: 'limit for one subgraph call (not for subscriptions)',
  }),
  GRAPHQL_INTROSPECTION: flag({ default: 'on, off in production', description: 'allow introspection' }),
  GRAPHQL_FIELD_SUGGESTIONS: flag({ default: 'on, off in production', description: '"Did you mean …" in validation errors' }),
  TRUSTED_DOCUMENTS_FILE: text({
    description: 'JSON `{ "<sha256>": "<document>" }`: only these documents run (persisted-query hashes)',
    allowed: 'a path',
  }),
  PLATFORM_RATE_LIMIT: {
    schema: z.preprocess(
      unsetIfBlank,
      z
        .string()
        .trim()
        .regex(/^\d+\/\d+$/, { error: 'must look like `<requests>/<seconds>`, e.g. 600/60 (0/60 turns it off)' })
        .transform((value) => {
          const [requests, seconds] = value.split('/').map(Number) as [number, number];
          return { requests, windowSeconds: Math.max(1, seconds) };
        })
        .optional(),
    ),
    default: '`600/60`',
    allowed: '`<requests>/<seconds>`',
    description:
      'operations per caller (token subject, else address) per window, subscriptions included; failed requests (refused tokens, invalid documents, refused handshakes) count in a window of their own per address with the same numbers; `0/60` turns it off',
  } satisfies Variable<{ requests: number; windowSeconds: number } | undefined>,
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: integer({
    default: 50,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    description:
      'subscriptions one graphql-ws connection may run at once; one more gets a SUBSCRIPTION_LIMIT error (the socket stays open)',
  }),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER: integer({
    default: 200,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    description: 'subscriptions one caller (token subject, else address) may run at once over all its connections to one gateway process',
  }),
  REDIS_URL: url({
    protocols: /^rediss?$/,
    allowed: '`redis://…` or `rediss://…` (TLS)',
    default: '– (each gateway process counts its own)',
    description:
      'Redis the gateways count `PLATFORM_RATE_LIMIT` in, so that every replica shares one count per caller and per address (exact across replicas); while it cannot be reached a gateway counts in its own process and returns to Redis when it is back; `npm test` runs the suites that need Redis only when it is set',
    secret: true,
  }),
  REDIS_KEY_PREFIX: {
    schema: z.preprocess(
      unsetIfBlank,
      z
        .string()
        .regex(/^[\x21-\x7e]{1,100}$/, { error: 'must be 1 to 100 printable ASCII characters without spaces, e.g. `plangraph:`' })
        .optional(),
    ),
    default: '`plangraph:`',
    allowed: 'text without spaces',
    description: 'start of every Redis key the gateway writes, so that several deployments (or test runs) can share one Redis',
  } satisfies Variable<string | undefined>,
  GATEWAY_QUERY_PLANNER: oneOf(
    ['javascript', 'rust'],
    'rust',
    'how the gateway plans and runs federated queries: `rust`, the query planner of Hive Router (`@graphql-hive/router-runtime`, a native addon shipped for Linux and macOS on x64 and arm64) and its plan executor, a third to a half of the gateway’s CPU per query with `javascript` (BENCHMARKS.md); `javascript`, Hive Gateway’s own planner on schema stitching (for a platform without the addon). Clients see the same errors with either',
    true,
  ),
  RESPONSE_CACHE_TTL_SECONDS: integer({
    default: 60,
    min: 0,
    max: 86_400,
    unit: 'seconds',
    description:
      "how long the gateway keeps an anonymous caller's answer to a public-catalogue query (in Redis with `REDIS_URL`, shared by every replica, else in its own process); catalogue mutations through the gateway invalidate it before they return, changes made by jobs (policy imports) as soon as the products subgraph streams them; this is the longest an entry lives, so the staleness bound when an invalidation is lost; 0 turns the cache off",
  }),
  PLANGRAPH_URL: url({
    ...HTTP_URL,
    description:
      'GraphQL endpoint of the platform (the gateway, `…/graphql`) that `npm run plangraph` (catalogue export, diff, apply) talks to',
  }),
  PLANGRAPH_TOKEN: text({
    description: 'Bearer token of a portal admin for `npm run plangraph`; never printed',
    secret: true,
  }),
  PORTAL_PORT: integer({
    default: DEFAULT_PORTAL_PORT,
    min: 0,
    max: 65535,
    description: 'listening port of the reference developer portal (`portal/`) that `npm start` serves beside the gateway',
  }),
  PORTAL_GATEWAY_URL: url({
    ...HTTP_URL,
    default: '`http://localhost:<GATEWAY_PORT>/graphql`',
    description:
      'the gateway’s GraphQL URL as the portal’s browsers reach it (its `ws(s)://` form serves the subscriptions); handed to the portal in its `/config.json`',
  }),
  PORTAL_OIDC_ISSUER: url({
    ...HTTP_URL,
    description:
      'OpenID Connect issuer the portal signs people in with (authorization code with PKCE; its discovery document must be reachable from the browser); with `PORTAL_OIDC_CLIENT_ID`',
  }),
  PORTAL_OIDC_CLIENT_ID: text({
    description: 'the portal’s public client id at `PORTAL_OIDC_ISSUER` (no client secret: the portal is a browser app)',
  }),
  PLAN_CHANGE_APPROVAL: oneOf(
    ['off', 'required'],
    'off',
    '`required`: changes of a plan’s limits, JWT scopes or visibility (catalogs, publishing) need a second portal admin (`proposePlanChange` → `approvePlanChange`)',
    true,
  ),
  CREDENTIAL_EXPIRY_WARNING_SECONDS: integer({
    default: DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS,
    defaultText: '`604800` (7 days)',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    unit: 'seconds',
    description:
      'how long before `expiresAt` the first CREDENTIAL_EXPIRING event of the countdown is published (later stages: 1 day and 1 hour before, those shorter than this)',
  }),
  ACCESS_REVIEW_UNUSED_DAYS: integer({
    default: 90,
    min: 1,
    max: 730,
    unit: 'days',
    description:
      'the daily access review report (`accessReviewReports`, webhook ACCESS_REVIEW_REPORT) lists ACTIVE credentials unused for at least this many days',
  }),
  WEBHOOK_ALLOWED_CIDRS: cidrList(
    'address ranges webhook endpoints may resolve to although they are private, loopback, link-local or otherwise not public (refused by default: SSRF protection), comma-separated CIDRs such as `10.20.0.0/16,127.0.0.1/32`; for receivers inside your network, and for tests',
  ),
  WEBHOOK_TIMEOUT_MS: integer({
    default: 5_000,
    min: 50,
    max: 60_000,
    unit: 'milliseconds',
    description:
      'how long one webhook delivery attempt may take (connecting, sending, the answer’s status and headers), each redirect included',
  }),
  WEBHOOK_RETRY_BASE_MS: integer({
    default: 30_000,
    defaultText: '`30000` (30 s)',
    min: 10,
    max: 3_600_000,
    unit: 'milliseconds',
    description:
      'the first retry of a failed webhook delivery comes this long after the failed attempt; each further one waits twice as long as the one before, at most 2 hours',
  }),
  WEBHOOK_RETRY_WINDOW_SECONDS: integer({
    default: 86_400,
    defaultText: '`86400` (1 day)',
    min: 1,
    max: 2_592_000,
    unit: 'seconds',
    description:
      'how long a webhook delivery is retried (counted from its event, or from when its endpoint was enabled again); then it is FAILED and its endpoint is disabled',
  }),
  JOB_CONCURRENCY: integer({
    default: 4,
    min: 0,
    max: 64,
    description: 'jobs one process runs at once; `0` makes an API-only replica whose jobs other replicas run',
  }),
  JOB_LOCK_TIMEOUT_SECONDS: integer({
    default: 30,
    min: 1,
    max: 3600,
    unit: 'seconds',
    description:
      'a job held by a worker that sent no heartbeat for this long (its process was killed or cut off) runs again on another worker; live workers beat every fifth of it',
  }),
  SHUTDOWN_GRACE_SECONDS: integer({
    default: 25,
    min: 0,
    max: 3600,
    unit: 'seconds',
    description:
      'after SIGTERM, how long requests and jobs in flight may take to finish (the process stops accepting connections at once and exits by then at the latest); keep it below Kubernetes’ `terminationGracePeriodSeconds` (30 s by default); `0` stops at once',
  }),
  SYNC_STUCK_SECONDS: integer({
    default: 300,
    min: 10,
    max: 604_800,
    unit: 'seconds',
    description: 'a change that has not reached the provider after this long shows `stuck: true` in its `sync` state',
  }),
  PROVIDER_HTTP_TIMEOUT_MS: integer({
    default: 10_000,
    min: 50,
    max: 600_000,
    unit: 'milliseconds',
    description: 'timeout of one call to a Tyk Gateway or Dashboard',
  }),
  PROVIDER_SYNC_INTERVAL_SECONDS: integer({
    default: 600,
    min: 5,
    max: 31_536_000,
    unit: 'seconds',
    description: 'seconds between periodic syncs of each provider (dashboard-first import, drift repair)',
  }),
  PROVIDER_TYK_RELOAD: oneOf(
    ['node', 'group', 'both'],
    'both',
    'how a Tyk Gateway loads written policies: `node` (blocking reload of the node called), `group` (signal to all nodes) or `both`',
  ),
  TYK_ANALYTICS_DATABASE_URL: url({
    ...POSTGRES_URL,
    default: 'the usage subgraph’s database',
    description: 'database Tyk Pump’s `sql` pump writes `tyk_analytics` to',
    secret: true,
  }),
  TYK_ANALYTICS_TABLE: {
    schema: z.preprocess(
      (value) => {
        const v = unsetIfBlank(value);
        return typeof v === 'string' ? v.toLowerCase() : v;
      },
      z
        .string()
        .regex(TABLE_NAME, {
          error: 'must be a table name like tyk_analytics or schema.tyk_analytics',
        })
        .optional()
        .transform((value) => value ?? 'tyk_analytics'),
    ),
    default: '`tyk_analytics`',
    allowed: '`table` or `schema.table`',
    description: 'table the tailer reads',
  } satisfies Variable<string>,
  TYK_ANALYTICS_TABLE_SHARDING: flag({ default: '`false`', description: '`true` for the pump’s per-day tables (`<table>_YYYYMMDD`)' }),
  USAGE_TAIL_INTERVAL_SECONDS: integer({
    default: 10,
    min: 0,
    max: 86_400,
    unit: 'seconds',
    description: 'how often the tailer reads new analytics rows; `0` turns it off',
  }),
  USAGE_TAIL_SETTLE_SECONDS: integer({
    default: 30,
    min: 0,
    max: 3600,
    unit: 'seconds',
    description: 'rows younger than this wait for the next run (the pump writes in batches)',
  }),
  USAGE_TAIL_BATCH_SIZE: integer({ default: 5000, min: 1, max: 100_000, description: 'rows per tailer transaction' }),
  USAGE_INGEST_MAX_RECORDS: integer({ default: 50_000, min: 1, max: 1_000_000, description: 'records per `POST /ingest/tyk` request' }),
  OTEL_SDK_DISABLED: flag({
    default: '`false`',
    description: '`true` keeps tracing off even when an OTLP endpoint is set (docs/OBSERVABILITY.md)',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: url({
    ...HTTP_URL,
    description:
      'OTLP/HTTP collector: setting it turns OpenTelemetry tracing on (off by default); spans go to `<url>/v1/traces` (docs/OBSERVABILITY.md)',
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url({
    ...HTTP_URL,
    description: 'full OTLP/HTTP URL for spans, used as given (over `OTEL_EXPORTER_OTLP_ENDPOINT`); setting it turns tracing on',
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf(
    ['http/protobuf', 'http/json'],
    'http/protobuf',
    'encoding of the OTLP/HTTP export (gRPC is not supported)',
    true,
  ),
  OTEL_EXPORTER_OTLP_HEADERS: {
    schema: z.preprocess(
      unsetIfBlank,
      z
        .string()
        .transform((raw, ctx) => {
          const headers: Record<string, string> = {};
          for (const entry of raw.split(',')) {
            if (!entry.trim()) continue;
            const equals = entry.indexOf('=');
            const name = equals > 0 ? entry.slice(0, equals).trim() : '';
            if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
              ctx.addIssue({ code: 'custom', message: 'must be `name=value` pairs, comma-separated (values URL-encoded)' });
              return z.NEVER;
            }
            try {
              headers[name.toLowerCase()] = decodeURIComponent(entry.slice(equals + 1).trim());
            } catch {
              ctx.addIssue({ code: 'custom', message: 'must be `name=value` pairs, comma-separated (values URL-encoded)' });
              return z.NEVER;
            }
          }
          return headers;
        })
        .optional(),
    ),
    default: '–',
    allowed: '`name=value,…`',
    description: 'headers sent with every span export (a collector’s credentials), values URL-encoded',
    secret: true,
  } satisfies Variable<Record<string, string> | undefined>,
  OTEL_SERVICE_NAME: text({
    default: '`plangraph-<process>` (`plangraph-gateway`, `plangraph-developers`, …)',
    description: 'the `service.name` of the process’s spans; the resource always carries `plangraph.process` too',
    allowed: 'a name',
  }),
  OTEL_TRACES_SAMPLER: oneOf(
    ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio', 'always_on', 'always_off', 'traceidratio'],
    'parentbased_always_on',
    'which traces are recorded; `parentbased_*` follows the caller’s decision (the gateway’s, for the subgraphs)',
    true,
  ),
  OTEL_TRACES_SAMPLER_ARG: {
    schema: z
      .preprocess(
        unsetIfBlank,
        z
          .string()
          .transform(Number)
          .pipe(
            z
              .number({ error: 'must be a number from 0 to 1' })
              .min(0, { error: 'must be a number from 0 to 1' })
              .max(1, { error: 'must be a number from 0 to 1' }),
          )
          .optional(),
      )
      .transform((value) => value ?? 1),
    default: '`1`',
    allowed: '0–1',
    description: 'the ratio of traces `*traceidratio` samplers record',
  } satisfies Variable<number>,
  OTEL_BSP_SCHEDULE_DELAY: integer({
    default: 5000,
    min: 1,
    max: 600_000,
    unit: 'milliseconds',
    description: 'how long finished spans wait to be exported together',
  }),
  TEST_DATABASE_URL: url({
    ...POSTGRES_URL,
    default: 'embedded PostgreSQL',
    description: 'run the tests against this server (a fresh database is created and dropped); read by `test/global-setup.mjs`',
    secret: true,
  }),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each variable has a value type of its own
} satisfies Record<string, Variable<any>>;

export type VariableName = keyof typeof VARIABLES;
export type Values<K extends VariableName> = { [P in K]: z.output<(typeof VARIABLES)[P]['schema']> };
