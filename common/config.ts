/**
 * Configuration from the environment. Every setting has one name, read here only, so the
 * README's table and the code cannot drift apart.
 */
import developmentSecrets from './development-secrets.json';

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

/**
 * Development values of the secrets, refused in production. They live in a JSON file so that
 * `npm run token` (`scripts/token-cli.cjs`, plain JavaScript that needs no build) signs with the
 * same JWT secret the gateway checks.
 */
const DEV_JWT_SECRET: string = developmentSecrets.JWT_SECRET;
const DEV_GATEWAY_SECRET: string = developmentSecrets.GATEWAY_SHARED_SECRET;

export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === 'production';
}

function required(env: NodeJS.ProcessEnv, name: string, devDefault: string): string {
  const value = env[name];
  if (value && isProduction(env) && value === devDefault) {
    throw new Error(`${name} is the public development value: set a secret of your own when NODE_ENV=production`);
  }
  if (value) return value;
  if (isProduction(env)) throw new Error(`${name} must be set when NODE_ENV=production`);
  return devDefault;
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
   * `JWT_MAX_AGE` (gateway): longest lifetime, in seconds, of a token the gateway accepts
   * (default 86400 = 24 h). Tokens without `exp`, or whose `exp` lies further than this from their
   * `iat` (or from now, when `iat` is missing or in the future), are refused.
   */
  maxAgeSeconds: number;
}

export function jwtConfig(env: NodeJS.ProcessEnv = process.env): JwtConfig {
  const jwksUrl = env.JWT_JWKS_URL || undefined;
  return {
    jwksUrl,
    secret: jwksUrl ? env.JWT_SECRET || undefined : required(env, 'JWT_SECRET', DEV_JWT_SECRET),
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
    rolesClaim: env.JWT_ROLES_CLAIM || 'roles',
    mfaClaim: env.JWT_MFA_CLAIM || null,
    maxAgeSeconds: integerSetting(env, 'JWT_MAX_AGE', 86_400, 1, 31_536_000, ' of seconds'),
  };
}

/** Secret the gateway signs forwarded claims with; subgraphs trust no claims without it. */
export function gatewaySharedSecret(env: NodeJS.ProcessEnv = process.env): string {
  return required(env, 'GATEWAY_SHARED_SECRET', DEV_GATEWAY_SECRET);
}

/**
 * `GATEWAY_SIGNATURE_MAX_AGE_SECONDS` (subgraphs): how long after the gateway signed a request a
 * subgraph still accepts it (1–3600; default 60). Older signatures are refused, so a captured
 * request cannot be replayed later.
 */
export function gatewaySignatureMaxAgeSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(env, 'GATEWAY_SIGNATURE_MAX_AGE_SECONDS', 60, 1, 3600, ' of seconds');
}

/**
 * Whether subgraphs refuse GraphQL requests that carry no gateway signature — `_service` and
 * `_entities` included (they refuse wrong or stale signatures always): in production. In
 * development a subgraph serves unsigned callers as anonymous (tools, GraphiQL-like clients).
 */
export function gatewaySignatureRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return isProduction(env);
}

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (npm start sets it for the embedded PostgreSQL)');
  return url;
}

export function listenHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOST || '127.0.0.1';
}

export function portFor(name: SubgraphName | 'gateway', env: NodeJS.ProcessEnv = process.env): number {
  const specific = env[`${name.toUpperCase()}_PORT`];
  const generic = env.PORT;
  const raw = specific || generic;
  if (!raw) return DEFAULT_PORTS[name];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${raw} for ${name}`);
  return port;
}

/** URL of a subgraph as the gateway reaches it (`SUBGRAPH_PRODUCTS_URL`, ...). */
export function subgraphUrl(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): string {
  return env[`SUBGRAPH_${name.toUpperCase()}_URL`] || `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`;
}

// ---------------------------------------------------------------------------------------------
// Settings of the subgraphs. Each reads the environment it is given (`context.env` in resolvers,
// `runtime.env` in jobs), never `process.env` directly, so tests can start a subgraph with its own.

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, unit = ''): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number${unit} between ${min} and ${max}, not ${raw}`);
  }
  return value;
}

/**
 * `JOB_LOCK_TIMEOUT_SECONDS` (every subgraph with jobs): a job held by a worker that has sent no
 * heartbeat for this long (its process was killed or cut off) runs again elsewhere (1–3600;
 * default 30). Live workers beat every fifth of it, so a long job of a live worker is never taken.
 */
export function jobLockTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(env, 'JOB_LOCK_TIMEOUT_SECONDS', 30, 1, 3600, ' of seconds');
}

/**
 * `JOB_CONCURRENCY` (every subgraph with jobs): jobs one process runs at once (0–64; default 4).
 * 0 runs none in this process: an API-only replica, with the jobs run by other replicas.
 */
export function jobConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(env, 'JOB_CONCURRENCY', 4, 0, 64);
}

/**
 * `SYNC_STUCK_SECONDS` (provider): a change that has not reached the provider this long after it
 * was made is flagged `stuck` in its `sync` state (10–604800; default 300).
 */
export function syncStuckSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(env, 'SYNC_STUCK_SECONDS', 300, 10, 604_800, ' of seconds');
}

/** Default lead time of CREDENTIAL_EXPIRING events: 7 days before `expiresAt`. */
export const DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS = 604_800;

/**
 * `CREDENTIAL_EXPIRY_WARNING_SECONDS` (developers): how long before a credential's `expiresAt`
 * the CREDENTIAL_EXPIRING event is published (≥ 0; default 604800 = 7 days).
 */
export function credentialExpiryWarningSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(
    env,
    'CREDENTIAL_EXPIRY_WARNING_SECONDS',
    DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS,
    0,
    Number.MAX_SAFE_INTEGER,
    ' of seconds',
  );
}

/** `PROVIDER_HTTP_TIMEOUT_MS` (provider): timeout of one HTTP call to Tyk (50–600000; default 10000). */
export function providerHttpTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(env, 'PROVIDER_HTTP_TIMEOUT_MS', 10_000, 50, 600_000, ' of milliseconds');
}

/** `PROVIDER_SYNC_INTERVAL_SECONDS` (provider): seconds between periodic syncs of each provider (5–31536000; default 600). */
export function providerSyncIntervalSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return integerSetting(env, 'PROVIDER_SYNC_INTERVAL_SECONDS', 600, 5, 31_536_000, ' of seconds');
}

export type TykReloadMode = 'node' | 'group' | 'both';

/**
 * `PROVIDER_TYK_RELOAD` (provider): how a Tyk Gateway is told to load written policies: `node`
 * (blocking reload of the node called), `group` (signal to every node) or `both` (default).
 */
export function providerTykReload(env: NodeJS.ProcessEnv = process.env): TykReloadMode {
  const value = env.PROVIDER_TYK_RELOAD || 'both';
  if (value !== 'node' && value !== 'group' && value !== 'both')
    throw new Error(`PROVIDER_TYK_RELOAD must be node, group or both, not ${value}`);
  return value;
}

export type PlanChangeApproval = 'off' | 'required';

/**
 * `PLAN_CHANGE_APPROVAL` (plans): `off` (default) applies plan changes at once; `required` makes
 * changes of limits, JWT scopes and visibility two-step (proposed by one portal admin, approved
 * by another).
 */
export function planChangeApproval(env: NodeJS.ProcessEnv = process.env): PlanChangeApproval {
  const value = (env.PLAN_CHANGE_APPROVAL || 'off').trim().toLowerCase();
  if (value !== 'off' && value !== 'required')
    throw new Error(`PLAN_CHANGE_APPROVAL must be off or required, not ${env.PLAN_CHANGE_APPROVAL}`);
  return value;
}
