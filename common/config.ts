/**
 * The platform's configuration: every environment variable any process reads, with its type,
 * bounds, default and meaning, declared once here as a zod schema. Each process (the gateway, each
 * subgraph, `npm start`, `npm run token`) is a set of parts (database, logging, JWT, jobs, …) and is
 * validated as a whole when it starts: every bad variable is named in one `ConfigError`, and the
 * start scripts print that message and exit non-zero, without a stack trace.
 *
 * Nothing else reads environment variables: modules call the typed accessors below with the
 * environment their process was started with (`context.env`, `runtime.env`; tests start processes
 * with environments of their own). An accessor parses its part once per environment object (again
 * only when one of the part's variables has changed since), so asking per request is cheap.
 *
 * The README's table of variables is generated from `VARIABLES` (`npm run config:table`), and
 * `common/config.test.ts` fails when it differs.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import developmentSecrets from './development-secrets.json';
import type { KeyRing } from './crypto';

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

/** An environment: `process.env` of a process, or the settings a test starts a process with. */
export type Env = NodeJS.ProcessEnv;

/**
 * Development values of the secrets, refused in production. They live in a JSON file so that
 * `npm run token` (`scripts/token-cli.cjs`, plain JavaScript that needs no build) signs with the
 * same JWT secret the gateway checks.
 */
const DEV_JWT_SECRET: string = developmentSecrets.JWT_SECRET;
const DEV_GATEWAY_SECRET: string = developmentSecrets.GATEWAY_SHARED_SECRET;
const DEV_KEY_SOURCE = 'plangraph-development-encryption-key-not-for-production';

// ---------------------------------------------------------------------------------------------
// Variables

/** Who reads a variable, as the README's table names them. */
export type Reader = 'gateway' | SubgraphName | 'npm start' | 'npm run token' | 'npm test';

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

const PORTS = Object.fromEntries(
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

const SUBGRAPH_URLS = Object.fromEntries(
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
    description: 'claim that lists platform roles (`portal_admin`, `service`)',
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
      'HMAC key the gateway signs each upstream request with (document, variables, operation name, claims, request id, time); subgraphs refuse altered, forged or stale signatures, and in production unsigned requests too (in development an unsigned caller is anonymous); required in production',
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
    description: 'how long before `expiresAt` the CREDENTIAL_EXPIRING event is published',
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
  TEST_DATABASE_URL: url({
    ...POSTGRES_URL,
    default: 'embedded PostgreSQL',
    description: 'run the tests against this server (a fresh database is created and dropped); read by `test/global-setup.mjs`',
    secret: true,
  }),
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each variable has a value type of its own
} satisfies Record<string, Variable<any>>;

export type VariableName = keyof typeof VARIABLES;
type Values<K extends VariableName> = { [P in K]: z.output<(typeof VARIABLES)[P]['schema']> };

// ---------------------------------------------------------------------------------------------
// Parts: variables read together, and the typed value they make

export interface Problem {
  variable: string;
  /** The value as the message shows it: `="…"`, ` (value hidden)` for a secret, or empty when unset. */
  shown: string;
  /** What the value must be. */
  message: string;
}

interface Checks {
  /** Records a problem of a variable (a rule between variables, such as "required in production"). */
  fail(variable: VariableName, message: string): void;
}

export interface Part<T> {
  name: string;
  variables: readonly VariableName[];
  schema: z.ZodType<T>;
}

function part<const K extends VariableName, T>(
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

const runtime = part('runtime', ['NODE_ENV'], (v) => ({ production: v.NODE_ENV === 'production' }));

const logging = part('logging', ['LOG_LEVEL'], (v) => ({ level: v.LOG_LEVEL }));

/** Interface and port of one process: `<NAME>_PORT` over `PORT` over the default. */
function listen(name: SubgraphName | 'gateway') {
  const specific = `${name.toUpperCase()}_PORT` as keyof typeof PORTS;
  return part(`listen:${name}`, ['HOST', 'PORT', specific], (v) => ({
    host: v.HOST ?? '127.0.0.1',
    port: (v[specific] as number | undefined) ?? v.PORT ?? DEFAULT_PORTS[name],
  }));
}
const LISTEN = Object.fromEntries((['gateway', ...SUBGRAPH_NAMES] as const).map((name) => [name, listen(name)])) as Record<
  SubgraphName | 'gateway',
  ReturnType<typeof listen>
>;

const database = part('database', ['DATABASE_URL'], (v, checks) => {
  if (!v.DATABASE_URL) checks.fail('DATABASE_URL', 'must be set (npm start sets it for the embedded PostgreSQL)');
  return { url: v.DATABASE_URL ?? '' };
});

/** `npm start`: an embedded PostgreSQL unless DATABASE_URL is set, and the ports of every process. */
const startAll = part(
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

/** How tokens are verified: the gateway, the usage subgraph's service tokens, `npm run token`. */
const jwtKeys = part('jwt', ['NODE_ENV', 'JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'], (v, checks) => {
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

const tokenLifetime = part('token lifetime', ['JWT_MAX_AGE'], (v) => ({ maxAgeSeconds: v.JWT_MAX_AGE }));

/** What subgraphs take from the verified claims. */
const claims = part('claims', ['JWT_ROLES_CLAIM', 'JWT_MFA_CLAIM'], (v) => ({
  rolesClaim: v.JWT_ROLES_CLAIM ?? 'roles',
  mfaClaim: v.JWT_MFA_CLAIM ?? null,
}));

const sharedSecret = part('gateway signature', ['NODE_ENV', 'GATEWAY_SHARED_SECRET'], (v, checks) => ({
  secret: productionSecret(checks, 'GATEWAY_SHARED_SECRET', v.GATEWAY_SHARED_SECRET, v.NODE_ENV === 'production', DEV_GATEWAY_SECRET),
}));

const signatureCheck = part('signature check', ['NODE_ENV', 'GATEWAY_SIGNATURE_MAX_AGE_SECONDS'], (v) => ({
  maxAgeSeconds: v.GATEWAY_SIGNATURE_MAX_AGE_SECONDS,
  /**
   * Whether GraphQL requests without a gateway signature — `_service` and `_entities` included —
   * are refused (wrong or stale signatures are refused always): in production. In development a
   * subgraph serves unsigned callers as anonymous (tools, GraphiQL-like clients).
   */
  required: v.NODE_ENV === 'production',
}));

const encryption = part('encryption', ['NODE_ENV', 'ENCRYPTION_KEYS'], (v, checks): KeyRing => {
  if (v.ENCRYPTION_KEYS) return v.ENCRYPTION_KEYS;
  if (v.NODE_ENV === 'production') checks.fail('ENCRYPTION_KEYS', 'must be set when NODE_ENV=production');
  const key = createHash('sha256').update(DEV_KEY_SOURCE).digest();
  return { current: { id: 'dev', key }, all: new Map([['dev', key]]) };
});

const graphqlLimits = part(
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

const subgraphUrls = part(
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

const jobs = part('jobs', ['JOB_CONCURRENCY', 'JOB_LOCK_TIMEOUT_SECONDS'], (v) => ({
  concurrency: v.JOB_CONCURRENCY,
  lockTimeoutSeconds: v.JOB_LOCK_TIMEOUT_SECONDS,
}));

const plans = part('plans', ['PLAN_CHANGE_APPROVAL'], (v) => ({ planChangeApproval: v.PLAN_CHANGE_APPROVAL }));

const developers = part('developers', ['CREDENTIAL_EXPIRY_WARNING_SECONDS'], (v) => ({
  credentialExpiryWarningSeconds: v.CREDENTIAL_EXPIRY_WARNING_SECONDS,
}));

const provider = part(
  'provider',
  ['SYNC_STUCK_SECONDS', 'PROVIDER_HTTP_TIMEOUT_MS', 'PROVIDER_SYNC_INTERVAL_SECONDS', 'PROVIDER_TYK_RELOAD'],
  (v) => ({
    syncStuckSeconds: v.SYNC_STUCK_SECONDS,
    httpTimeoutMs: v.PROVIDER_HTTP_TIMEOUT_MS,
    syncIntervalSeconds: v.PROVIDER_SYNC_INTERVAL_SECONDS,
    tykReload: v.PROVIDER_TYK_RELOAD,
  }),
);

const usage = part(
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

/** Documented here so the table lists it; the test runner (`test/global-setup.mjs`) reads it. */
const tests = part('tests', ['TEST_DATABASE_URL'], (v) => ({ databaseUrl: v.TEST_DATABASE_URL ?? null }));

// ---------------------------------------------------------------------------------------------
// Processes

/** Settings of one subgraph besides where it listens and which database it uses (a caller gives those). */
const SUBGRAPH_SETTINGS = {
  products: { runtime, logging, claims, signatureCheck, sharedSecret, jobs },
  plans: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, plans },
  developers: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, encryption, developers },
  usage: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, jwtKeys, usage },
  provider: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, encryption, provider },
} as const;

/** The gateway's settings besides where it listens. */
const GATEWAY_SETTINGS = { runtime, logging, jwtKeys, tokenLifetime, sharedSecret, graphqlLimits, subgraphUrls } as const;

/** Every process and the parts it reads: the "read by" column of the table. */
export const PROCESSES = {
  gateway: { ...GATEWAY_SETTINGS, listen: LISTEN.gateway },
  ...(Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, { ...SUBGRAPH_SETTINGS[name], listen: LISTEN[name], database }])) as {
    [N in SubgraphName]: (typeof SUBGRAPH_SETTINGS)[N] & { listen: ReturnType<typeof listen>; database: typeof database };
  }),
  'npm start': { startAll },
  'npm run token': { runtime, jwtKeys },
  'npm test': { tests },
} satisfies Record<Reader, Record<string, Part<unknown>>>;

export type ProcessName = keyof typeof PROCESSES;
type Parts = Record<string, Part<unknown>>;
export type ConfigOf<P extends Parts> = { [K in keyof P]: P[K] extends Part<infer T> ? T : never };
export type SubgraphConfig<N extends SubgraphName = SubgraphName> = ConfigOf<(typeof SUBGRAPH_SETTINGS)[N]>;
export type GatewayConfig = ConfigOf<typeof GATEWAY_SETTINGS>;

/** Bad configuration: names every bad variable and what it must be. Start scripts print it and exit non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly process: string,
    readonly problems: Problem[],
  ) {
    super(
      `${process}: invalid configuration (${problems.length} ${problems.length === 1 ? 'variable' : 'variables'}):\n` +
        problems.map((p) => `  ${p.variable}${p.shown}: ${p.message}`).join('\n'),
    );
  }
}

function describeValue(variable: string, env: Env): string {
  const raw = env[variable];
  if (raw === undefined) return '';
  const secret = (VARIABLES as Record<string, Variable>)[variable]?.secret;
  return secret ? ' (value hidden)' : `=${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)}`;
}

function problemsOf(error: z.ZodError, env: Env): Problem[] {
  return error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '?');
    return { variable, shown: describeValue(variable, env), message: issue.message };
  });
}

const cache = new WeakMap<object, Map<Part<unknown>, { fingerprint: string; value: unknown }>>();

function fingerprint(part: Part<unknown>, env: Env): string {
  return part.variables.map((v) => env[v] ?? '\u0000').join('\u0001');
}

function parsePart<T>(part: Part<T>, env: Env): { ok: true; value: T } | { ok: false; problems: Problem[] } {
  let parts = cache.get(env);
  if (!parts) cache.set(env, (parts = new Map()));
  const print = fingerprint(part, env);
  const cached = parts.get(part);
  if (cached && cached.fingerprint === print) return { ok: true, value: cached.value as T };
  const result = part.schema.safeParse(env);
  if (!result.success) return { ok: false, problems: problemsOf(result.error, env) };
  parts.set(part, { fingerprint: print, value: result.data });
  return { ok: true, value: result.data };
}

/**
 * Parses every part of a process and returns its typed configuration, or throws one
 * `ConfigError` naming every bad variable (each once, whatever number of parts read it).
 */
export function parseConfig<P extends Parts>(process: string, parts: P, env: Env): ConfigOf<P> {
  const problems = new Map<string, Problem>();
  const config: Record<string, unknown> = {};
  for (const [key, part] of Object.entries(parts)) {
    const result = parsePart(part, env);
    if (result.ok) config[key] = result.value;
    else for (const problem of result.problems) problems.set(`${problem.variable}: ${problem.message}`, problem);
  }
  if (problems.size)
    throw new ConfigError(
      process,
      [...problems.values()].sort((a, b) => a.variable.localeCompare(b.variable)),
    );
  return config as ConfigOf<P>;
}

/**
 * Runs several validations (one per process `npm start` starts, say) and throws one `ConfigError`
 * naming every problem of all of them.
 */
export function checkAll(process: string, checks: Array<() => unknown>): void {
  const problems = new Map<string, Problem>();
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.set(`${problem.variable}: ${problem.message}`, problem);
    }
  }
  if (problems.size)
    throw new ConfigError(
      process,
      [...problems.values()].sort((a, b) => a.variable.localeCompare(b.variable)),
    );
}

/** The environment of this process: the default of every accessor, and the one place `process.env` is read. */
export function processEnv(): Env {
  return process.env;
}

/** A subgraph's settings, validated as a whole (`startSubgraph` calls it before anything else). */
export function subgraphConfig<N extends SubgraphName>(name: N, env: Env = processEnv()): SubgraphConfig<N> {
  return parseConfig(name, SUBGRAPH_SETTINGS[name], env) as SubgraphConfig<N>;
}

/** The gateway's settings, validated as a whole (`startGateway` calls it before anything else). */
export function gatewayConfig(env: Env = processEnv()): GatewayConfig {
  return parseConfig('gateway', GATEWAY_SETTINGS, env);
}

/** A whole process's configuration, where it listens and its database included (the start scripts). */
export function processConfig<P extends ProcessName>(name: P, env: Env = processEnv()): ConfigOf<(typeof PROCESSES)[P]> {
  return parseConfig(name, PROCESSES[name], env) as ConfigOf<(typeof PROCESSES)[P]>;
}

/** One part of a configuration, for the typed accessors below. Throws `ConfigError` when it is invalid. */
function read<T>(part: Part<T>, env: Env = processEnv()): T {
  return parseConfig(part.name, { part }, env).part;
}

// ---------------------------------------------------------------------------------------------
// Typed accessors, for modules given an environment (`context.env`, `runtime.env`)

export function isProduction(env: Env = processEnv()): boolean {
  return read(runtime, env).production;
}

export function logLevel(env: Env = processEnv()): string {
  return read(logging, env).level;
}

export interface JwtConfig {
  /** HS256 shared secret (development, or production without JWKS). */
  secret?: string;
  /** JWKS endpoint for RS256/ES256 tokens (production). Takes precedence over `secret`. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Claim that lists platform roles, e.g. `roles: ["portal_admin"]`. */
  rolesClaim: string;
  /** Extra claim that asserts MFA when true (besides `amr` containing `mfa`). */
  mfaClaim: string | null;
  /**
   * `JWT_MAX_AGE` (gateway): longest lifetime, in seconds, of a token the gateway accepts. Tokens
   * without `exp`, or whose `exp` lies further than this from their `iat` (or from now, when
   * `iat` is missing or in the future), are refused.
   */
  maxAgeSeconds: number;
}

export function jwtConfig(env: Env = processEnv()): JwtConfig {
  const { jwt, lifetime, claim } = parseConfig('jwt', { jwt: jwtKeys, lifetime: tokenLifetime, claim: claims }, env);
  return { ...jwt, ...claim, maxAgeSeconds: lifetime.maxAgeSeconds };
}

/** What subgraphs read from the verified claims: the roles claim and the MFA claim. */
export function claimsConfig(env: Env = processEnv()): { rolesClaim: string; mfaClaim: string | null } {
  return read(claims, env);
}

/** Secret the gateway signs forwarded claims with; subgraphs trust no claims without it. */
export function gatewaySharedSecret(env: Env = processEnv()): string {
  return read(sharedSecret, env).secret;
}

/** How long after the gateway signed a request a subgraph still accepts it, so a captured request cannot be replayed later. */
export function gatewaySignatureMaxAgeSeconds(env: Env = processEnv()): number {
  return read(signatureCheck, env).maxAgeSeconds;
}

/** Whether subgraphs refuse GraphQL requests that carry no gateway signature: in production. */
export function gatewaySignatureRequired(env: Env = processEnv()): boolean {
  return read(signatureCheck, env).required;
}

export function databaseUrl(env: Env = processEnv()): string {
  return read(database, env).url;
}

const host = part('host', ['HOST'], (v) => ({ host: v.HOST ?? '127.0.0.1' }));

export function listenHost(env: Env = processEnv()): string {
  return read(host, env).host;
}

export function portFor(name: SubgraphName | 'gateway', env: Env = processEnv()): number {
  return read(LISTEN[name], env).port;
}

/** URL of a subgraph as the gateway reaches it (`SUBGRAPH_PRODUCTS_URL`, ...). */
export function subgraphUrl(name: SubgraphName, env: Env = processEnv()): string {
  return read(subgraphUrls, env)[name];
}

export function jobLockTimeoutSeconds(env: Env = processEnv()): number {
  return read(jobs, env).lockTimeoutSeconds;
}

export function jobConcurrency(env: Env = processEnv()): number {
  return read(jobs, env).concurrency;
}

export function syncStuckSeconds(env: Env = processEnv()): number {
  return read(provider, env).syncStuckSeconds;
}

export function credentialExpiryWarningSeconds(env: Env = processEnv()): number {
  return read(developers, env).credentialExpiryWarningSeconds;
}

export function providerHttpTimeoutMs(env: Env = processEnv()): number {
  return read(provider, env).httpTimeoutMs;
}

export function providerSyncIntervalSeconds(env: Env = processEnv()): number {
  return read(provider, env).syncIntervalSeconds;
}

export type TykReloadMode = 'node' | 'group' | 'both';

export function providerTykReload(env: Env = processEnv()): TykReloadMode {
  return read(provider, env).tykReload;
}

export type PlanChangeApproval = 'off' | 'required';

export function planChangeApproval(env: Env = processEnv()): PlanChangeApproval {
  return read(plans, env).planChangeApproval;
}

/** AES-256-GCM keys for secrets at rest (`ENCRYPTION_KEYS`; a development key outside production). */
export function encryptionKeyRing(env: Env = processEnv()): KeyRing {
  return read(encryption, env);
}

export type GraphqlLimits = z.output<(typeof graphqlLimits)['schema']>;

export function graphqlLimitsConfig(env: Env = processEnv()): GraphqlLimits {
  return read(graphqlLimits, env);
}

export type UsageConfig = z.output<(typeof usage)['schema']>;

export function usageConfig(env: Env = processEnv()): UsageConfig {
  return read(usage, env);
}
