import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  parse,
  type GraphQLObjectType,
} from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { PgPubSub } from '../../common/pubsub';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { Seed } from '../../test/kit/seed';
import { developersSubgraph } from '../developers';
import { productsSubgraph } from '../products';
import { plansSubgraph } from '.';

// ---------------------------------------------------------------------------------------------
// Fixtures. The products and developers subgraphs run too (their migrations create the views the
// plans subgraph reads). Catalogs, products and organizations go through their owners' APIs (Seed;
// the plans subgraph itself reads only the *_contract views); teams are inserted with SQL.

const PLAN_FIELDS = `id name displayName description descriptionHtml status version tier trialDays autoApprove quotaScope
  keyExpiresAfterSeconds jwtScopes publishedAt archivedAt createdAt updatedAt
  quota { unlimited requests period periodSeconds } rateLimit { unlimited requests perSeconds }
  accessRequestLimit { unlimited allowance renewalSeconds } credentialMetadata { key value } catalogs { id }
  boostAllowance { maxExtraQuotaPercent maxExtraRatePercent maxDurationSeconds maxBoosts windowSeconds }`;

const ERRORS = 'errors { code field message }';

const MUTATIONS = {
  createPlan: `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { ${PLAN_FIELDS} } ${ERRORS} } }`,
  updatePlan: `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { ${PLAN_FIELDS} } ${ERRORS} } }`,
  publishPlan: `mutation($input: PublishPlanInput!) { publishPlan(input: $input) { plan { ${PLAN_FIELDS} } ${ERRORS} } }`,
  archivePlan: `mutation($input: ArchivePlanInput!) { archivePlan(input: $input) { plan { ${PLAN_FIELDS} } ${ERRORS} } }`,
  rollbackPlan: `mutation($input: RollbackPlanInput!) { rollbackPlan(input: $input) { plan { ${PLAN_FIELDS} } ${ERRORS} } }`,
  deletePlan: `mutation($input: DeletePlanInput!) { deletePlan(input: $input) { deletedPlanId ${ERRORS} } }`,
} as const;

type MutationName = keyof typeof MUTATIONS;

const VERSIONS = `query($planId: ID!, $first: Int, $after: String) {
  planVersions(planId: $planId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node {
      id planId version action status changedBy changedAt rolledBackTo
      changes { field before after }
      settings {
        name displayName description quotaScope keyExpiresAfterSeconds jwtScopes autoApprove tier trialDays
        quota { unlimited requests period periodSeconds } rateLimit { unlimited requests perSeconds }
        accessRequestLimit { unlimited allowance renewalSeconds } credentialMetadata { key value } catalogs { id }
        boostAllowance { maxExtraQuotaPercent maxExtraRatePercent maxDurationSeconds maxBoosts windowSeconds }
      }
    } }
  }
}`;

interface PlanResult {
  id: string;
  name: string;
  version: number;
  status: string;
  [field: string]: any;
}

interface Harness {
  plans: RunningSubgraph;
  products: RunningSubgraph;
  developers: RunningSubgraph;
  db: pg.Pool;
  /** Every SQL statement the plans subgraph ran (clear it with `queries.length = 0`). */
  queries: string[];
  admin: Identity;
  /** Catalogs, products and organizations through the products and developers APIs. */
  seed: Seed;
  stop(): Promise<void>;
}

async function startHarness(): Promise<Harness> {
  const databaseUrl = testDatabaseUrl();
  const queries: string[] = [];
  const products = await startSubgraph(productsSubgraph, { databaseUrl, port: 0 });
  const developers = await startSubgraph(developersSubgraph, { databaseUrl, port: 0 });
  const plans = await startSubgraph(plansSubgraph, { databaseUrl, port: 0, onQuery: (sql) => queries.push(sql) });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  return {
    plans,
    products,
    developers,
    db,
    queries,
    admin,
    seed: new Seed({ products: products.url, developers: developers.url }, admin),
    async stop() {
      await db.end();
      await plans.stop();
      await developers.stop();
      await products.stop();
    },
  };
}

async function gql<T = any>(h: Harness, query: string, variables: Record<string, unknown> = {}, identity: Identity | null = h.admin) {
  return subgraphRequest<T>(h.plans.url, query, variables, identity);
}

async function mutate(h: Harness, name: MutationName, input: Record<string, unknown>, identity: Identity | null = h.admin) {
  return gql(h, MUTATIONS[name], { input }, identity);
}

/** Runs a mutation that must succeed and returns its plan. */
async function ok(h: Harness, name: MutationName, input: Record<string, unknown>): Promise<PlanResult> {
  const res = await mutate(h, name, input);
  expect(res.errors).toBeUndefined();
  expect(res.data[name].errors).toEqual([]);
  return res.data[name].plan;
}

async function createPlan(h: Harness, input: Record<string, unknown> = {}): Promise<PlanResult> {
  return ok(h, 'createPlan', { name: unique('plan'), displayName: 'Plan', ...input });
}

function createCatalog(
  h: Harness,
  visibility: 'PUBLIC' | 'PRIVATE',
  audience: { organizationIds?: string[]; teamIds?: string[] } = {},
): Promise<string> {
  return h.seed.catalog({ visibility, ...audience });
}

function createProduct(h: Harness, catalogIds: string[] = []): Promise<string> {
  return h.seed.product({ catalogIds });
}

/** An ACTIVE organization with `subject` as its admin member. */
function createOrganization(h: Harness, subject: string): Promise<string> {
  return h.seed.organization(subject);
}

/**
 * A team (no API yet: SQL fixture) in an organization, with these members (who are made MEMBERs of
 * the organization too: a team member who left the organization no longer counts).
 */
async function createTeam(h: Harness, organizationId: string, subjects: string[]): Promise<string> {
  const id = randomUUID();
  await h.db.query(`insert into developers.team (id, organization_id, name) values ($1, $2, $3)`, [id, organizationId, unique('team')]);
  for (const subject of subjects) {
    await h.db.query(
      `insert into developers.organization_member (id, organization_id, subject, role) values ($1, $2, $3, 'MEMBER') on conflict do nothing`,
      [randomUUID(), organizationId, subject],
    );
    await h.db.query(`insert into developers.team_member (id, team_id, subject) values ($1, $2, $3)`, [randomUUID(), id, subject]);
  }
  return id;
}

/** The provider sync job queued for a plan (graphile-worker), or null. */
async function syncJob(h: Harness, planId: string): Promise<{ task: string; revision: number; payload: unknown } | null> {
  const { rows } = await h.db.query(
    `select j.task_identifier as task, j.revision, p.payload
       from graphile_worker.jobs j join graphile_worker._private_jobs p on p.id = j.id
      where j.key = $1`,
    [`plan:${planId}`],
  );
  return rows[0] ?? null;
}

/** True when the plans subgraph ran graphile-worker's add_job since `queries` was cleared. */
function enqueuedSince(h: Harness): boolean {
  return h.queries.some((sql) => /graphile_worker\.add_job/i.test(sql));
}

const PLAN = `query($id: ID!) { plan(id: $id) { ${PLAN_FIELDS} } }`;
const PLANS = `query($first: Int, $after: String, $filter: PlanFilter) {
  plans(first: $first, after: $after, filter: $filter) { totalCount edges { node { id name status tier } } pageInfo { hasNextPage endCursor } }
}`;

const json = (value: unknown) => JSON.stringify(value);

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('plans: create, read, update, versions', () => {
  it('creates a plan with every option and reads it back (GraphQL, history and the published view)', async () => {
    const [c1, c2] = [await createCatalog(h, 'PUBLIC'), await createCatalog(h, 'PUBLIC')];
    const name = unique('gold');
    const plan = await ok(h, 'createPlan', {
      name: `  ${name} `,
      displayName: '  Gold  ',
      description: '**Fast** lane <script>alert(1)</script>',
      quota: { requests: 10000, period: 'MONTH' },
      rateLimit: { requests: 50, perSeconds: 1 },
      quotaScope: 'ORGANIZATION',
      keyExpiresAfterSeconds: 7776000,
      jwtScopes: ['read write', 'admin,billing', ' read ,, write', 'NULL {x}\ttag:a/b~'],
      credentialMetadata: [
        { key: 'plan_tier', value: 'gold' },
        { key: 'cost-center.id', value: 'CC-42' },
      ],
      catalogIds: [c1, c2.toUpperCase(), c1],
      autoApprove: true,
      accessRequestLimit: { allowance: 3, renewalSeconds: 86400 },
      tier: 20,
      trialDays: 14,
      boostAllowance: {
        maxExtraQuotaPercent: 50,
        maxExtraRatePercent: 100,
        maxDurationSeconds: 86400,
        maxBoosts: 2,
        windowSeconds: 2592000,
      },
      status: 'PUBLISHED',
    });
    expect(plan).toMatchObject({
      name,
      displayName: 'Gold',
      description: '**Fast** lane <script>alert(1)</script>',
      status: 'PUBLISHED',
      version: 1,
      quota: { unlimited: false, requests: 10000, period: 'MONTH', periodSeconds: 2592000 },
      rateLimit: { unlimited: false, requests: 50, perSeconds: 1 },
      quotaScope: 'ORGANIZATION',
      keyExpiresAfterSeconds: 7776000,
      jwtScopes: ['read', 'write', 'admin', 'billing', 'NULL', '{x}', 'tag:a/b~'],
      credentialMetadata: [
        { key: 'plan_tier', value: 'gold' },
        { key: 'cost-center.id', value: 'CC-42' },
      ],
      catalogs: [{ id: c1 }, { id: c2 }],
      autoApprove: true,
      accessRequestLimit: { unlimited: false, allowance: 3, renewalSeconds: 86400 },
      tier: 20,
      trialDays: 14,
      boostAllowance: {
        maxExtraQuotaPercent: 50,
        maxExtraRatePercent: 100,
        maxDurationSeconds: 86400,
        maxBoosts: 2,
        windowSeconds: 2592000,
      },
      archivedAt: null,
    });
    expect(plan.descriptionHtml).toContain('<strong>Fast</strong>');
    expect(plan.descriptionHtml).toContain('&lt;script&gt;');
    expect(plan.descriptionHtml).not.toContain('<script>');
    expect(new Date(plan.publishedAt).toISOString()).toBe(plan.publishedAt);

    // Anonymous callers see it (public catalogs) exactly as the admin does.
    expect((await gql(h, PLAN, { id: plan.id }, null)).data.plan).toEqual(plan);
    const listed = await gql(h, PLANS, { filter: { catalogId: c2, search: name.toUpperCase() } }, null);
    expect(listed.data.plans.edges.map((e: any) => e.node.id)).toEqual([plan.id]);

    // Version 1 lists every setting (and the status) with `before: null`.
    const history = await gql(h, VERSIONS, { planId: plan.id });
    const v1 = history.data.planVersions.edges[0].node;
    expect(v1).toMatchObject({
      planId: plan.id,
      version: 1,
      action: 'CREATED',
      status: 'PUBLISHED',
      changedBy: h.admin.sub,
      rolledBackTo: null,
    });
    expect(v1.changes.map((c: any) => c.field)).toEqual([
      'name',
      'displayName',
      'description',
      'quota',
      'rateLimit',
      'quotaScope',
      'keyExpiresAfterSeconds',
      'jwtScopes',
      'credentialKind',
      'credentialMetadata',
      'catalogs',
      'autoApprove',
      'accessRequestLimit',
      'tier',
      'trialDays',
      'endpointRules',
      'boostAllowance',
      'status',
    ]);
    expect(v1.changes.every((c: any) => c.before === null)).toBe(true);
    expect(v1.changes.find((c: any) => c.field === 'catalogs').after).toBe(json([c1, c2]));
    expect(v1.changes.find((c: any) => c.field === 'quota').after).toBe(json({ requests: 10000, period: 'MONTH', periodSeconds: 2592000 }));
    const {
      id: _id,
      version: _v,
      status: _s,
      descriptionHtml: _h,
      publishedAt: _p,
      archivedAt: _a,
      createdAt: _c,
      updatedAt: _u,
      ...settings
    } = plan;
    expect(v1.settings).toEqual(settings);

    // What the developers subgraph reads.
    const { rows } = await h.db.query('select * from plans.plan_contract where id = $1', [plan.id]);
    expect(Object.keys(rows[0])).toEqual([
      'id',
      'name',
      'status',
      'catalog_ids',
      'auto_approve',
      'access_request_allowance',
      'access_request_renewal_seconds',
      'key_expires_after_seconds',
      'quota_scope',
      'quota_requests',
      'quota_period_seconds',
      'rate_requests',
      'rate_per_seconds',
      'jwt_scopes',
      'credential_metadata',
      'tier',
      'trial_days',
      'version',
      'credential_kind',
      'endpoint_rules',
      'boost_allowance',
    ]);
    expect(rows[0]).toEqual({
      id: plan.id,
      name,
      status: 'PUBLISHED',
      catalog_ids: [c1, c2],
      auto_approve: true,
      access_request_allowance: 3,
      access_request_renewal_seconds: 86400,
      key_expires_after_seconds: 7776000,
      quota_scope: 'ORGANIZATION',
      quota_requests: 10000,
      quota_period_seconds: 2592000,
      rate_requests: 50,
      rate_per_seconds: 1,
      jwt_scopes: ['read', 'write', 'admin', 'billing', 'NULL', '{x}', 'tag:a/b~'],
      credential_metadata: { plan_tier: 'gold', 'cost-center.id': 'CC-42' },
      tier: 20,
      trial_days: 14,
      version: 1,
      credential_kind: 'API_KEY',
      endpoint_rules: [],
      boost_allowance: {
        maxExtraQuotaPercent: 50,
        maxExtraRatePercent: 100,
        maxDurationSeconds: 86400,
        maxBoosts: 2,
        windowSeconds: 2592000,
      },
    });
  });

  it('refuses a boost allowance out of bounds, and clears it with null', async () => {
    const created = await createPlan(h);
    const bad = await gql(h, MUTATIONS.updatePlan, {
      input: {
        id: created.id,
        boostAllowance: { maxExtraQuotaPercent: 0, maxExtraRatePercent: 0, maxDurationSeconds: 10, maxBoosts: 0, windowSeconds: 60 },
      },
    });
    expect(bad.data.updatePlan.errors.map((e: any) => [e.code, e.field])).toEqual([
      ['VALIDATION_FAILED', 'input.boostAllowance'],
      ['VALIDATION_FAILED', 'input.boostAllowance.maxDurationSeconds'],
      ['VALIDATION_FAILED', 'input.boostAllowance.maxBoosts'],
      ['VALIDATION_FAILED', 'input.boostAllowance.windowSeconds'],
    ]);
    const set = await ok(h, 'updatePlan', {
      id: created.id,
      boostAllowance: {
        maxExtraQuotaPercent: 50,
        maxExtraRatePercent: 100,
        maxDurationSeconds: 86400,
        maxBoosts: 2,
        windowSeconds: 2592000,
      },
    });
    expect(set.boostAllowance).toEqual({
      maxExtraQuotaPercent: 50,
      maxExtraRatePercent: 100,
      maxDurationSeconds: 86400,
      maxBoosts: 2,
      windowSeconds: 2592000,
    });
    const cleared = await ok(h, 'updatePlan', { id: created.id, boostAllowance: null });
    expect(cleared.boostAllowance).toBeNull();
  });

  it('gives a minimal plan its defaults, and the named periods their seconds', async () => {
    const plan = await createPlan(h);
    expect(plan).toMatchObject({
      status: 'DRAFT',
      version: 1,
      description: '',
      descriptionHtml: '',
      quota: { unlimited: true, requests: null, period: null, periodSeconds: null },
      rateLimit: { unlimited: true, requests: null, perSeconds: null },
      quotaScope: 'CREDENTIAL',
      keyExpiresAfterSeconds: null,
      jwtScopes: [],
      credentialMetadata: [],
      catalogs: [],
      autoApprove: false,
      accessRequestLimit: { unlimited: true, allowance: null, renewalSeconds: null },
      tier: 0,
      trialDays: null,
      publishedAt: null,
      archivedAt: null,
    });
    // Explicit nulls on create mean the defaults too.
    const nulls = await createPlan(h, {
      description: null,
      quota: null,
      rateLimit: null,
      quotaScope: null,
      keyExpiresAfterSeconds: null,
      jwtScopes: null,
      credentialMetadata: null,
      catalogIds: null,
      autoApprove: null,
      accessRequestLimit: null,
      tier: null,
      trialDays: null,
      status: null,
    });
    const { id: _a, name: _b, createdAt: _c, updatedAt: _d, ...defaults } = plan;
    expect(nulls).toMatchObject(defaults);
    const expected = { HOUR: 3600, DAY: 86400, WEEK: 604800, MONTH: 2592000 };
    for (const [period, seconds] of Object.entries(expected)) {
      const p = await createPlan(h, { quota: { requests: 5, period } });
      expect(p.quota).toEqual({ unlimited: false, requests: 5, period, periodSeconds: seconds });
    }
    const custom = await createPlan(h, { quota: { requests: 5, period: 'CUSTOM', periodSeconds: 600 } });
    expect(custom.quota).toEqual({ unlimited: false, requests: 5, period: 'CUSTOM', periodSeconds: 600 });
    // The largest allowed values pass.
    const edge = await createPlan(h, {
      name: `${'a'.repeat(80)} -_${Date.now() % 100000}`.slice(0, 100),
      displayName: 'x'.repeat(120),
      description: 'd'.repeat(20000),
      quota: { requests: 1_000_000_000, period: 'CUSTOM', periodSeconds: 31_536_000 },
      rateLimit: { requests: 1_000_000, perSeconds: 86_400 },
      keyExpiresAfterSeconds: 157_680_000,
      jwtScopes: [Array.from({ length: 50 }, (_, i) => `scope:${i}`).join(' ')],
      credentialMetadata: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`.padEnd(64, 'x'), value: 'v'.repeat(512) })),
      accessRequestLimit: { allowance: 1000, renewalSeconds: 31_536_000 },
      tier: 1000,
      trialDays: 365,
    });
    expect(edge.jwtScopes).toHaveLength(50);
    expect(edge.credentialMetadata).toHaveLength(20);
  });

  it('keeps every field an update leaves out, bumps the version, and lists each change with its diff', async () => {
    const catalog = await createCatalog(h, 'PUBLIC');
    const v1 = await createPlan(h, {
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 10, perSeconds: 1 },
      tier: 1,
      jwtScopes: ['read'],
      catalogIds: [catalog],
      trialDays: 7,
      credentialMetadata: [{ key: 'a', value: '1' }],
    });
    const v2 = await ok(h, 'updatePlan', { id: v1.id, expectedVersion: 1, quota: { requests: 10, period: 'HOUR' } });
    expect(v2).toEqual({
      ...v1,
      version: 2,
      quota: { unlimited: false, requests: 10, period: 'HOUR', periodSeconds: 3600 },
      updatedAt: expect.any(String),
    });
    expect(new Date(v2.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(v1.updatedAt).getTime());

    const v3 = await ok(h, 'updatePlan', {
      id: v1.id,
      expectedVersion: 2,
      tier: 5,
      jwtScopes: ['admin'],
      trialDays: null,
      rateLimit: null,
      description: 'New',
    });
    expect(v3).toEqual({
      ...v2,
      version: 3,
      tier: 5,
      jwtScopes: ['admin'],
      trialDays: null,
      rateLimit: { unlimited: true, requests: null, perSeconds: null },
      description: 'New',
      descriptionHtml: '<p>New</p>\n',
      updatedAt: expect.any(String),
    });

    // Changing nothing records nothing.
    const same = await ok(h, 'updatePlan', { id: v1.id, tier: 5, jwtScopes: ['admin, admin'] });
    expect(same.version).toBe(3);

    const history = await gql(h, VERSIONS, { planId: v1.id });
    expect(history.errors).toBeUndefined();
    const nodes = history.data.planVersions.edges.map((e: any) => e.node);
    expect(history.data.planVersions.totalCount).toBe(3);
    expect(nodes.map((n: any) => [n.version, n.action, n.status, n.changedBy])).toEqual([
      [3, 'UPDATED', 'DRAFT', h.admin.sub],
      [2, 'UPDATED', 'DRAFT', h.admin.sub],
      [1, 'CREATED', 'DRAFT', h.admin.sub],
    ]);
    expect(nodes[1].changes).toEqual([
      {
        field: 'quota',
        before: json({ requests: 1000, period: 'DAY', periodSeconds: 86400 }),
        after: json({ requests: 10, period: 'HOUR', periodSeconds: 3600 }),
      },
    ]);
    expect(nodes[0].changes).toEqual([
      { field: 'description', before: json(''), after: json('New') },
      { field: 'rateLimit', before: json({ requests: 10, perSeconds: 1 }), after: 'null' },
      { field: 'jwtScopes', before: json(['read']), after: json(['admin']) },
      { field: 'tier', before: '1', after: '5' },
      { field: 'trialDays', before: '7', after: 'null' },
    ]);
    expect(nodes[0].settings).toMatchObject({
      tier: 5,
      jwtScopes: ['admin'],
      trialDays: null,
      catalogs: [{ id: catalog }],
      quota: v3.quota,
    });
    expect(nodes[2].settings).toMatchObject({ tier: 1, jwtScopes: ['read'], trialDays: 7, quota: v1.quota, rateLimit: v1.rateLimit });

    // Pages, newest first.
    const first = await gql(h, VERSIONS, { planId: v1.id, first: 2 });
    expect(first.data.planVersions.edges.map((e: any) => e.node.version)).toEqual([3, 2]);
    expect(first.data.planVersions.pageInfo.hasNextPage).toBe(true);
    const rest = await gql(h, VERSIONS, { planId: v1.id, first: 2, after: first.data.planVersions.pageInfo.endCursor });
    expect(rest.data.planVersions.edges.map((e: any) => e.node.version)).toEqual([1]);
    expect(rest.data.planVersions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect((await gql(h, VERSIONS, { planId: v1.id, after: 'garbage' })).errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
    expect((await gql(h, VERSIONS, { planId: 'nope' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'planId' });
  });

  it('rolls back to version 1 after two edits as a new version equal to version 1, and says so in the diff', async () => {
    const catalog = await createCatalog(h, 'PUBLIC');
    const v1 = await createPlan(h, {
      quota: { requests: 1000, period: 'DAY' },
      tier: 1,
      jwtScopes: ['read'],
      catalogIds: [catalog],
      status: 'PUBLISHED',
    });
    await ok(h, 'updatePlan', { id: v1.id, quota: { requests: 10, period: 'HOUR' }, displayName: 'Renamed' });
    await ok(h, 'updatePlan', { id: v1.id, tier: 5, jwtScopes: ['admin'], autoApprove: true });

    const v4 = await ok(h, 'rollbackPlan', { id: v1.id, toVersion: 1, expectedVersion: 3 });
    expect(v4).toEqual({ ...v1, version: 4, updatedAt: expect.any(String) });
    expect(v4.status).toBe('PUBLISHED');

    const nodes = (await gql(h, VERSIONS, { planId: v1.id })).data.planVersions.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => [n.version, n.action, n.rolledBackTo])).toEqual([
      [4, 'ROLLED_BACK', 1],
      [3, 'UPDATED', null],
      [2, 'UPDATED', null],
      [1, 'CREATED', null],
    ]);
    expect(nodes[0].settings).toEqual(nodes[3].settings);
    expect(nodes[0].changes).toEqual([
      { field: 'displayName', before: json('Renamed'), after: json('Plan') },
      {
        field: 'quota',
        before: json({ requests: 10, period: 'HOUR', periodSeconds: 3600 }),
        after: json({ requests: 1000, period: 'DAY', periodSeconds: 86400 }),
      },
      { field: 'jwtScopes', before: json(['admin']), after: json(['read']) },
      { field: 'autoApprove', before: 'true', after: 'false' },
      { field: 'tier', before: '5', after: '1' },
    ]);
  });

  it('publishes, archives and re-publishes along the state machine, and deletes only never-published plans', async () => {
    const catalog = await createCatalog(h, 'PUBLIC');
    const plan = await createPlan(h, { catalogIds: [catalog] });
    const published = await ok(h, 'publishPlan', { id: plan.id, expectedVersion: 1 });
    expect(published).toMatchObject({ status: 'PUBLISHED', version: 2, archivedAt: null });
    expect(published.publishedAt).toBeTruthy();
    const archived = await ok(h, 'archivePlan', { id: plan.id, expectedVersion: 2 });
    expect(archived).toMatchObject({ status: 'ARCHIVED', version: 3, publishedAt: published.publishedAt });
    expect(archived.archivedAt).toBeTruthy();
    const republished = await ok(h, 'publishPlan', { id: plan.id });
    expect(republished).toMatchObject({ status: 'PUBLISHED', version: 4, archivedAt: null });
    const nodes = (await gql(h, VERSIONS, { planId: plan.id })).data.planVersions.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => [n.version, n.action, n.status, n.changes])).toEqual([
      [4, 'PUBLISHED', 'PUBLISHED', [{ field: 'status', before: json('ARCHIVED'), after: json('PUBLISHED') }]],
      [3, 'ARCHIVED', 'ARCHIVED', [{ field: 'status', before: json('PUBLISHED'), after: json('ARCHIVED') }]],
      [2, 'PUBLISHED', 'PUBLISHED', [{ field: 'status', before: json('DRAFT'), after: json('PUBLISHED') }]],
      [1, 'CREATED', 'DRAFT', expect.any(Array)],
    ]);

    // A draft may be archived, and deleted afterwards (it was never published); its history stays.
    const draft = await createPlan(h);
    await ok(h, 'archivePlan', { id: draft.id });
    const deleted = await mutate(h, 'deletePlan', { id: draft.id });
    expect(deleted.data.deletePlan).toEqual({ deletedPlanId: draft.id, errors: [] });
    expect((await gql(h, PLAN, { id: draft.id })).data.plan).toBeNull();
    const history = await gql(h, VERSIONS, { planId: draft.id });
    expect(history.data.planVersions.edges.map((e: any) => e.node.action)).toEqual(['ARCHIVED', 'CREATED']);
    // Its name is free again.
    await createPlan(h, { name: draft.name });

    // A published (now archived) plan cannot be deleted.
    const refused = await mutate(h, 'deletePlan', { id: plan.id });
    expect(refused.data.deletePlan).toEqual({
      deletedPlanId: null,
      errors: [{ code: 'ARCHIVE_INSTEAD', field: 'input.id', message: expect.stringContaining('archivePlan') }],
    });
  });

  it('keeps plan versions append-only: raw UPDATE, DELETE and TRUNCATE fail', async () => {
    const plan = await createPlan(h);
    await expect(h.db.query(`update plans.plan_version set changed_by = 'mallory' where plan_id = $1`, [plan.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(h.db.query(`delete from plans.plan_version where plan_id = $1`, [plan.id])).rejects.toThrow(/append-only/);
    await expect(h.db.query(`truncate plans.plan_version`)).rejects.toThrow(/append-only/);
    const { rows } = await h.db.query(`select changed_by from plans.plan_version where plan_id = $1`, [plan.id]);
    expect(rows).toEqual([{ changed_by: h.admin.sub }]);
  });

  it('enqueues the provider sync job in the transaction of every change, and none for a refused one', async () => {
    const catalog = await createCatalog(h, 'PUBLIC');
    h.queries.length = 0;
    const plan = await createPlan(h, { catalogIds: [catalog] });
    expect(enqueuedSince(h)).toBe(true);
    expect(await syncJob(h, plan.id)).toEqual({ task: 'provider.syncPlan', revision: 0, payload: { planId: plan.id } });

    const steps: [string, () => Promise<unknown>][] = [
      ['update', () => ok(h, 'updatePlan', { id: plan.id, tier: 3 })],
      ['publish', () => ok(h, 'publishPlan', { id: plan.id })],
      ['rollback', () => ok(h, 'rollbackPlan', { id: plan.id, toVersion: 1 })],
      ['archive', () => ok(h, 'archivePlan', { id: plan.id })],
    ];
    let revision = 0;
    for (const [, step] of steps) {
      await step();
      revision += 1;
      expect(await syncJob(h, plan.id)).toMatchObject({ task: 'provider.syncPlan', revision, payload: { planId: plan.id } });
    }

    // Refused: an archived plan cannot be updated → no new job revision, no add_job at all.
    h.queries.length = 0;
    const refused = await mutate(h, 'updatePlan', { id: plan.id, tier: 4 });
    expect(refused.data.updatePlan.errors[0].code).toBe('INVALID_TRANSITION');
    expect(enqueuedSince(h)).toBe(false);
    expect((await syncJob(h, plan.id))!.revision).toBe(revision);

    // Deleting enqueues the sync too (it removes the plan's policy).
    const draft = await createPlan(h);
    await h.db.query(`select graphile_worker.remove_job($1)`, [`plan:${draft.id}`]);
    expect(await syncJob(h, draft.id)).toBeNull();
    expect((await mutate(h, 'deletePlan', { id: draft.id })).data.deletePlan.errors).toEqual([]);
    expect(await syncJob(h, draft.id)).toMatchObject({ task: 'provider.syncPlan', payload: { planId: draft.id } });
  });

  it('serializes concurrent edits: with expectedVersion exactly one of two racing updates wins', async () => {
    const plan = await createPlan(h);
    const [a, b] = await Promise.all([
      mutate(h, 'updatePlan', { id: plan.id, expectedVersion: 1, tier: 10 }),
      mutate(h, 'updatePlan', { id: plan.id, expectedVersion: 1, tier: 20 }),
    ]);
    const results = [a.data.updatePlan, b.data.updatePlan];
    expect(results.filter((r) => r.errors.length === 0)).toHaveLength(1);
    expect(results.filter((r) => r.errors[0]?.code === 'VERSION_CONFLICT')).toHaveLength(1);
    const history = await gql(h, VERSIONS, { planId: plan.id });
    expect(history.data.planVersions.totalCount).toBe(2);
  });
});

describe('plans: authorization', () => {
  const anonymousAndDeveloper: [string, Identity | null, string][] = [
    ['anonymous', null, 'UNAUTHENTICATED'],
    ['developer', developer(), 'FORBIDDEN'],
  ];

  it.each(anonymousAndDeveloper)(
    'refuses every mutation and planVersions to a %s caller, writing nothing',
    async (_who, identity, code) => {
      const catalog = await createCatalog(h, 'PUBLIC');
      const plan = await createPlan(h, { catalogIds: [catalog] });
      const name = unique('intruder');
      const attempts: [MutationName, Record<string, unknown>][] = [
        ['createPlan', { name, displayName: 'X', catalogIds: [catalog] }],
        ['updatePlan', { id: plan.id, tier: 9 }],
        ['publishPlan', { id: plan.id }],
        ['archivePlan', { id: plan.id }],
        ['rollbackPlan', { id: plan.id, toVersion: 1 }],
        ['deletePlan', { id: plan.id }],
      ];
      h.queries.length = 0;
      for (const [mutation, input] of attempts) {
        const res = await mutate(h, mutation, input, identity);
        expect(res.errors?.[0].extensions?.code).toBe(code);
        expect(res.data?.[mutation] ?? null).toBeNull();
      }
      const versions = await gql(h, VERSIONS, { planId: plan.id }, identity);
      expect(versions.errors?.[0].extensions?.code).toBe(code);
      expect(enqueuedSince(h)).toBe(false);
      expect((await gql(h, PLAN, { id: plan.id })).data.plan).toMatchObject({ version: 1, status: 'DRAFT', tier: 0 });
      expect((await h.db.query('select count(*)::int as n from plans.plan where name = $1', [name])).rows[0].n).toBe(0);
    },
  );
});

describe('plans: visibility through catalogs', () => {
  const members = { a: developer(), teamB: developer(), otherB: developer(), d: developer(), none: developer() };
  let tag: string;
  let plans: Record<string, PlanResult>;
  let catalogs: Record<string, string>;

  beforeAll(async () => {
    tag = unique('vis').replace(/-/g, '_');
    const orgA = await createOrganization(h, members.a.sub);
    const orgB = await createOrganization(h, members.otherB.sub);
    await createOrganization(h, members.d.sub);
    const teamB = await createTeam(h, orgB, [members.teamB.sub]);
    catalogs = {
      public: await createCatalog(h, 'PUBLIC'),
      orgA: await createCatalog(h, 'PRIVATE', { organizationIds: [orgA] }),
      teamB: await createCatalog(h, 'PRIVATE', { teamIds: [teamB] }),
      nobody: await createCatalog(h, 'PRIVATE'),
    };
    const make = (key: string, catalogIds: string[], status = 'PUBLISHED') => createPlan(h, { name: `${tag} ${key}`, catalogIds, status });
    plans = {
      public: await make('public', [catalogs.public]),
      orgA: await make('orgA', [catalogs.orgA]),
      teamB: await make('teamB', [catalogs.teamB]),
      nobody: await make('nobody', [catalogs.nobody]),
      both: await make('both', [catalogs.orgA, catalogs.public]),
      draft: await make('draft', [catalogs.public], 'DRAFT'),
    };
    plans.archived = await make('archived', [catalogs.public]);
    await ok(h, 'archivePlan', { id: plans.archived.id });
  });

  const cases: [string, () => Identity | null, string[]][] = [
    ['anonymous callers see plans in PUBLIC catalogs only', () => null, ['public', 'both']],
    ['a member of an audience organization also sees its private catalog’s plans', () => members.a, ['public', 'orgA', 'both']],
    ['a member of an audience team sees its team catalog’s plans', () => members.teamB, ['public', 'teamB', 'both']],
    ['another member of the team’s organization, outside the team, does not', () => members.otherB, ['public', 'both']],
    ['a member of another organization sees public plans only', () => members.d, ['public', 'both']],
    ['a developer without organization sees public plans only', () => members.none, ['public', 'both']],
    [
      'a portal admin sees every plan, drafts and archived ones included',
      () => h.admin,
      ['public', 'orgA', 'teamB', 'nobody', 'both', 'draft', 'archived'],
    ],
  ];

  it.each(cases)('%s', async (_case, identity, expected) => {
    const caller = identity();
    const list = await gql(h, PLANS, { filter: { search: tag } }, caller);
    expect(list.errors).toBeUndefined();
    expect(list.data.plans.edges.map((e: any) => e.node.name).sort()).toEqual(expected.map((k) => `${tag} ${k}`).sort());
    expect(list.data.plans.totalCount).toBe(expected.length);
    for (const [key, plan] of Object.entries(plans)) {
      const one = await gql(h, `query($id: ID!) { plan(id: $id) { id } }`, { id: plan.id }, caller);
      expect([key, one.data.plan?.id ?? null]).toEqual([key, expected.includes(key) ? plan.id : null]);
    }
    // Plan.catalogs shows only the catalogs the caller may see (all of them to admins).
    const both = await gql(h, `query($id: ID!) { plan(id: $id) { catalogs { id } } }`, { id: plans.both.id }, caller);
    const shown = caller === h.admin || caller === members.a ? [catalogs.orgA, catalogs.public] : [catalogs.public];
    expect(both.data.plan.catalogs.map((c: any) => c.id)).toEqual(shown);
  });

  it('filters by catalog and by product within what the caller may see', async () => {
    const product = await createProduct(h, [catalogs.orgA, catalogs.public]);
    const byProduct = async (caller: Identity | null) =>
      (await gql(h, PLANS, { filter: { productId: product, search: tag } }, caller)).data.plans.edges.map((e: any) => e.node.name).sort();
    expect(await byProduct(null)).toEqual([`${tag} both`, `${tag} public`]);
    expect(await byProduct(members.a)).toEqual([`${tag} both`, `${tag} orgA`, `${tag} public`]);
    expect(await byProduct(h.admin)).toEqual([`${tag} archived`, `${tag} both`, `${tag} draft`, `${tag} orgA`, `${tag} public`]);

    const byCatalog = async (catalogId: string, caller: Identity | null) =>
      (await gql(h, PLANS, { filter: { catalogId, search: tag } }, caller)).data.plans.edges.map((e: any) => e.node.name).sort();
    expect(await byCatalog(catalogs.orgA, members.d)).toEqual([]);
    expect(await byCatalog(catalogs.orgA, members.a)).toEqual([`${tag} both`, `${tag} orgA`]);
    expect(await byCatalog(catalogs.public, h.admin)).toEqual([`${tag} archived`, `${tag} both`, `${tag} draft`, `${tag} public`]);
    const statuses = await gql(h, PLANS, { filter: { catalogId: catalogs.public, status: ['DRAFT', 'ARCHIVED'] } }, h.admin);
    expect(statuses.data.plans.edges.map((e: any) => e.node.name).sort()).toEqual([`${tag} archived`, `${tag} draft`]);
    expect((await gql(h, PLANS, { filter: { catalogId: catalogs.public, status: ['DRAFT'] } }, null)).data.plans.totalCount).toBe(0);

    for (const [field, filter] of [
      ['filter.catalogId', { catalogId: 'nope' }],
      ['filter.productId', { productId: 'nope' }],
      ['filter.search', { search: 'x'.repeat(101) }],
    ] as const) {
      expect((await gql(h, PLANS, { filter }, h.admin)).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    // LIKE wildcards match themselves.
    expect((await gql(h, PLANS, { filter: { search: `${tag.slice(0, 4)}%` } }, h.admin)).data.plans.totalCount).toBe(0);
  });

  it('resolves Plan references in one plans statement, hiding what the caller may not see', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Plan { id name } } }`;
    const r = [plans.public, plans.orgA, plans.draft].map((p) => ({ __typename: 'Plan', id: p.id }));
    h.queries.length = 0;
    const res = await gql(h, query, { r }, members.d);
    expect(res.data._entities).toEqual([{ id: plans.public.id, name: plans.public.name }, null, null]);
    expect(h.queries.filter((sql) => /"plans"\."plan"(?!_)/.test(sql))).toHaveLength(1);
    const asA = await gql(h, query, { r }, members.a);
    expect(asA.data._entities.map((e: any) => e?.id ?? null)).toEqual([plans.public.id, plans.orgA.id, null]);
  });
});

describe('plans: Catalog.plans and Product.availablePlans', () => {
  const CATALOG_PLANS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Catalog { id plans { name tier status } } } }`;
  const PRODUCT_PLANS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id availablePlans { name tier status } } } }`;
  const member = developer();
  const outsider = developer();
  let tag: string;
  let pub: string;
  let priv: string;
  let spare: string[];

  beforeAll(async () => {
    tag = unique('ord').replace(/-/g, '_');
    const org = await createOrganization(h, member.sub);
    pub = await createCatalog(h, 'PUBLIC');
    priv = await createCatalog(h, 'PRIVATE', { organizationIds: [org] });
    spare = [
      await createCatalog(h, 'PUBLIC'),
      await createCatalog(h, 'PUBLIC'),
      await createCatalog(h, 'PUBLIC'),
      await createCatalog(h, 'PUBLIC'),
    ];
    const make = (key: string, tier: number, catalogIds: string[], status = 'PUBLISHED') =>
      createPlan(h, { name: `${tag} ${key}`, tier, catalogIds, status });
    await make('b', 2, [pub]);
    await make('z', 1, [pub, priv]);
    await make('a', 1, [pub]);
    await make('draft', 0, [pub], 'DRAFT');
    await make('private', 0, [priv]);
    await make('spare', 3, spare);
  });

  const planNames = (list: { name: string }[]) => list.map((p) => p.name.slice(tag.length + 1));

  it('lists a catalog’s plans by tier then name: published ones for those who see the catalog, all for admins', async () => {
    const r = [pub, priv].map((id) => ({ __typename: 'Catalog', id }));
    const anonymous = await gql(h, CATALOG_PLANS, { r }, null);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data._entities.map((c: any) => planNames(c.plans))).toEqual([['a', 'z', 'b'], []]);
    const asMember = await gql(h, CATALOG_PLANS, { r }, member);
    expect(asMember.data._entities.map((c: any) => planNames(c.plans))).toEqual([
      ['a', 'z', 'b'],
      ['private', 'z'],
    ]);
    const asOutsider = await gql(h, CATALOG_PLANS, { r }, outsider);
    expect(asOutsider.data._entities.map((c: any) => planNames(c.plans))).toEqual([['a', 'z', 'b'], []]);
    const asAdmin = await gql(h, CATALOG_PLANS, { r }, h.admin);
    expect(asAdmin.data._entities.map((c: any) => planNames(c.plans))).toEqual([
      ['draft', 'a', 'z', 'b'],
      ['private', 'z'],
    ]);
    expect(asAdmin.data._entities[0].plans[0]).toEqual({ name: `${tag} draft`, tier: 0, status: 'DRAFT' });
  });

  it('lists a product’s available plans by tier then name, through the catalogs the caller sees', async () => {
    const inBoth = await createProduct(h, [pub, priv]);
    const onlyPrivate = await createProduct(h, [priv]);
    const nowhere = await createProduct(h);
    const r = [inBoth, onlyPrivate, nowhere].map((id) => ({ __typename: 'Product', id }));
    const anonymous = await gql(h, PRODUCT_PLANS, { r }, null);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data._entities.map((p: any) => planNames(p.availablePlans))).toEqual([['a', 'z', 'b'], [], []]);
    const asMember = await gql(h, PRODUCT_PLANS, { r }, member);
    expect(asMember.data._entities.map((p: any) => planNames(p.availablePlans))).toEqual([
      ['private', 'a', 'z', 'b'],
      ['private', 'z'],
      [],
    ]);
    const asOutsider = await gql(h, PRODUCT_PLANS, { r }, outsider);
    expect(asOutsider.data._entities.map((p: any) => planNames(p.availablePlans))).toEqual([['a', 'z', 'b'], [], []]);
    const asAdmin = await gql(h, PRODUCT_PLANS, { r }, h.admin);
    expect(asAdmin.data._entities.map((p: any) => planNames(p.availablePlans))).toEqual([
      ['draft', 'private', 'a', 'z', 'b'],
      ['private', 'z'],
      [],
    ]);
  });

  it('runs the same number of SQL statements for 1 and for 5 representations (batched, no N+1)', async () => {
    const products = [await createProduct(h, [pub]), ...(await Promise.all(spare.map((c) => createProduct(h, [c, priv]))))];
    const catalogIds = [pub, ...spare];
    const count = async (query: string, r: unknown[], identity: Identity | null) => {
      h.queries.length = 0;
      const res = await gql(h, query, { r }, identity);
      expect(res.errors).toBeUndefined();
      expect(res.data._entities.every((e: any) => (e.plans ?? e.availablePlans).length > 0)).toBe(true);
      return h.queries.length;
    };
    for (const identity of [null, member, h.admin]) {
      const catalogs = (ids: string[]) => ids.map((id) => ({ __typename: 'Catalog', id }));
      const productReps = (ids: string[]) => ids.map((id) => ({ __typename: 'Product', id }));
      const oneCatalog = await count(CATALOG_PLANS, catalogs(catalogIds.slice(0, 1)), identity);
      expect(await count(CATALOG_PLANS, catalogs(catalogIds), identity)).toBe(oneCatalog);
      expect(oneCatalog).toBeLessThanOrEqual(2);
      const oneProduct = await count(PRODUCT_PLANS, productReps(products.slice(0, 1)), identity);
      expect(await count(PRODUCT_PLANS, productReps(products), identity)).toBe(oneProduct);
      expect(oneProduct).toBeLessThanOrEqual(3);
    }
    // Nested: each plan's catalogs, for many plans, stays one statement per request too.
    const nested = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Catalog { plans { name catalogs { id } } } } }`;
    h.queries.length = 0;
    await gql(h, nested, { r: [{ __typename: 'Catalog', id: pub }] }, h.admin);
    const one = h.queries.length;
    h.queries.length = 0;
    await gql(h, nested, { r: catalogIds.map((id) => ({ __typename: 'Catalog', id })) }, h.admin);
    expect(h.queries.length).toBe(one);
  });
});

describe('plans: validation (each rule refuses with a typed error, writes nothing, enqueues nothing)', () => {
  type Target = 'draft' | 'draftWithoutCatalog' | 'published' | 'archived';
  interface Rule {
    rule: string;
    mutation: MutationName;
    target?: Target;
    input: (f: { plan: PlanResult; catalog: string; taken: string }) => Record<string, unknown>;
    code: string;
    field: string;
  }
  let catalog: string;
  let taken: string;

  beforeAll(async () => {
    catalog = await createCatalog(h, 'PUBLIC');
    taken = (await createPlan(h)).name;
  });

  /** A createPlan rule: a valid input with `override` applied. */
  const create = (
    rule: string,
    override: (f: { catalog: string; taken: string }) => Record<string, unknown>,
    code: string,
    field: string,
  ): Rule => ({
    rule,
    mutation: 'createPlan',
    input: (f) => ({ name: unique('valid'), displayName: 'Plan', catalogIds: [f.catalog], ...override(f) }),
    code,
    field,
  });
  const V = 'VALIDATION_FAILED';
  const metadataKey = (key: string) => () => ({ credentialMetadata: [{ key, value: 'x' }] });
  const SECRET_KEYS = [
    'db_password',
    'PASSWD',
    'clientSecret',
    'accessToken',
    'apikey',
    'X-API-KEY',
    'api_key_id',
    'private_key',
    'PrivateKey',
    'credentials',
  ];
  const RESERVED_KEYS = ['DeveloperID', 'applicationid', 'OrganisationID', 'TeamIDs', 'rate_limit_pattern', 'QUOTA_PATTERN'];

  const rules: Rule[] = [
    create('name with characters outside letters, digits, space, - and _', () => ({ name: 'no/slashes!' }), V, 'input.name'),
    create('name longer than 100 characters', () => ({ name: 'a'.repeat(101) }), V, 'input.name'),
    create('blank name', () => ({ name: '   ' }), V, 'input.name'),
    create('blank display name', () => ({ displayName: '  ' }), V, 'input.displayName'),
    create('display name longer than 120 characters', () => ({ displayName: 'x'.repeat(121) }), V, 'input.displayName'),
    create('display name with a line break', () => ({ displayName: 'Gold\nPlan' }), V, 'input.displayName'),
    create('description longer than 20,000 characters', () => ({ description: 'x'.repeat(20001) }), V, 'input.description'),
    create('quota of 0 requests', () => ({ quota: { requests: 0, period: 'DAY' } }), V, 'input.quota.requests'),
    create('negative quota', () => ({ quota: { requests: -5, period: 'DAY' } }), V, 'input.quota.requests'),
    create('quota above 1,000,000,000 requests', () => ({ quota: { requests: 1_000_000_001, period: 'DAY' } }), V, 'input.quota.requests'),
    create('CUSTOM period without periodSeconds', () => ({ quota: { requests: 1, period: 'CUSTOM' } }), V, 'input.quota.periodSeconds'),
    create(
      'CUSTOM period under 60 seconds',
      () => ({ quota: { requests: 1, period: 'CUSTOM', periodSeconds: 59 } }),
      V,
      'input.quota.periodSeconds',
    ),
    create(
      'CUSTOM period over a year',
      () => ({ quota: { requests: 1, period: 'CUSTOM', periodSeconds: 31_536_001 } }),
      V,
      'input.quota.periodSeconds',
    ),
    create(
      'periodSeconds given for a named period',
      () => ({ quota: { requests: 1, period: 'DAY', periodSeconds: 86400 } }),
      V,
      'input.quota.periodSeconds',
    ),
    create('rate limit of 0 requests', () => ({ rateLimit: { requests: 0, perSeconds: 1 } }), V, 'input.rateLimit.requests'),
    create(
      'rate limit above 1,000,000 requests',
      () => ({ rateLimit: { requests: 1_000_001, perSeconds: 1 } }),
      V,
      'input.rateLimit.requests',
    ),
    create('rate window of 0 seconds', () => ({ rateLimit: { requests: 1, perSeconds: 0 } }), V, 'input.rateLimit.perSeconds'),
    create('rate window over a day', () => ({ rateLimit: { requests: 1, perSeconds: 86_401 } }), V, 'input.rateLimit.perSeconds'),
    create('key lifetime under 60 seconds', () => ({ keyExpiresAfterSeconds: 59 }), V, 'input.keyExpiresAfterSeconds'),
    create('key lifetime over 5 years', () => ({ keyExpiresAfterSeconds: 157_680_001 }), V, 'input.keyExpiresAfterSeconds'),
    create('scope with a double quote', () => ({ jwtScopes: ['read "x"'] }), V, 'input.jwtScopes'),
    create('scope with a backslash', () => ({ jwtScopes: ['a\\b'] }), V, 'input.jwtScopes'),
    create('scope with non-ASCII characters', () => ({ jwtScopes: ['lecture✓'] }), V, 'input.jwtScopes'),
    create('scope longer than 128 characters', () => ({ jwtScopes: ['s'.repeat(129)] }), V, 'input.jwtScopes'),
    create('scope entry holding no scope', () => ({ jwtScopes: ['read', ' , '] }), V, 'input.jwtScopes[1]'),
    create('more than 50 scopes', () => ({ jwtScopes: [Array.from({ length: 51 }, (_, i) => `s${i}`).join(',')] }), V, 'input.jwtScopes'),
    create(
      'more than 20 metadata entries',
      () => ({ credentialMetadata: Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }),
      V,
      'input.credentialMetadata',
    ),
    create('metadata key with a space', metadataKey('bad key'), V, 'input.credentialMetadata[0].key'),
    create('empty metadata key', metadataKey(''), V, 'input.credentialMetadata[0].key'),
    create('metadata key longer than 64 characters', metadataKey('k'.repeat(65)), V, 'input.credentialMetadata[0].key'),
    create(
      'metadata keys equal ignoring case',
      () => ({
        credentialMetadata: [
          { key: 'Region', value: 'eu' },
          { key: 'region', value: 'us' },
        ],
      }),
      V,
      'input.credentialMetadata[1].key',
    ),
    create(
      'metadata value longer than 512 characters',
      () => ({ credentialMetadata: [{ key: 'k', value: 'v'.repeat(513) }] }),
      V,
      'input.credentialMetadata[0].value',
    ),
    create(
      'metadata value with a line break',
      () => ({ credentialMetadata: [{ key: 'k', value: 'a\r\nX-Injected: 1' }] }),
      V,
      'input.credentialMetadata[0].value',
    ),
    ...SECRET_KEYS.map((key) => create(`secret-looking metadata key ${key}`, metadataKey(key), V, 'input.credentialMetadata[0].key')),
    ...RESERVED_KEYS.map((key) => create(`metadata key the platform sets: ${key}`, metadataKey(key), V, 'input.credentialMetadata[0].key')),
    create(
      'access request allowance of 0',
      () => ({ accessRequestLimit: { allowance: 0, renewalSeconds: 86400 } }),
      V,
      'input.accessRequestLimit.allowance',
    ),
    create(
      'access request allowance above 1000',
      () => ({ accessRequestLimit: { allowance: 1001, renewalSeconds: 86400 } }),
      V,
      'input.accessRequestLimit.allowance',
    ),
    create(
      'renewal interval under an hour',
      () => ({ accessRequestLimit: { allowance: 1, renewalSeconds: 3599 } }),
      V,
      'input.accessRequestLimit.renewalSeconds',
    ),
    create(
      'renewal interval over a year',
      () => ({ accessRequestLimit: { allowance: 1, renewalSeconds: 31_536_001 } }),
      V,
      'input.accessRequestLimit.renewalSeconds',
    ),
    create('negative tier', () => ({ tier: -1 }), V, 'input.tier'),
    create('tier above 1000', () => ({ tier: 1001 }), V, 'input.tier'),
    create('0 trial days', () => ({ trialDays: 0 }), V, 'input.trialDays'),
    create('more than 365 trial days', () => ({ trialDays: 366 }), V, 'input.trialDays'),
    create('unknown catalog id', ({ catalog: c }) => ({ catalogIds: [c, randomUUID()] }), 'NOT_FOUND', 'input.catalogIds'),
    create('duplicate name', ({ taken: t }) => ({ name: t }), 'ALREADY_EXISTS', 'input.name'),
    create('publishing on create without a catalog', () => ({ catalogIds: [], status: 'PUBLISHED' }), 'NO_CATALOG', 'input.catalogIds'),
    create('creating an ARCHIVED plan', () => ({ status: 'ARCHIVED' }), 'INVALID_TRANSITION', 'input.status'),
    {
      rule: 'update: null for a required setting',
      mutation: 'updatePlan',
      target: 'draft',
      input: ({ plan }) => ({ id: plan.id, displayName: null }),
      code: V,
      field: 'input.displayName',
    },
    {
      rule: 'update: the same rules as create',
      mutation: 'updatePlan',
      target: 'draft',
      input: ({ plan }) => ({ id: plan.id, quota: { requests: 0, period: 'DAY' } }),
      code: V,
      field: 'input.quota.requests',
    },
    {
      rule: 'update: unknown plan',
      mutation: 'updatePlan',
      input: () => ({ id: randomUUID(), tier: 1 }),
      code: 'NOT_FOUND',
      field: 'input.id',
    },
    {
      rule: 'update: duplicate name',
      mutation: 'updatePlan',
      target: 'draft',
      input: ({ plan, taken: t }) => ({ id: plan.id, name: t }),
      code: 'ALREADY_EXISTS',
      field: 'input.name',
    },
    {
      rule: 'update: unknown catalog',
      mutation: 'updatePlan',
      target: 'draft',
      input: ({ plan }) => ({ id: plan.id, catalogIds: [randomUUID()] }),
      code: 'NOT_FOUND',
      field: 'input.catalogIds',
    },
    {
      rule: 'update: stale expectedVersion',
      mutation: 'updatePlan',
      target: 'draft',
      input: ({ plan }) => ({ id: plan.id, expectedVersion: 7, tier: 1 }),
      code: 'VERSION_CONFLICT',
      field: 'input.expectedVersion',
    },
    {
      rule: 'update: archived plan',
      mutation: 'updatePlan',
      target: 'archived',
      input: ({ plan }) => ({ id: plan.id, tier: 1 }),
      code: 'INVALID_TRANSITION',
      field: 'input.id',
    },
    {
      rule: 'update: removing the last catalog of a published plan',
      mutation: 'updatePlan',
      target: 'published',
      input: ({ plan }) => ({ id: plan.id, catalogIds: [] }),
      code: 'NO_CATALOG',
      field: 'input.catalogIds',
    },
    {
      rule: 'publish: plan without catalog',
      mutation: 'publishPlan',
      target: 'draftWithoutCatalog',
      input: ({ plan }) => ({ id: plan.id }),
      code: 'NO_CATALOG',
      field: 'input.id',
    },
    {
      rule: 'publish: published plan',
      mutation: 'publishPlan',
      target: 'published',
      input: ({ plan }) => ({ id: plan.id }),
      code: 'INVALID_TRANSITION',
      field: 'input.id',
    },
    {
      rule: 'publish: stale expectedVersion',
      mutation: 'publishPlan',
      target: 'draft',
      input: ({ plan }) => ({ id: plan.id, expectedVersion: 2 }),
      code: 'VERSION_CONFLICT',
      field: 'input.expectedVersion',
    },
    { rule: 'publish: unknown plan', mutation: 'publishPlan', input: () => ({ id: randomUUID() }), code: 'NOT_FOUND', field: 'input.id' },
    {
      rule: 'archive: archived plan',
      mutation: 'archivePlan',
      target: 'archived',
      input: ({ plan }) => ({ id: plan.id }),
      code: 'INVALID_TRANSITION',
      field: 'input.id',
    },
    {
      rule: 'archive: stale expectedVersion',
      mutation: 'archivePlan',
      target: 'published',
      input: ({ plan }) => ({ id: plan.id, expectedVersion: 5 }),
      code: 'VERSION_CONFLICT',
      field: 'input.expectedVersion',
    },
    {
      rule: 'rollback: unknown version',
      mutation: 'rollbackPlan',
      target: 'published',
      input: ({ plan }) => ({ id: plan.id, toVersion: 9 }),
      code: 'NOT_FOUND',
      field: 'input.toVersion',
    },
    {
      rule: 'rollback: archived plan',
      mutation: 'rollbackPlan',
      target: 'archived',
      input: ({ plan }) => ({ id: plan.id, toVersion: 1 }),
      code: 'INVALID_TRANSITION',
      field: 'input.id',
    },
    {
      rule: 'rollback: stale expectedVersion',
      mutation: 'rollbackPlan',
      target: 'published',
      input: ({ plan }) => ({ id: plan.id, toVersion: 1, expectedVersion: 5 }),
      code: 'VERSION_CONFLICT',
      field: 'input.expectedVersion',
    },
    {
      rule: 'delete: published plan',
      mutation: 'deletePlan',
      target: 'published',
      input: ({ plan }) => ({ id: plan.id }),
      code: 'ARCHIVE_INSTEAD',
      field: 'input.id',
    },
    {
      rule: 'delete: archived plan that was published',
      mutation: 'deletePlan',
      target: 'archived',
      input: ({ plan }) => ({ id: plan.id }),
      code: 'ARCHIVE_INSTEAD',
      field: 'input.id',
    },
    { rule: 'delete: unknown plan', mutation: 'deletePlan', input: () => ({ id: randomUUID() }), code: 'NOT_FOUND', field: 'input.id' },
  ];

  async function targetPlan(target: Target | undefined): Promise<PlanResult> {
    if (!target) return { id: randomUUID(), name: unique('none'), version: 0, status: 'NONE' };
    if (target === 'draftWithoutCatalog') return createPlan(h);
    const plan = await createPlan(h, { catalogIds: [catalog], status: target === 'draft' ? 'DRAFT' : 'PUBLISHED' });
    return target === 'archived' ? ok(h, 'archivePlan', { id: plan.id }) : plan;
  }

  /** Everything a mutation could have written for this plan or name. */
  async function footprint(planId: string, name: unknown) {
    const { rows } = await h.db.query(
      `select (select count(*)::int from plans.plan where name = $2) as named,
              (select row_to_json(p) from plans.plan p where id = $1) as plan,
              (select count(*)::int from plans.plan_version where plan_id = $1 or settings ->> 'name' = $2) as versions`,
      [planId, typeof name === 'string' ? name.trim() : ''],
    );
    return { ...rows[0], job: await syncJob(h, planId) };
  }

  it.each(rules)('$rule → $code on $field', async ({ mutation, target, input, code, field }) => {
    const plan = await targetPlan(target);
    const variables = input({ plan, catalog, taken });
    const planId = isUuidLike(variables.id) ? String(variables.id) : plan.id;
    const before = await footprint(planId, variables.name);
    h.queries.length = 0;
    const res = await mutate(h, mutation, variables);
    expect(res.errors).toBeUndefined();
    const payload = res.data[mutation];
    expect(payload.errors).toEqual([{ code, field, message: expect.any(String) }]);
    expect(payload.errors[0].message.length).toBeGreaterThan(15);
    expect(payload.plan ?? payload.deletedPlanId ?? null).toBeNull();
    expect(enqueuedSince(h)).toBe(false);
    expect(await footprint(planId, variables.name)).toEqual(before);
  });

  function isUuidLike(value: unknown): boolean {
    return typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value);
  }

  it.each([
    ['createPlan', () => ({ name: unique('valid'), displayName: 'Plan', catalogIds: ['payments'] }), 'input.catalogIds[0]'],
    ['publishPlan', () => ({ id: 'not-a-uuid' }), 'input.id'],
    ['createPlan', () => ({ name: unique('valid'), displayName: 'Plan', description: 'a\u0000b' }), 'input.description'],
  ] as const)('%s: a malformed id is BAD_USER_INPUT on %s, before the resolver', async (mutation, input, field) => {
    h.queries.length = 0;
    const res = await mutate(h, mutation, input());
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(h.queries).toEqual([]);
  });

  it('reports every invalid field of one input together', async () => {
    const res = await mutate(h, 'createPlan', {
      name: 'bad/name',
      displayName: ' ',
      quota: { requests: 0, period: 'HOUR', periodSeconds: 5 },
      rateLimit: { requests: 0, perSeconds: 0 },
      tier: -3,
    });
    expect(res.data.createPlan.errors.map((e: any) => e.field).sort()).toEqual([
      'input.displayName',
      'input.name',
      'input.quota.periodSeconds',
      'input.quota.requests',
      'input.rateLimit.perSeconds',
      'input.rateLimit.requests',
      'input.tier',
    ]);
  });
});

describe('plans: schema', () => {
  it('composes with the products subgraph and documents everything it adds', async () => {
    const services = [];
    for (const module of [productsSubgraph, plansSubgraph]) {
      const schema = await module.buildSchema(new PgPubSub());
      services.push({ name: module.name, url: `http://localhost/${module.name}`, typeDefs: parse(printSubgraphSchema(schema)) });
    }
    const result = composeServices(services);
    expect(result.errors ?? []).toEqual([]);
    const schema = buildSchema(result.publicSdl!);
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
      if (!type.description?.trim() && !['Query', 'Mutation'].includes(type.name)) missing.push(type.name);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(Object.keys((schema.getType('Product') as GraphQLObjectType).getFields())).toContain('availablePlans');
    expect(Object.keys((schema.getType('Catalog') as GraphQLObjectType).getFields())).toContain('plans');
    expect(Object.keys((schema.getType('Plan') as GraphQLObjectType).getFields())).not.toContain('productIds');
  });
});
