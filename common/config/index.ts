/**
 * The platform's configuration: every environment variable any process reads, with its type,
 * bounds, default and meaning, declared once here as a zod schema. Each process (the gateway, each
 * subgraph, `npm start`, `npm run token`, `npm run plangraph`) is a set of parts (database, logging, JWT, jobs, …) and is
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
import { z } from 'zod';
import type { KeyRing } from '../crypto';
import {
  catalogClient,
  claims,
  database,
  developers,
  encryption,
  graphqlLimits,
  jobs,
  jwtKeys,
  LISTEN,
  listen,
  logging,
  Part,
  part,
  plans,
  portal,
  Problem,
  provider,
  queryPlanner,
  rateLimitStore,
  responseCache,
  runtime,
  sharedSecret,
  shutdown,
  signatureCheck,
  startAll,
  subgraphUrls,
  telemetry,
  tests,
  tokenLifetime,
  usage,
  webhooks,
} from './parts';
import { Env, Reader, SUBGRAPH_NAMES, SubgraphName, Variable, VARIABLES } from './variables';
export { type Part, type Problem } from './parts';
export {
  DEFAULT_CREDENTIAL_EXPIRY_WARNING_SECONDS,
  DEFAULT_PORTAL_PORT,
  DEFAULT_PORTS,
  SUBGRAPH_NAMES,
  TABLE_NAME,
  VARIABLES,
  type Env,
  type Reader,
  type SubgraphName,
  type Variable,
  type VariableName,
} from './variables';

// ---------------------------------------------------------------------------------------------
// Processes

/** Settings of one subgraph besides where it listens and which database it uses (a caller gives those). */
const SUBGRAPH_SETTINGS = {
  products: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, shutdown, telemetry },
  plans: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, shutdown, plans, telemetry },
  developers: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, shutdown, encryption, developers, webhooks, telemetry },
  usage: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, shutdown, jwtKeys, usage, telemetry },
  provider: { runtime, logging, claims, signatureCheck, sharedSecret, jobs, shutdown, encryption, provider, telemetry },
} as const;

/** The gateway's settings besides where it listens. */
const GATEWAY_SETTINGS = {
  runtime,
  logging,
  jwtKeys,
  tokenLifetime,
  sharedSecret,
  graphqlLimits,
  rateLimitStore,
  responseCache,
  queryPlanner,
  subgraphUrls,
  shutdown,
  telemetry,
} as const;

/** Every process and the parts it reads: the "read by" column of the table. */
export const PROCESSES = {
  gateway: { ...GATEWAY_SETTINGS, listen: LISTEN.gateway },
  ...(Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, { ...SUBGRAPH_SETTINGS[name], listen: LISTEN[name], database }])) as {
    [N in SubgraphName]: (typeof SUBGRAPH_SETTINGS)[N] & { listen: ReturnType<typeof listen>; database: typeof database };
  }),
  'npm start': { startAll, portal, runtime, jwtKeys },
  'npm run token': { runtime, jwtKeys },
  'npm run plangraph': { catalogClient },
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

/** `SHUTDOWN_GRACE_SECONDS`: how long a stopping process lets requests and jobs in flight finish. */
export function shutdownGraceSeconds(env: Env = processEnv()): number {
  return read(shutdown, env).graceSeconds;
}

export function syncStuckSeconds(env: Env = processEnv()): number {
  return read(provider, env).syncStuckSeconds;
}

export function credentialExpiryWarningSeconds(env: Env = processEnv()): number {
  return read(developers, env).credentialExpiryWarningSeconds;
}

/** How many days without use put a credential in the daily access review report. */
export function accessReviewUnusedDays(env: Env = processEnv()): number {
  return read(developers, env).accessReviewUnusedDays;
}

/** The webhook delivery settings (`WEBHOOK_*`): allowed private ranges, timeout, retry schedule. */
export function webhookConfig(env: Env = processEnv()) {
  return read(webhooks, env);
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

export type RateLimitStoreConfig = z.output<(typeof rateLimitStore)['schema']>;

/** Where the gateway counts the rate limit: `redisUrl` (shared by every replica) or, when null, in its own process. */
export function rateLimitStoreConfig(env: Env = processEnv()): RateLimitStoreConfig {
  return read(rateLimitStore, env);
}

export type ResponseCacheConfig = z.output<(typeof responseCache)['schema']>;

/** How the gateway plans and runs federated queries: Hive Router's Rust planner (default) or Hive Gateway's JavaScript one. */
export function queryPlannerConfig(env: Env = processEnv()): z.output<(typeof queryPlanner)['schema']> {
  return read(queryPlanner, env);
}

/** The gateway's response cache: how long an entry lives (0: no cache). */
export function responseCacheConfig(env: Env = processEnv()): ResponseCacheConfig {
  return read(responseCache, env);
}

export type UsageConfig = z.output<(typeof usage)['schema']>;

export function usageConfig(env: Env = processEnv()): UsageConfig {
  return read(usage, env);
}

export type TelemetryConfig = z.output<(typeof telemetry)['schema']>;

/** OpenTelemetry settings (the standard OTEL_* variables); `tracesUrl` null means tracing is off. */
export function telemetryConfig(env: Env = processEnv()): TelemetryConfig {
  return read(telemetry, env);
}
