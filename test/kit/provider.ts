/**
 * Shared fixtures of the provider subgraph's tests (`subgraphs/provider/*.test.ts`). Each test
 * file gets a database of its own (so no other test file's plans, products or providers — and
 * none of their sync jobs — reach its Tyk test server), the subgraphs it needs on free ports, a
 * Tyk test server registered as the default provider, and helpers that build plans and products
 * through the owners' GraphQL APIs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { encryptSecret, keyRingFromEnv } from '../../common/crypto';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import type { SubgraphName } from '../../common/config';
import { createLogger } from '../../common/logger';
import { SUBGRAPHS } from '../../scripts/subgraphs';
import { TykTestServer, type TykTestServerOptions } from '../tyk/server';
import { developer, portalAdmin, subgraphRequest, type GraphQLResponse, type Identity } from '../helpers/graphql';
import { unique } from '../helpers/db';
import { waitFor } from '../helpers/wait';

export { developer, portalAdmin, unique, waitFor, type Identity };

export const SYNC_STATE = 'status providerId externalId attempts lastError lastAttemptAt syncedAt';

export interface Harness {
  databaseUrl: string;
  admin: Identity;
  subgraphs: Partial<Record<SubgraphName, RunningSubgraph>>;
  provider: RunningSubgraph;
  /** SQL statements the provider subgraph ran since the last `queries.length = 0`. */
  queries: string[];
  tyk: TykTestServer;
  /** The Tyk test server's provider id (the default provider), when registered. */
  providerId: string;
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  /** GraphQL against one subgraph. */
  gql<T = any>(
    subgraph: SubgraphName,
    query: string,
    variables?: Record<string, unknown>,
    identity?: Identity | null,
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Subgraphs to start besides provider (default products, plans). */
  with?: SubgraphName[];
  /**
   * Run the job handlers of those subgraphs (default true). Off when a test plays their part,
   * e.g. handling `plans.importPolicy` itself to check what provider sent.
   */
  ownerJobs?: boolean;
  tyk?: TykTestServerOptions;
  /** Register the Tyk test server as the default provider (default true). */
  register?: boolean;
  /** Runs after migrations of the other subgraphs, before provider starts (fixtures). */
  beforeProvider?: (sql: Harness['sql']) => Promise<void>;
  env?: NodeJS.ProcessEnv;
}

/** A fresh database on the test server (call `drop` when done). */
export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL;
  if (!adminUrl) throw new Error('PLANGRAPH_TEST_ADMIN_URL is not set: run tests through jest (test/global-setup.mjs)');
  const name = `plangraph_provider_${Date.now()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export const REGISTER = `mutation($input: RegisterProviderInput!) { registerProvider(input: $input) { provider { id isDefault } errors { code field message } } }`;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = await createDatabase();
  const subgraphs: Partial<Record<SubgraphName, RunningSubgraph>> = {};
  const queries: string[] = [];
  const tyk = await TykTestServer.start(options.tyk);
  const env = { ...process.env, PROVIDER_HTTP_TIMEOUT_MS: '1500', PROVIDER_SYNC_INTERVAL_SECONDS: '3600', ...(options.env ?? {}) };
  // Expected failures (Tyk down, 500s) make graphile-worker log errors: quiet unless asked for.
  const log = createLogger('provider-test', process.env.PROVIDER_TEST_LOG_LEVEL || 'fatal');
  const stopAll = async () => {
    for (const subgraph of Object.values(subgraphs).reverse()) await subgraph!.stop().catch(() => undefined);
    await tyk.stop();
    await database.drop().catch(() => undefined);
  };
  try {
    for (const name of options.with ?? ['products', 'plans']) {
      const module = options.ownerJobs === false ? { ...SUBGRAPHS[name]!, jobs: undefined } : SUBGRAPHS[name]!;
      subgraphs[name] = await startSubgraph(module, { databaseUrl: database.url, port: 0, log: createLogger(name) });
    }
    const sqlVia =
      (subgraph: () => RunningSubgraph | undefined) =>
      async <T = any>(text: string, params: unknown[] = []) => {
        const running = subgraph();
        if (running) return running.orm.em.getConnection().execute<T[]>(text, params);
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          let index = 0;
          return (
            await client.query(
              text.replace(/\?/g, () => `$${++index}`),
              params,
            )
          ).rows as T[];
        } finally {
          await client.end();
        }
      };
    if (options.beforeProvider) await options.beforeProvider(sqlVia(() => undefined));
    subgraphs.provider = await startSubgraph(SUBGRAPHS.provider!, {
      databaseUrl: database.url,
      port: 0,
      env,
      log,
      onQuery: (q) => queries.push(q),
    });
    const harness: Harness = {
      databaseUrl: database.url,
      // Registering and assigning providers needs a token that asserts MFA.
      admin: { ...portalAdmin(), amr: ['pwd', 'mfa'] },
      subgraphs,
      provider: subgraphs.provider,
      queries,
      tyk,
      providerId: '',
      sql: sqlVia(() => subgraphs.provider),
      gql: (name, query, variables = {}, identity = null) => subgraphRequest(subgraphs[name]!.url, query, variables, identity),
      stop: stopAll,
    };
    if (options.register ?? true) harness.providerId = await registerTyk(harness, tyk);
    return harness;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Registers a Tyk test server as a provider; returns its id. */
export async function registerTyk(h: Harness, tyk: TykTestServer, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await h.gql(
    'provider',
    REGISTER,
    {
      input: {
        name: unique('tyk'),
        kind: 'TYK_GATEWAY',
        baseUrl: tyk.url,
        secret: tyk.secret,
        tykOrgId: tyk.orgId,
        policyTags: ['plangraph', 'team-x'],
        ...overrides,
      },
    },
    h.admin,
  );
  const payload = response.data?.registerProvider;
  if (response.errors || payload?.errors?.length) throw new Error(`registerProvider: ${JSON.stringify(response.errors ?? payload.errors)}`);
  return payload.provider.id;
}

/** Runs a mutation of another subgraph as portal admin and returns its payload (fails loudly). */
export async function mutate(
  h: Harness,
  subgraph: SubgraphName,
  name: string,
  inputType: string,
  selection: string,
  input: Record<string, unknown>,
): Promise<any> {
  const response = await h.gql(
    subgraph,
    `mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} errors { code field message } } }`,
    { input },
    h.admin,
  );
  const payload = response.data?.[name];
  if (response.errors || !payload || payload.errors?.length)
    throw new Error(`${name}: ${JSON.stringify(response.errors ?? payload?.errors ?? response)}`);
  return payload;
}

export async function createPlan(h: Harness, input: Record<string, unknown> = {}): Promise<{ id: string; name: string; version: number }> {
  const name = unique('plan');
  const payload = await mutate(h, 'plans', 'createPlan', 'CreatePlanInput', 'plan { id name version }', {
    name,
    displayName: `Plan ${name}`,
    quota: { requests: 1000, period: 'DAY' },
    rateLimit: { requests: 10, perSeconds: 1 },
    ...input,
  });
  return payload.plan;
}

export async function createProduct(h: Harness, input: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const slug = unique('product');
  const payload = await mutate(h, 'products', 'createProduct', 'CreateProductInput', 'product { id name }', {
    slug,
    name: `Product ${slug}`,
    tykApiIds: [`api-${slug}`],
    ...input,
  });
  return payload.product;
}

export const compact = (id: string) => id.replace(/-/g, '');
export const planPolicyIdOf = (planId: string) => `pg-plan-${compact(planId)}`;
export const productPolicyIdOf = (productId: string) => `pg-product-${compact(productId)}`;

export async function linkOf(h: Harness, kind: 'PLAN' | 'PRODUCT', subjectId: string): Promise<any | null> {
  const [row] = await h.sql('select * from provider.policy_link where kind = ? and subject_id = ?', [kind, subjectId]);
  return row ?? null;
}

/** Waits for the link to satisfy `check` (e.g. a new attempt after `since`). */
export function waitForLink(
  h: Harness,
  kind: 'PLAN' | 'PRODUCT',
  subjectId: string,
  check: (row: any) => boolean,
  what = 'policy link',
  timeoutMs = 15_000,
): Promise<any> {
  return waitFor(
    async () => {
      const row = await linkOf(h, kind, subjectId);
      return row && check(row) ? row : null;
    },
    { timeoutMs, intervalMs: 50, what: `${what} of ${kind} ${subjectId}` },
  );
}

/** Runs the provider's queued and retrying jobs now instead of after their back-off. */
export async function runJobsNow(h: Harness): Promise<void> {
  await h.sql(
    `select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier like 'provider.%' and locked_at is null and task_identifier <> 'provider.syncProvider'), run_at := now())`,
  );
}

/**
 * Waits until no provider job but the periodic one waits or runs (the provider has caught up with
 * every change; a provider sync does not count what a queued job will write anyway as drift).
 */
export async function waitForIdle(h: Harness, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () =>
      (
        await h.sql(
          `select 1 from graphile_worker.jobs where task_identifier like 'provider.%' and task_identifier <> 'provider.syncProvider'`,
        )
      ).length === 0,
    { timeoutMs, intervalMs: 100, what: 'the provider job queue to drain' },
  );
}

/** Enqueues a provider job as the owners do. */
export async function enqueue(h: Harness, task: string, payload: Record<string, unknown>, jobKey: string): Promise<void> {
  await h.sql(`select graphile_worker.add_job(?, ?::json, job_key := ?)`, [task, JSON.stringify(payload), jobKey]);
}

/** Jobs waiting in the queue (payload included) for a task. */
export async function queuedJobs(
  h: Harness,
  task: string,
): Promise<{ id: string; key: string | null; payload: any; run_at: Date; attempts: number }[]> {
  return h.sql(
    `select j.id, j.key, j.payload, j.run_at, j.attempts from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ? order by j.id`,
    [task],
  );
}

export const ENTITIES_SYNC = (typename: 'Plan' | 'Product') =>
  `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on ${typename} { id sync { ${SYNC_STATE} } provider { id name } } } }`;

/** `Plan.sync` / `Product.sync` and `.provider` as the provider subgraph answers the gateway. */
export async function syncOf(h: Harness, typename: 'Plan' | 'Product', id: string, identity: Identity | null = h.admin): Promise<any> {
  const response = await h.gql('provider', ENTITIES_SYNC(typename), { reps: [{ __typename: typename, id }] }, identity);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data._entities[0];
}

// ------------------------------------------------------------------ credentials without the developers subgraph

const CONTRACT_COLUMNS = [
  'id',
  'app_id',
  'organization_id',
  'plan_id',
  'product_ids',
  'status',
  'expires_at',
  'revokes_at',
  'alias',
  'metadata',
  'pending_secret_encrypted',
  'replaces_credential_id',
  'created_at',
  'version',
];

/**
 * `beforeProvider` fixture for tests that run without the developers subgraph: a view with
 * exactly the columns of `developers.credential_contract` (see the access/provider contract)
 * over a table the test fills with `insertCredential`. The real view comes from the developers
 * subgraph's migration.
 */
export async function credentialContractFixture(sql: Harness['sql']): Promise<void> {
  const [{ present }] = await sql<{ present: boolean }>(`select to_regclass('developers.credential_contract') is not null as present`);
  if (present) return;
  await sql(`create schema if not exists developers`);
  await sql(`
    create table developers.credential_fixture (
      id uuid primary key, app_id uuid not null, organization_id uuid not null, plan_id uuid not null, product_ids uuid[] not null,
      status text not null, expires_at timestamptz, revokes_at timestamptz, alias text not null, metadata jsonb not null,
      pending_secret_encrypted text, replaces_credential_id uuid, created_at timestamptz not null default now(), version integer not null default 1)`);
  await sql(`create view developers.credential_contract as select ${CONTRACT_COLUMNS.join(', ')} from developers.credential_fixture`);
  // Quota boosts as developers publishes them (`developers.quota_boost_contract`).
  await sql(`
    create table developers.quota_boost_fixture (
      id uuid primary key, credential_id uuid not null, organization_id uuid not null, app_id uuid not null, plan_id uuid not null,
      status text not null, quota_max integer, quota_period_seconds integer, rate_requests integer, rate_per_seconds integer,
      starts_at timestamptz not null default now(), expires_at timestamptz not null default now() + interval '1 hour')`);
  await sql(`
    create view developers.quota_boost_contract as
      select id, credential_id, organization_id, app_id, plan_id, status, quota_max, quota_period_seconds, rate_requests, rate_per_seconds,
             starts_at, expires_at
        from developers.quota_boost_fixture`);
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const newSecret = () => `pgk_${[...randomBytes(40)].map((b) => BASE62[b % 62]).join('')}`;

export interface FixtureCredential {
  id: string;
  secret: string;
  appId: string;
  organizationId: string;
  developerId: string;
}

/** An approved credential as the developers subgraph would publish it (needs `credentialContractFixture`). */
export async function insertCredential(
  h: Harness,
  planId: string,
  productIds: string[],
  overrides: Record<string, unknown> = {},
): Promise<FixtureCredential> {
  const id = randomUUID();
  const secret = newSecret();
  const appId = randomUUID();
  const organizationId = randomUUID();
  const developerId = `dev-${randomUUID()}`;
  const values = {
    status: 'ACTIVE',
    expires_at: null,
    revokes_at: null,
    pending_secret_encrypted: encryptSecret(keyRingFromEnv(), secret),
    metadata: { tier: 'gold', DeveloperID: developerId, ApplicationID: appId, OrganisationID: organizationId },
    version: 1,
    ...overrides,
  };
  await h.sql(
    `insert into developers.credential_fixture (id, app_id, organization_id, plan_id, product_ids, status, expires_at, revokes_at, alias, metadata, pending_secret_encrypted, version)
     values (?, ?, ?, ?, ?::uuid[], ?, ?, ?, ?, ?::jsonb, ?, ?)`,
    [
      id,
      appId,
      organizationId,
      planId,
      `{${productIds.join(',')}}`,
      values.status,
      values.expires_at,
      values.revokes_at,
      `Weather app (${secret.slice(0, 12)})`,
      JSON.stringify(values.metadata),
      values.pending_secret_encrypted,
      values.version,
    ],
  );
  return { id, secret, appId, organizationId, developerId };
}
