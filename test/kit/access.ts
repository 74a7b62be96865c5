/**
 * Fixtures of the developers subgraph's access-request and credential tests
 * (`subgraphs/developers/access-*.test.ts`, `credentials*.test.ts`). Starts the products and
 * plans subgraphs next to developers (their migrations create the published views requestAccess
 * decides with) and builds catalogs, products and plans through their GraphQL APIs as a portal
 * admin, like a portal would.
 */
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import type { Clock } from '../../common/clock';
import { signForwardedAuth, type Claims } from '../../common/auth';
import { gatewaySharedSecret } from '../../common/config';
import { testDatabaseUrl, unique } from '../helpers/db';
import { developer, portalAdmin, subgraphRequest, type GraphQLResponse, type Identity } from '../helpers/graphql';
import { productsSubgraph } from '../../subgraphs/products';
import { plansSubgraph } from '../../subgraphs/plans';
import { developersSubgraph } from '../../subgraphs/developers';
import { activeOrganization, createApp, join, type Harness } from './developers';
import { Seed } from './seed';

export { developer, portalAdmin, unique, type Identity };

export interface AccessHarness extends Harness {
  products: RunningSubgraph;
  plans: RunningSubgraph;
  /** Every response `gql`/`mutate` received, for "the secret appears nowhere else" checks. */
  responses: { label: string; body: unknown }[];
  clients: Client[];
}

export interface StartOptions {
  clock?: Clock;
  /** Run the developers job handlers in this process (default true). */
  jobs?: boolean;
}

/**
 * Records every job graphile-worker stores (insert, or replace through a job key) in
 * `public.plangraph_test_job_log`, so tests can check what was enqueued even after a worker of
 * another subgraph (e.g. a provider test running at the same time) has taken the job.
 */
async function installJobLog(h: Harness): Promise<void> {
  const connection = h.subgraph.orm.em.getConnection();
  await connection.execute(`
    do $$
    begin
      perform pg_advisory_xact_lock(hashtext('plangraph:test-job-log'));
      create table if not exists public.plangraph_test_job_log (
        id bigserial primary key,
        task text not null,
        key text,
        payload json not null,
        run_at timestamptz not null,
        logged_at timestamptz not null default now()
      );
      create or replace function public.plangraph_test_log_job() returns trigger language plpgsql as $f$
      begin
        insert into public.plangraph_test_job_log (task, key, payload, run_at)
          select t.identifier, new.key, new.payload, new.run_at from graphile_worker._private_tasks t where t.id = new.task_id;
        return new;
      end;
      $f$;
      if not exists (select 1 from pg_trigger where tgname = 'plangraph_test_job_log') then
        create trigger plangraph_test_job_log after insert or update of revision on graphile_worker._private_jobs
          for each row execute function public.plangraph_test_log_job();
      end if;
    end;
    $$;`);
}

export async function startAccessHarness(options: StartOptions = {}): Promise<AccessHarness> {
  const databaseUrl = testDatabaseUrl();
  const queries: string[] = [];
  const products = await startSubgraph(productsSubgraph, { databaseUrl, port: 0 });
  const plans = await startSubgraph(plansSubgraph, { databaseUrl, port: 0 });
  const module = options.jobs === false ? { ...developersSubgraph, jobs: undefined } : developersSubgraph;
  const subgraph = await startSubgraph(module, { databaseUrl, port: 0, clock: options.clock, onQuery: (sql) => queries.push(sql) });
  const clients: Client[] = [];
  const h: AccessHarness = {
    subgraph,
    products,
    plans,
    queries,
    admin: portalAdmin(),
    responses: [],
    clients,
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await subgraph.stop();
      await plans.stop();
      await products.stop();
    },
  };
  await installJobLog(h);
  return h;
}

/** A request to the developers subgraph as `identity`, recorded in `h.responses`. */
export async function gql<T = any>(
  h: AccessHarness,
  query: string,
  variables: Record<string, unknown> = {},
  identity: Identity | null = null,
): Promise<GraphQLResponse<T>> {
  const response = await subgraphRequest<T>(h.subgraph.url, query, variables, identity);
  h.responses.push({ label: query.slice(0, 80), body: response });
  return response;
}

export async function sql<T = any>(h: Harness, text: string, params: unknown[] = []): Promise<T[]> {
  return h.subgraph.orm.em.getConnection().execute<T[]>(text, params);
}

/** The access tests' seed: catalogs and products through the products subgraph, plans through plans. */
export function seedOf(h: AccessHarness): Seed {
  return new Seed({ products: h.products.url, plans: h.plans.url, developers: h.subgraph.url }, h.admin);
}

export function catalog(
  h: AccessHarness,
  options: { visibility?: 'PUBLIC' | 'PRIVATE'; organizationIds?: string[]; teamIds?: string[] } = {},
): Promise<string> {
  return seedOf(h).catalog(options);
}

export function product(h: AccessHarness, options: { catalogIds?: string[]; status?: 'DRAFT' | 'PUBLISHED' } = {}): Promise<string> {
  return seedOf(h).product(options);
}

export interface PlanOptions {
  catalogIds: string[];
  status?: 'DRAFT' | 'PUBLISHED';
  autoApprove?: boolean;
  accessRequestLimit?: { allowance: number; renewalSeconds: number } | null;
  keyExpiresAfterSeconds?: number | null;
  credentialMetadata?: { key: string; value: string }[];
}

/** The access tests' plans: tier 0 (the default) and no credential metadata unless told. */
function planDefaults(options: Omit<PlanOptions, 'catalogIds'>) {
  const name = unique('plan');
  return { ...options, name, displayName: `Plan ${name}`, tier: 0, credentialMetadata: options.credentialMetadata ?? [] };
}

export function plan(h: AccessHarness, options: PlanOptions): Promise<string> {
  return seedOf(h).plan({ ...planDefaults(options), catalogIds: options.catalogIds });
}

export async function archivePlan(h: AccessHarness, planId: string): Promise<void> {
  await seedOf(h).archivePlan(planId);
}

/** A public catalog with two published products and a plan offering them. */
export async function offer(h: AccessHarness, options: Omit<PlanOptions, 'catalogIds'> = {}) {
  return seedOf(h).offer().withProducts(2).withPlan(planDefaults(options));
}

/** An ACTIVE organization with an ORG_ADMIN (`owner`), a MEMBER and one app. */
export async function organization(h: AccessHarness) {
  const owner = developer();
  const member = developer();
  const org = await activeOrganization(h, owner);
  await join(h, org.id, member, 'MEMBER');
  const app = await createApp(h, org.id, member);
  return { id: org.id, owner, member, app };
}

export const AR = `id kind status createdAt decidedAt decisionReason decidedBy app { id } organization { id } plan { id } products { id } requestedBy { subject } credential { id }`;
export const CRED = `id prefix status expiresAt revokesAt revokedAt secretRevealed createdAt app { id } organization { id } plan { id } products { id } metadata { key value } replaces { id } replacedBy { id }`;
const ERRORS = 'errors { code field message retryAfter }';

export const MUTATIONS = {
  requestAccess: `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { accessRequest { ${AR} } credential { ${CRED} } secret ${ERRORS} } }`,
  approveAccessRequest: `mutation($input: ApproveAccessRequestInput!) { approveAccessRequest(input: $input) { accessRequest { ${AR} credential { ${CRED} } } ${ERRORS} } }`,
  rejectAccessRequest: `mutation($input: RejectAccessRequestInput!) { rejectAccessRequest(input: $input) { accessRequest { ${AR} } ${ERRORS} } }`,
  cancelAccessRequest: `mutation($input: CancelAccessRequestInput!) { cancelAccessRequest(input: $input) { accessRequest { ${AR} } ${ERRORS} } }`,
  revealCredentialSecret: `mutation($input: RevealCredentialSecretInput!) { revealCredentialSecret(input: $input) { credential { ${CRED} } secret ${ERRORS} } }`,
  rotateCredential: `mutation($input: RotateCredentialInput!) { rotateCredential(input: $input) { credential { ${CRED} } secret replacedCredential { ${CRED} } ${ERRORS} } }`,
  revokeCredential: `mutation($input: RevokeCredentialInput!) { revokeCredential(input: $input) { credential { ${CRED} } ${ERRORS} } }`,
  deleteApp: `mutation($input: DeleteAppInput!) { deleteApp(input: $input) { deletedAppId ${ERRORS} } }`,
} as const;

export type AccessMutation = keyof typeof MUTATIONS;

export function call(h: AccessHarness, name: AccessMutation, input: Record<string, unknown>, identity: Identity | null) {
  return gql(h, MUTATIONS[name], { input }, identity);
}

/** Runs a mutation and returns its payload; throws on GraphQL errors or payload errors. */
export async function ok<T = any>(h: AccessHarness, name: AccessMutation, input: Record<string, unknown>, identity: Identity): Promise<T> {
  const response = await call(h, name, input, identity);
  const payload = response.data?.[name];
  if (response.errors || !payload || payload.errors?.length)
    throw new Error(`${name} failed: ${JSON.stringify(response.errors ?? payload?.errors ?? response)}`);
  return payload as T;
}

/** The UserErrors of a payload, or the GraphQL error codes. */
export function errorsOf(response: GraphQLResponse, name: string): { code: string; field?: string | null }[] {
  if (response.errors?.length) return response.errors.map((e) => ({ code: String(e.extensions?.code) }));
  return (response.data?.[name]?.errors ?? []).map((e: { code: string; field: string | null }) => ({ code: e.code, field: e.field }));
}

/** Jobs of a credential as the job log saw them (latest state per key), oldest first. */
export async function loggedJobs(
  h: AccessHarness,
  credentialId: string,
): Promise<{ task: string; key: string | null; payload: any; run_at: Date }[]> {
  return withDates(
    await sql(
      h,
      `select distinct on (coalesce(key, id::text)) task, key, payload, run_at
       from public.plangraph_test_job_log where payload->>'credentialId' = ?
      order by coalesce(key, id::text), id desc`,
      [credentialId],
    ),
  );
}

/** Jobs of a credential still waiting in graphile-worker's queue. */
export async function queuedJobs(
  h: AccessHarness,
  credentialId: string,
): Promise<{ task: string; key: string | null; payload: any; run_at: Date }[]> {
  return withDates(
    await sql(
      h,
      `select t.identifier as task, j.key, j.payload, j.run_at
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where j.payload->>'credentialId' = ? order by j.id`,
      [credentialId],
    ),
  );
}

/** Raw rows carry timestamps as text: make `run_at` a Date. */
function withDates<T extends { run_at: unknown }>(rows: T[]): (T & { run_at: Date })[] {
  return rows.map((row) => ({ ...row, run_at: new Date(String(row.run_at)) }));
}

export interface Collected {
  data: Record<string, any>[];
  errors: Record<string, any>[];
  completed: boolean;
}

/** Subscribes straight to the developers subgraph over graphql-ws, signed as the gateway signs claims. */
export function subscribe(
  h: AccessHarness,
  identity: Identity | null,
  query: string,
  variables: Record<string, unknown>,
  field: string,
): Collected {
  const client = createClient({ url: h.subgraph.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  h.clients.push(client);
  const state: Collected = { data: [], errors: [], completed: false };
  client.subscribe(
    {
      query,
      variables,
      extensions: {
        plangraph: signForwardedAuth(gatewaySharedSecret(), (identity ?? null) as Claims | null, { query, variables }, Date.now()),
      },
    },
    {
      next: (result) => {
        h.responses.push({ label: `subscription ${field}`, body: result });
        if (result.errors) state.errors.push(...(result.errors as unknown as Record<string, any>[]));
        if (result.data) state.data.push((result.data as Record<string, any>)[field]);
      },
      error: (error) => state.errors.push({ message: String(error) }),
      complete: () => {
        state.completed = true;
      },
    },
  );
  return state;
}
