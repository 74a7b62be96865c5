/**
 * Governance of plans: step-up for deletePlan, and separation of duties with
 * PLAN_CHANGE_APPROVAL=required — direct changes of limits, scopes and visibility are refused,
 * proposals show their diff, a different portal admin approves (a new version with approvedBy) or
 * rejects, the proposer never decides their own change, and a stale proposal is SUPERSEDED.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { Seed } from '../../test/kit/seed';
import { productsSubgraph } from '../products';
import { plansSubgraph } from '.';

const PLAN = 'id name status version quota { unlimited requests period } catalogs { id }';
const ERRORS = 'errors { code field message }';
const REQUEST =
  'id planId proposedBy proposedAt baseVersion status decidedBy decidedAt reason decisionReason appliedVersion changes { field before after } plan { id version }';

const M = {
  create: `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
  update: `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
  publish: `mutation($input: PublishPlanInput!) { publishPlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
  archive: `mutation($input: ArchivePlanInput!) { archivePlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
  rollback: `mutation($input: RollbackPlanInput!) { rollbackPlan(input: $input) { plan { ${PLAN} } ${ERRORS} } }`,
  delete: `mutation($input: DeletePlanInput!) { deletePlan(input: $input) { deletedPlanId ${ERRORS} } }`,
  propose: `mutation($input: ProposePlanChangeInput!) { proposePlanChange(input: $input) { changeRequest { ${REQUEST} } ${ERRORS} } }`,
  approve: `mutation($input: ApprovePlanChangeInput!) { approvePlanChange(input: $input) { changeRequest { ${REQUEST} } plan { ${PLAN} } ${ERRORS} } }`,
  reject: `mutation($input: RejectPlanChangeInput!) { rejectPlanChange(input: $input) { changeRequest { ${REQUEST} } ${ERRORS} } }`,
};

const LIST = `query($planId: ID, $status: PlanChangeRequestStatus) { planChangeRequests(planId: $planId, status: $status, first: 50) { totalCount edges { node { id status } } } }`;
const VERSIONS = `query($planId: ID!) { planVersions(planId: $planId, first: 5) { edges { node { version action changedBy approvedBy changes { field } } } } }`;

const mfa = (identity: Identity): Identity => ({ ...identity, amr: ['pwd', 'mfa'] });

describe('plans governance', () => {
  let products: RunningSubgraph;
  let open: RunningSubgraph;
  let governed: RunningSubgraph;
  let db: pg.Pool;
  let seed: Seed;
  const alice = mfa(portalAdmin());
  const bob = mfa(portalAdmin());

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    products = await startSubgraph(productsSubgraph, { databaseUrl, port: 0 });
    open = await startSubgraph(plansSubgraph, { databaseUrl, port: 0 });
    governed = await startSubgraph(plansSubgraph, { databaseUrl, port: 0, env: { ...process.env, PLAN_CHANGE_APPROVAL: 'required' } });
    seed = new Seed({ products: products.url, plans: governed.url }, alice);
    db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await governed?.stop();
    await open?.stop();
    await products?.stop();
  });

  const gql = (subgraph: RunningSubgraph, query: string, variables: Record<string, unknown>, identity: Identity | null) =>
    subgraphRequest(subgraph.url, query, variables, identity);
  const run = async (name: keyof typeof M, input: Record<string, unknown>, identity: Identity = alice, subgraph = governed) => {
    const response = await gql(subgraph, M[name], { input }, identity);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return Object.values(response.data as Record<string, any>)[0];
  };
  const catalog = () => seed.catalog();
  /** A DRAFT plan of 100 requests a day, created by alice on the governed subgraph. */
  const draft = async () => ({ id: await seed.plan({ status: 'DRAFT', quota: { requests: 100, period: 'DAY' } }) });
  const planRow = async (id: string) =>
    (await db.query('select name, version, status, quota_requests from plans.plan where id = $1', [id])).rows[0];

  describe('step-up: deletePlan', () => {
    it('refuses without an MFA token (nothing deleted), deletes with one', async () => {
      const plan = await draft();
      const refused = await gql(open, M.delete, { input: { id: plan.id } }, portalAdmin());
      expect(refused.errors?.[0]?.extensions?.code).toBe('MFA_REQUIRED');
      expect(refused.errors?.[0]?.message).toMatch(/multi-factor/);
      expect(await planRow(plan.id)).toBeDefined();
      // Role first: a developer with MFA is FORBIDDEN, not asked for MFA.
      expect((await gql(open, M.delete, { input: { id: plan.id } }, mfa(developer()))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const deleted = await run('delete', { id: plan.id }, alice, open);
      expect(deleted).toEqual({ deletedPlanId: plan.id, errors: [] });
      expect(await planRow(plan.id)).toBeUndefined();
    });
  });

  describe('PLAN_CHANGE_APPROVAL=required', () => {
    it('refuses direct changes of limits, scopes and visibility (APPROVAL_REQUIRED, nothing written), applies the rest', async () => {
      const plan = await draft();
      const cat = await catalog();
      for (const [input, field] of [
        [{ quota: { requests: 5, period: 'HOUR' } }, 'input.quota'],
        [{ rateLimit: { requests: 1, perSeconds: 1 } }, 'input.rateLimit'],
        [{ quotaScope: 'APP' }, 'input.quotaScope'],
        [{ keyExpiresAfterSeconds: 3600 }, 'input.keyExpiresAfterSeconds'],
        [{ jwtScopes: ['read'] }, 'input.jwtScopes'],
        [{ catalogIds: [cat] }, 'input.catalogIds'],
        [{ description: 'fine', quota: null }, 'input.quota'],
      ] as const) {
        const payload = await run('update', { id: plan.id, ...input });
        expect({ input, errors: payload.errors }).toEqual({
          input,
          errors: [expect.objectContaining({ code: 'APPROVAL_REQUIRED', field })],
        });
        expect(payload.errors[0].message).toMatch(/proposePlanChange/);
      }
      expect(await planRow(plan.id)).toMatchObject({ version: 1, quota_requests: 100 });
      // Same value again is no change; other settings apply directly.
      const renamed = await run('update', {
        id: plan.id,
        quota: { requests: 100, period: 'DAY' },
        displayName: 'Renamed',
        description: 'Now described',
      });
      expect(renamed.errors).toEqual([]);
      expect(renamed.plan.version).toBe(2);

      expect((await run('publish', { id: plan.id })).errors).toEqual([
        expect.objectContaining({ code: 'APPROVAL_REQUIRED', field: 'input.id' }),
      ]);
      const published = await run('create', { name: unique('plan'), displayName: 'P', catalogIds: [cat], status: 'PUBLISHED' });
      expect(published.errors).toEqual([expect.objectContaining({ code: 'APPROVAL_REQUIRED', field: 'input.status' })]);
      expect((await db.query('select 1 from plans.plan where catalog_ids @> array[$1]::uuid[]', [cat])).rows).toEqual([]);

      // Rolling back to version 1 changes only the display name and description: allowed.
      const back = await run('rollback', { id: plan.id, toVersion: 1 });
      expect(back.errors).toEqual([]);
      expect(await planRow(plan.id)).toMatchObject({ version: 3, status: 'DRAFT' });
    });

    it('refuses a rollback that restores other limits', async () => {
      const plan = await draft();
      // Version 2 with other limits, written while approval was off.
      expect((await run('update', { id: plan.id, quota: { requests: 7, period: 'WEEK' } }, alice, open)).errors).toEqual([]);
      const refused = await run('rollback', { id: plan.id, toVersion: 1 });
      expect(refused.errors).toEqual([expect.objectContaining({ code: 'APPROVAL_REQUIRED', field: 'input.toVersion' })]);
      expect(await planRow(plan.id)).toMatchObject({ version: 2, quota_requests: 7 });
    });

    it('proposes with a diff; another portal admin approves it as a new version with approvedBy', async () => {
      const plan = await draft();
      const cat = await catalog();
      const proposed = await run('propose', {
        id: plan.id,
        expectedVersion: 1,
        reason: 'Launch: more quota, listed in the public catalog',
        changes: { quota: { requests: 1000, period: 'MONTH' }, catalogIds: [cat], status: 'PUBLISHED', description: 'Launch plan' },
      });
      expect(proposed.errors).toEqual([]);
      const request = proposed.changeRequest;
      expect(request).toMatchObject({
        planId: plan.id,
        proposedBy: alice.sub,
        baseVersion: 1,
        status: 'PENDING',
        decidedBy: null,
        decidedAt: null,
        appliedVersion: null,
        plan: { id: plan.id, version: 1 },
      });
      expect(request.changes).toEqual([
        { field: 'description', before: '""', after: '"Launch plan"' },
        {
          field: 'quota',
          before: JSON.stringify({ requests: 100, period: 'DAY', periodSeconds: 86400 }),
          after: JSON.stringify({ requests: 1000, period: 'MONTH', periodSeconds: 2592000 }),
        },
        { field: 'catalogs', before: '[]', after: JSON.stringify([cat]) },
        { field: 'status', before: '"DRAFT"', after: '"PUBLISHED"' },
      ]);
      // Nothing changed yet.
      expect(await planRow(plan.id)).toMatchObject({ version: 1, status: 'DRAFT', quota_requests: 100 });

      // The proposer can neither approve nor reject it.
      expect((await run('approve', { id: request.id })).errors).toEqual([
        expect.objectContaining({ code: 'SELF_APPROVAL_FORBIDDEN', field: 'input.id' }),
      ]);
      expect((await run('reject', { id: request.id, reason: 'changed my mind' })).errors).toEqual([
        expect.objectContaining({ code: 'SELF_APPROVAL_FORBIDDEN' }),
      ]);
      // Only portal admins.
      expect((await gql(governed, M.approve, { input: { id: request.id } }, developer())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const approved = await run('approve', { id: request.id }, bob);
      expect(approved.errors).toEqual([]);
      expect(approved.plan).toMatchObject({
        id: plan.id,
        version: 2,
        status: 'PUBLISHED',
        quota: { requests: 1000, period: 'MONTH' },
        catalogs: [{ id: cat }],
      });
      expect(approved.changeRequest).toMatchObject({ status: 'APPROVED', decidedBy: bob.sub, appliedVersion: 2 });
      const versions = await gql(governed, VERSIONS, { planId: plan.id }, bob);
      expect(versions.data.planVersions.edges[0].node).toMatchObject({
        version: 2,
        action: 'UPDATED',
        changedBy: alice.sub,
        approvedBy: bob.sub,
      });
      expect(versions.data.planVersions.edges[0].node.changes.map((c: any) => c.field)).toEqual([
        'description',
        'quota',
        'catalogs',
        'status',
      ]);
      expect(versions.data.planVersions.edges[1].node).toMatchObject({ version: 1, action: 'CREATED', approvedBy: null });
      // Decided once only.
      expect((await run('approve', { id: request.id }, mfa(portalAdmin()))).errors).toEqual([
        expect.objectContaining({ code: 'INVALID_TRANSITION' }),
      ]);
    });

    it('rejects with a reason; nothing changes', async () => {
      const plan = await draft();
      const { changeRequest } = await run('propose', {
        id: plan.id,
        reason: 'tighter',
        changes: { rateLimit: { requests: 1, perSeconds: 10 } },
      });
      expect((await run('reject', { id: changeRequest.id, reason: '   ' }, bob)).errors).toEqual([
        expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'input.reason' }),
      ]);
      const rejected = await run('reject', { id: changeRequest.id, reason: 'Too tight for the launch' }, bob);
      expect(rejected.errors).toEqual([]);
      expect(rejected.changeRequest).toMatchObject({
        status: 'REJECTED',
        decidedBy: bob.sub,
        decisionReason: 'Too tight for the launch',
        appliedVersion: null,
      });
      expect(await planRow(plan.id)).toMatchObject({ version: 1 });
      expect((await run('approve', { id: changeRequest.id }, mfa(portalAdmin()))).errors).toEqual([
        expect.objectContaining({ code: 'INVALID_TRANSITION' }),
      ]);
    });

    it('refuses approving a change whose plan moved on (VERSION_CONFLICT) and marks it SUPERSEDED', async () => {
      const plan = await draft();
      const { changeRequest } = await run('propose', { id: plan.id, reason: 'more', changes: { quota: { requests: 500, period: 'DAY' } } });
      expect((await run('update', { id: plan.id, description: 'edited meanwhile' })).errors).toEqual([]);
      const stale = await run('approve', { id: changeRequest.id }, bob);
      expect(stale.errors).toEqual([expect.objectContaining({ code: 'VERSION_CONFLICT', field: 'input.id' })]);
      expect(stale.plan).toBeNull();
      expect(stale.changeRequest).toMatchObject({
        status: 'SUPERSEDED',
        decidedBy: null,
        decisionReason: expect.stringMatching(/version 2/),
      });
      expect(await planRow(plan.id)).toMatchObject({ version: 2, quota_requests: 100 });
      // The SUPERSEDED state was committed.
      const listed = await gql(governed, LIST, { planId: plan.id, status: 'SUPERSEDED' }, bob);
      expect(listed.data.planChangeRequests.edges.map((e: any) => e.node.id)).toEqual([changeRequest.id]);
    });

    it('validates proposals like updatePlan, and lists them for portal admins only', async () => {
      const plan = await draft();
      expect((await run('propose', { id: plan.id, reason: 'same', changes: { quota: { requests: 100, period: 'DAY' } } })).errors).toEqual([
        expect.objectContaining({ code: 'NO_CHANGES', field: 'input.changes' }),
      ]);
      expect((await run('propose', { id: plan.id, reason: 'bad', changes: { quota: { requests: 0, period: 'DAY' } } })).errors).toEqual([
        expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'input.changes.quota.requests' }),
      ]);
      expect((await run('propose', { id: plan.id, reason: 'x', expectedVersion: 9, changes: { tier: 3 } })).errors).toEqual([
        expect.objectContaining({ code: 'VERSION_CONFLICT' }),
      ]);
      expect((await run('propose', { id: plan.id, reason: 'x', changes: { status: 'PUBLISHED' } })).errors).toEqual([
        expect.objectContaining({ code: 'NO_CATALOG' }),
      ]);
      expect((await run('propose', { id: plan.id, reason: 'x', changes: { status: 'DRAFT' } })).errors).toEqual([
        expect.objectContaining({ code: 'INVALID_TRANSITION', field: 'input.changes.status' }),
      ]);
      expect((await run('propose', { id: plan.id, reason: '', changes: { tier: 2 } })).errors).toEqual([
        expect.objectContaining({ field: 'input.reason' }),
      ]);
      expect((await run('propose', { id: randomUUID(), reason: 'x', changes: { tier: 2 } })).errors).toEqual([
        expect.objectContaining({ code: 'NOT_FOUND', field: 'input.id' }),
      ]);
      const { changeRequest } = await run('propose', { id: plan.id, reason: 'tier', changes: { tier: 2 } });

      const pending = await gql(governed, LIST, { planId: plan.id, status: 'PENDING' }, bob);
      expect(pending.data.planChangeRequests).toMatchObject({
        totalCount: 1,
        edges: [{ node: { id: changeRequest.id, status: 'PENDING' } }],
      });
      expect((await gql(governed, LIST, { planId: plan.id }, developer())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(governed, LIST, { planId: 'nope' }, bob)).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'planId',
      });
      // The database backs the rule too: nobody decides their own proposal.
      await expect(
        db.query(`update plans.plan_change_request set status = 'REJECTED', decided_by = proposed_by, decided_at = now() where id = $1`, [
          changeRequest.id,
        ]),
      ).rejects.toThrow(/plan_change_request_four_eyes/);
    });
  });

  it('with approval off (default), limits change directly as before', async () => {
    const plan = await draft();
    const updated = await run('update', { id: plan.id, quota: { requests: 3, period: 'HOUR' } }, alice, open);
    expect(updated.errors).toEqual([]);
    expect(updated.plan.quota).toMatchObject({ requests: 3, period: 'HOUR' });
  });
});
