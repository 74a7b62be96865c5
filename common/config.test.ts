import fs from 'node:fs';
import path from 'node:path';
import developmentSecrets from './development-secrets.json';
import {
  ConfigError,
  DEFAULT_PORTS,
  gatewayConfig,
  jobConcurrency,
  jwtConfig,
  PROCESSES,
  processConfig,
  SUBGRAPH_NAMES,
  subgraphConfig,
  usageConfig,
  VARIABLES,
  type VariableName,
} from './config';
import { README_FILE, readersOf, withConfigTable } from '../scripts/config-table';
import { projectRoot } from '../scripts/paths';

/** The ConfigError a parse throws (fails the test when it throws nothing or something else). */
function configError(parse: () => unknown): ConfigError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

const KEY = (byte: number) => Buffer.alloc(32, byte).toString('base64');

describe('configuration (common/config)', () => {
  it('gives every process its defaults from an empty environment', () => {
    expect(gatewayConfig({}).graphqlLimits).toEqual({
      maxDepth: 12,
      maxAliases: 15,
      maxTokens: 3000,
      maxDirectives: 20,
      batchLimit: 0,
      maxBodyBytes: 100_000,
      requestTimeoutMs: 30_000,
      upstreamTimeoutMs: 15_000,
      introspection: true,
      fieldSuggestions: true,
      trustedDocumentsFile: null,
      rateLimit: { requests: 600, windowSeconds: 60 },
      maxSubscriptionsPerConnection: 50,
      maxSubscriptionsPerCaller: 200,
    });
    expect(processConfig('npm start', {}).startAll).toEqual({
      databaseUrl: null,
      dataDir: null,
      embeddedPort: 54329,
      host: '127.0.0.1',
      ports: DEFAULT_PORTS,
    });
    for (const name of SUBGRAPH_NAMES) {
      const config = processConfig(name, { DATABASE_URL: 'postgres://localhost/plangraph' });
      expect(config.listen).toEqual({ host: '127.0.0.1', port: DEFAULT_PORTS[name] });
      expect(config.jobs).toEqual({ concurrency: 4, lockTimeoutSeconds: 30 });
      expect(config.signatureCheck).toEqual({ maxAgeSeconds: 60, required: false });
    }
    expect(subgraphConfig('provider', {}).provider).toEqual({
      syncStuckSeconds: 300,
      httpTimeoutMs: 10_000,
      syncIntervalSeconds: 600,
      tykReload: 'both',
    });
    expect(subgraphConfig('usage', {}).usage).toEqual({
      analyticsDatabaseUrl: null,
      analyticsTable: 'tyk_analytics',
      tableSharding: false,
      tailIntervalSeconds: 10,
      tailSettleSeconds: 30,
      tailBatchSize: 5000,
      ingestMaxRecords: 50_000,
    });
    expect(subgraphConfig('plans', {}).plans.planChangeApproval).toBe('off');
    expect(jwtConfig({})).toEqual({
      secret: developmentSecrets.JWT_SECRET,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      rolesClaim: 'roles',
      mfaClaim: null,
      maxAgeSeconds: 86_400,
    });
  });

  it('reads set values with their types: a process port over PORT, blank as unset, words for flags', () => {
    const env = {
      PORT: '5000',
      GATEWAY_PORT: '5100',
      GRAPHQL_INTROSPECTION: 'off',
      GRAPHQL_FIELD_SUGGESTIONS: 'YES',
      PLATFORM_RATE_LIMIT: '0/60',
      GRAPHQL_MAX_DEPTH: '',
      SUBGRAPH_PLANS_URL: 'http://plans:4002/graphql',
    };
    const config = processConfig('gateway', env);
    expect(config.listen.port).toBe(5100);
    expect(processConfig('products', { ...env, DATABASE_URL: 'postgresql://u@db/p' }).listen.port).toBe(5000);
    expect(config.graphqlLimits).toMatchObject({
      introspection: false,
      fieldSuggestions: true,
      maxDepth: 12,
      rateLimit: { requests: 0, windowSeconds: 60 },
    });
    expect(config.subgraphUrls.plans).toBe('http://plans:4002/graphql');
    expect(config.subgraphUrls.products).toBe('http://127.0.0.1:4001/graphql');
    // Without REDIS_URL each gateway process counts its own; with it, every replica counts in Redis.
    expect(config.rateLimitStore).toEqual({ redisUrl: null, keyPrefix: 'plangraph:' });
    expect(gatewayConfig({ REDIS_URL: 'rediss://:pw@cache:6380/1', REDIS_KEY_PREFIX: 'portal-eu:' }).rateLimitStore).toEqual({
      redisUrl: 'rediss://:pw@cache:6380/1',
      keyPrefix: 'portal-eu:',
    });
    // Production turns introspection and suggestions off unless they are asked for.
    const production = { NODE_ENV: 'production', JWT_SECRET: 'own-jwt-secret', GATEWAY_SHARED_SECRET: 'own-gateway-secret' };
    expect(gatewayConfig(production).graphqlLimits).toMatchObject({ introspection: false, fieldSuggestions: false });
    expect(gatewayConfig({ ...production, GRAPHQL_INTROSPECTION: 'true' }).graphqlLimits.introspection).toBe(true);
    expect(subgraphConfig('plans', { PLAN_CHANGE_APPROVAL: ' Required ' }).plans.planChangeApproval).toBe('required');
    expect(usageConfig({ TYK_ANALYTICS_TABLE: 'Pump.TYK_Analytics', TYK_ANALYTICS_TABLE_SHARDING: '1' })).toMatchObject({
      analyticsTable: 'pump.tyk_analytics',
      tableSharding: true,
    });
  });

  it('names every bad variable of a process in one error, with what it must be', () => {
    const error = configError(() =>
      processConfig('gateway', {
        GRAPHQL_MAX_DEPTH: 'deep',
        JWT_MAX_AGE: '0',
        PLATFORM_RATE_LIMIT: 'lots',
        GRAPHQL_INTROSPECTION: 'maybe',
        GATEWAY_PORT: '70000',
        SUBGRAPH_PLANS_URL: 'plans:4002',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(error.problems.map((p) => p.variable)).toEqual([
      'GATEWAY_PORT',
      'GRAPHQL_INTROSPECTION',
      'GRAPHQL_MAX_DEPTH',
      'JWT_MAX_AGE',
      'LOG_LEVEL',
      'PLATFORM_RATE_LIMIT',
      'SUBGRAPH_PLANS_URL',
    ]);
    expect(error.message.split('\n')).toEqual([
      'gateway: invalid configuration (7 variables):',
      '  GATEWAY_PORT="70000": must be a whole number from 0 to 65535',
      '  GRAPHQL_INTROSPECTION="maybe": must be true or false (also 1/0, yes/no, on/off)',
      '  GRAPHQL_MAX_DEPTH="deep": must be a whole number ≥ 1',
      '  JWT_MAX_AGE="0": must be a whole number of seconds from 1 to 31536000',
      '  LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent',
      '  PLATFORM_RATE_LIMIT="lots": must look like `<requests>/<seconds>`, e.g. 600/60 (0/60 turns it off)',
      '  SUBGRAPH_PLANS_URL="plans:4002": must be a URL (`http(s)://…`)',
    ]);
  });

  it('checks each subgraph’s own settings, and a subgraph started on its own needs DATABASE_URL', () => {
    const bad = {
      JOB_CONCURRENCY: '65',
      PLAN_CHANGE_APPROVAL: 'sometimes',
      SYNC_STUCK_SECONDS: '5',
      PROVIDER_TYK_RELOAD: 'all',
      TYK_ANALYTICS_TABLE: 'drop table;',
      USAGE_TAIL_BATCH_SIZE: '1.5',
      CREDENTIAL_EXPIRY_WARNING_SECONDS: '-1',
    };
    const variables = (name: (typeof SUBGRAPH_NAMES)[number]) =>
      configError(() => processConfig(name, bad)).problems.map((p) => p.variable);
    expect(variables('products')).toEqual(['DATABASE_URL', 'JOB_CONCURRENCY']);
    expect(variables('plans')).toEqual(['DATABASE_URL', 'JOB_CONCURRENCY', 'PLAN_CHANGE_APPROVAL']);
    expect(variables('developers')).toEqual(['CREDENTIAL_EXPIRY_WARNING_SECONDS', 'DATABASE_URL', 'JOB_CONCURRENCY']);
    expect(variables('usage')).toEqual(['DATABASE_URL', 'JOB_CONCURRENCY', 'TYK_ANALYTICS_TABLE', 'USAGE_TAIL_BATCH_SIZE']);
    expect(variables('provider')).toEqual(['DATABASE_URL', 'JOB_CONCURRENCY', 'PROVIDER_TYK_RELOAD', 'SYNC_STUCK_SECONDS']);
    // `startSubgraph` is given its database and port: it checks the rest.
    expect(configError(() => subgraphConfig('products', bad)).problems.map((p) => p.variable)).toEqual(['JOB_CONCURRENCY']);
  });

  it('refuses missing and public development secrets in production, and never prints a secret', () => {
    const secrets = { password: 's3cr3t-pw', key: 'k1:too-short' };
    const error = configError(() =>
      processConfig('developers', {
        NODE_ENV: 'production',
        GATEWAY_SHARED_SECRET: developmentSecrets.GATEWAY_SHARED_SECRET,
        DATABASE_URL: `postgres://plangraph:${secrets.password}@db/plangraph`,
        ENCRYPTION_KEYS: secrets.key,
      }),
    );
    expect(error.message.split('\n').slice(1)).toEqual([
      '  ENCRYPTION_KEYS (value hidden): must be `id:<32 bytes in base64>` entries, comma-separated',
      '  GATEWAY_SHARED_SECRET (value hidden): is the public development value: set a secret of your own when NODE_ENV=production',
    ]);
    for (const value of [...Object.values(secrets), ...Object.values(developmentSecrets)]) expect(error.message).not.toContain(value);

    expect(
      configError(() => gatewayConfig({ NODE_ENV: 'production' }))
        .message.split('\n')
        .slice(1),
    ).toEqual([
      '  GATEWAY_SHARED_SECRET: must be set when NODE_ENV=production',
      '  JWT_SECRET: must be set when NODE_ENV=production (or set JWT_JWKS_URL)',
    ]);
    expect(configError(() => subgraphConfig('provider', { NODE_ENV: 'production', GATEWAY_SHARED_SECRET: 'own' })).problems).toEqual([
      { variable: 'ENCRYPTION_KEYS', shown: '', message: 'must be set when NODE_ENV=production' },
    ]);
    // With a JWKS endpoint no JWT secret is needed; keys that parse make a key ring, the first one current.
    const production = {
      NODE_ENV: 'production',
      GATEWAY_SHARED_SECRET: 'own',
      JWT_JWKS_URL: 'https://id.example.com/jwks.json',
      ENCRYPTION_KEYS: `new:${KEY(2)}, old:${KEY(1)}`,
    };
    expect(gatewayConfig(production).jwtKeys).toMatchObject({ secret: undefined, jwksUrl: 'https://id.example.com/jwks.json' });
    const ring = subgraphConfig('developers', production).encryption;
    expect(ring.current.id).toBe('new');
    expect([...ring.all.keys()]).toEqual(['new', 'old']);

    // A Redis URL may hold a password: a bad one is named, never shown.
    const redis = configError(() => gatewayConfig({ REDIS_URL: 'http://:hunter2@cache:6379', REDIS_KEY_PREFIX: 'with space' }));
    expect(redis.message.split('\n').slice(1)).toEqual([
      '  REDIS_KEY_PREFIX="with space": must be 1 to 100 printable ASCII characters without spaces, e.g. `plangraph:`',
      '  REDIS_URL (value hidden): must be a URL (`redis://…` or `rediss://…` (TLS))',
    ]);
    expect(redis.message).not.toContain('hunter2');
  });

  it('accessors parse an environment once, and again when one of its variables changed', () => {
    const env: NodeJS.ProcessEnv = { JOB_CONCURRENCY: '2' };
    expect(jobConcurrency(env)).toBe(2);
    expect(jobConcurrency(env)).toBe(2);
    env.JOB_CONCURRENCY = '0';
    expect(jobConcurrency(env)).toBe(0);
    env.JOB_CONCURRENCY = 'many';
    expect(() => jobConcurrency(env)).toThrow(/JOB_CONCURRENCY="many": must be a whole number from 0 to 64/);
  });

  it('documents every variable for the processes that read it', () => {
    for (const name of Object.keys(VARIABLES) as VariableName[]) {
      expect({ name, readers: readersOf(name).length > 0 }).toEqual({ name, readers: true });
      expect(VARIABLES[name].description.length).toBeGreaterThan(10);
    }
    for (const parts of Object.values(PROCESSES)) {
      for (const part of Object.values(parts)) for (const variable of part.variables) expect(Object.keys(VARIABLES)).toContain(variable);
    }
  });

  it('the README’s table is the one generated from the schema (npm run config:table)', () => {
    const readme = fs.readFileSync(README_FILE, 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });

  it('no product module reads process.env: only common/config does', () => {
    const root = projectRoot();
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        // Tests and their harnesses set up environments of their own.
        else if (/\.ts$/.test(entry.name) && !/\.test\.ts$|harness\.ts$/.test(entry.name)) {
          if (/process\.env\b/.test(fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
            offenders.push(path.relative(root, file));
        }
      }
    };
    for (const dir of ['common', 'gateway', 'subgraphs', 'scripts']) walk(path.join(root, dir));
    expect(offenders).toEqual(['common/config/index.ts']);
  });
});
