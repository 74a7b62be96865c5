/**
 * Configuration from the environment. Every setting has one name, read here only, so the
 * README's table and the code cannot drift apart.
 */
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

const DEV_JWT_SECRET = 'plangraph-development-jwt-secret-not-for-production';
const DEV_GATEWAY_SECRET = 'plangraph-development-gateway-secret-not-for-production';

export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV === 'production';
}

function required(env: NodeJS.ProcessEnv, name: string, devDefault: string): string {
  const value = env[name];
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
  };
}

/** Secret the gateway signs forwarded claims with; subgraphs trust no claims without it. */
export function gatewaySharedSecret(env: NodeJS.ProcessEnv = process.env): string {
  return required(env, 'GATEWAY_SHARED_SECRET', DEV_GATEWAY_SECRET);
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
