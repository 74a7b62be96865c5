/**
 * Dashboard-first import, the plans side: `plans.importPolicy` jobs (as the provider enqueues
 * them, here with SQL) create bare DRAFT plans with the given id, follow renames and limit
 * changes as versions by `system:import`, keep values within the plan rules, and are idempotent.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest } from '../../test/helpers/graphql';
import { Seed } from '../../test/kit/seed';
import { waitFor } from '../../test/helpers/wait';
import { clampLimits } from './services/import';
import { plansSubgraph } from '.';

const admin = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
const PLAN = `query($id: ID!) { plan(id: $id) { id name displayName description status version catalogs { id } keyExpiresAfterSeconds
  quota { unlimited requests period periodSeconds } rateLimit { unlimited requests perSeconds } credentialMetadata { key value } } }`;
const VERSIONS = `query($id: ID!) { planVersions(planId: $id, first: 10) { totalCount edges { node { version action changedBy changes { field before after } } } } }`;

describe('plans.importPolicy', () => {
  let plans: RunningSubgraph;
  let db: pg.Pool;
  let seed: Seed;
  const providerId = randomUUID();

  beforeAll(async () => {
    plans = await startSubgraph(plansSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    seed = new Seed({ plans: plans.url }, admin);
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await plans?.stop();
  });

  const payload = (overrides: Record<string, unknown> = {}): Record<string, any> => ({
    providerId,
    policyId: unique('policy'),
    planId: randomUUID(),
    name: unique('Gold EU'),
    quota: { requests: 5000, periodSeconds: 2592000 },
    rateLimit: { requests: 50, perSeconds: 60 },
    keyExpiresAfterSeconds: 86400,
    credentialMetadata: [{ key: 'region', value: 'eu' }],
    reason: 'NEW',
    ...overrides,
  });
  type Payload = Record<string, any>;

  /** Enqueues the job as the provider does and waits until a worker has run it. */
  const runImport = async (job: Payload) => {
    const key = `import:${job.providerId}:${job.policyId}`;
    await db.query(`select graphile_worker.add_job('plans.importPolicy', $1::json, job_key := $2)`, [JSON.stringify(job), key]);
    await waitFor(async () => (await db.query('select 1 from graphile_worker.jobs where key = $1', [key])).rowCount === 0, {
      what: `job ${key} to run`,
    });
  };
  const plan = async (id: string) => (await subgraphRequest(plans.url, PLAN, { id }, admin)).data.plan;
  const versions = async (id: string) => (await subgraphRequest(plans.url, VERSIONS, { id }, admin)).data.planVersions;

  it('creates a bare DRAFT plan with the given id, once', async () => {
    const job = payload();
    await db.query(`select graphile_worker.add_job('plans.importPolicy', $1::json, job_key := $2)`, [
      JSON.stringify(job),
      `import:${providerId}:${job.policyId}`,
    ]);
    const row = await waitFor(async () => (await db.query('select * from plans.plan where id = $1', [job.planId])).rows[0], {
      what: 'the imported plan',
    });
    expect(row).toMatchObject({ name: job.name, display_name: job.name, description: '', status: 'DRAFT', version: 1, catalog_ids: [] });
    expect(await plan(job.planId)).toMatchObject({
      name: job.name,
      displayName: job.name,
      description: '',
      status: 'DRAFT',
      catalogs: [],
      keyExpiresAfterSeconds: 86400,
      quota: { unlimited: false, requests: 5000, period: 'MONTH', periodSeconds: 2592000 },
      rateLimit: { unlimited: false, requests: 50, perSeconds: 60 },
      credentialMetadata: [{ key: 'region', value: 'eu' }],
    });
    expect((await versions(job.planId)).edges.map((e: any) => [e.node.version, e.node.action, e.node.changedBy])).toEqual([
      [1, 'CREATED', 'system:import'],
    ]);
    // The audit log records who: the import, not an anonymous request.
    const audit = await db.query(`select actor, action, change from platform.audit_log where target_type = 'Plan' and target_id = $1`, [
      job.planId,
    ]);
    expect(audit.rows).toEqual([{ actor: 'system:import', action: 'plans.importPolicy', change: 'CREATE' }]);
    // No provider sync for a change that came from the provider.
    expect((await db.query('select 1 from graphile_worker.jobs where key = $1', [`plan:${job.planId}`])).rowCount).toBe(0);

    // Twice: nothing changes the second time (also when the provider sends it again as NEW or CHANGED).
    await runImport(job);
    await runImport({ ...job, reason: 'CHANGED' });
    expect((await plan(job.planId)).version).toBe(1);
    expect((await versions(job.planId)).totalCount).toBe(1);
  });

  it('follows a rename and limit changes as new versions by system:import', async () => {
    const job = payload();
    await runImport(job);
    const renamed = { ...job, name: `${job.name} Europe`, reason: 'RENAMED' };
    await runImport(renamed);
    expect(await plan(job.planId)).toMatchObject({ name: renamed.name, displayName: renamed.name, version: 2 });
    const history = await versions(job.planId);
    expect(history.edges[0].node).toMatchObject({ version: 2, action: 'UPDATED', changedBy: 'system:import' });
    expect(history.edges[0].node.changes.map((c: any) => c.field)).toEqual(['name', 'displayName']);
    await runImport(renamed);
    expect((await plan(job.planId)).version).toBe(2);

    const changed = { ...renamed, quota: { requests: 100, periodSeconds: 3600 }, rateLimit: null, reason: 'CHANGED' };
    await runImport(changed);
    expect(await plan(job.planId)).toMatchObject({
      version: 3,
      quota: { requests: 100, period: 'HOUR', periodSeconds: 3600 },
      rateLimit: { unlimited: true },
    });

    // A display name edited in the portal is kept on the next rename; the name follows.
    const edited = await subgraphRequest(
      plans.url,
      `mutation($i: UpdatePlanInput!) { updatePlan(input: $i) { errors { code } } }`,
      { i: { id: job.planId, displayName: 'Gold (portal)' } },
      admin,
    );
    expect(edited.data.updatePlan.errors).toEqual([]);
    await runImport({ ...changed, name: `${job.name} EU`, reason: 'RENAMED' });
    expect(await plan(job.planId)).toMatchObject({ name: `${job.name} EU`, displayName: 'Gold (portal)', version: 5 });
  });

  it('suffixes a name another plan holds, and stays with it', async () => {
    const name = unique('Taken');
    await seed.plan({ name, status: 'DRAFT' });
    const job = payload({ name });
    await runImport(job);
    expect(await plan(job.planId)).toMatchObject({ name: `${name} 2`, displayName: name, version: 1 });
    await runImport({ ...job, reason: 'CHANGED' });
    expect(await plan(job.planId)).toMatchObject({ name: `${name} 2`, version: 1 });
    const other = payload({ name });
    await runImport(other);
    expect((await plan(other.planId)).name).toBe(`${name} 3`);
  });

  it('brings values within the plan rules (unlimited when out of range) and makes names valid', async () => {
    const job = payload({
      name: `Gold (EU) ${randomUUID().slice(0, 8)}`,
      quota: { requests: 1000.4, periodSeconds: 5000 },
      rateLimit: { requests: 0.4, perSeconds: 1 },
      keyExpiresAfterSeconds: 10,
      credentialMetadata: [
        { key: 'region', value: 'eu' },
        { key: 'api_password', value: 'x' },
        { key: 'DeveloperID', value: 'y' },
        { key: 'bad key', value: 'z' },
      ],
    });
    await runImport(job);
    const imported = await plan(job.planId);
    expect(imported).toMatchObject({
      name: job.name.replace('(EU)', '-EU-'),
      displayName: job.name,
      quota: { requests: 1000, period: 'CUSTOM', periodSeconds: 5000 },
      rateLimit: { unlimited: true },
      keyExpiresAfterSeconds: null,
      credentialMetadata: [{ key: 'region', value: 'eu' }],
    });
    expect(
      clampLimits({
        quota: { requests: 10, periodSeconds: null },
        rateLimit: { requests: 2e6, perSeconds: 1 },
        keyExpiresAfterSeconds: 3e9,
        credentialMetadata: [],
      }),
    ).toMatchObject({
      quota: null,
      rateLimit: null,
      keyExpiresAfterSeconds: null,
      notes: [expect.stringMatching(/never renews/), expect.stringMatching(/rate limit/), expect.stringMatching(/key lifetime/)],
    });
    expect(
      clampLimits({
        quota: { requests: 5, periodSeconds: 604800 },
        rateLimit: { requests: 9.6, perSeconds: 0.6 },
        keyExpiresAfterSeconds: 59.6,
        credentialMetadata: [],
      }),
    ).toMatchObject({
      quota: { requests: 5, period: 'WEEK', periodSeconds: 604800 },
      rateLimit: { requests: 10, perSeconds: 1 },
      keyExpiresAfterSeconds: 60,
      notes: [],
    });
  });

  it('does not re-create a plan deleted in the portal, and drops malformed jobs', async () => {
    const name = unique('Deleted');
    const id = await seed.plan({ name, status: 'DRAFT' });
    const deleted = await subgraphRequest(
      plans.url,
      `mutation($i: DeletePlanInput!) { deletePlan(input: $i) { errors { code } } }`,
      { i: { id } },
      admin,
    );
    expect(deleted.data.deletePlan.errors).toEqual([]);
    await runImport(payload({ planId: id, name, reason: 'REAPPEARED' }));
    expect((await db.query('select 1 from plans.plan where id = $1', [id])).rowCount).toBe(0);

    const malformed = payload({ planId: 'not-a-uuid' });
    await runImport(malformed);
    expect((await db.query('select 1 from plans.plan where name = $1', [malformed.name])).rowCount).toBe(0);
  });
});
