/**
 * `plans.plan_contract` is what other subgraphs know of plans, read through the one reader in
 * `common/contracts/plans.ts`. Its owner checks here that the view has exactly the columns the
 * reader declares, in order, and that a plan comes back through the reader with the values and
 * JavaScript types its row type promises.
 */
import { PLAN_CONTRACT_COLUMNS, readPlanContracts } from '../../common/contracts/plans';
import { PLAN_CHANGE_CONTRACT_COLUMNS, readPlanChangeContract } from '../../common/contracts/plan-changes';
import { PLAN_ROLLOUT_CONTRACT_COLUMNS, PLAN_ROLLOUT_MEMBER_CONTRACT_COLUMNS } from '../../common/contracts/plan-rollouts';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { plansSubgraph } from '.';

const CREATE = `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } errors { code field message } } }`;

describe('plans.plan_contract and its reader', () => {
  let plans: RunningSubgraph;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };

  beforeAll(async () => {
    plans = await startSubgraph(plansSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
  });
  afterAll(async () => {
    await plans?.stop();
  });

  it('has exactly the columns the reader declares, in the same order', async () => {
    const rows = await plans.orm.em
      .getConnection()
      .execute<{ column_name: string }[]>(
        `select column_name from information_schema.columns where table_schema = 'plans' and table_name = 'plan_contract' order by ordinal_position`,
      );
    expect(rows.map((row) => row.column_name)).toEqual(PLAN_CONTRACT_COLUMNS);
  });

  it('gives a plan back with the types its row type promises', async () => {
    const input = {
      name: unique('Contract'),
      displayName: 'Contract',
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 10, perSeconds: 60 },
      quotaScope: 'APP',
      keyExpiresAfterSeconds: 86400,
      jwtScopes: ['read:things'],
      credentialMetadata: [{ key: 'region', value: 'eu' }],
      autoApprove: true,
      tier: 7,
      trialDays: 14,
      boostAllowance: { maxExtraQuotaPercent: 50, maxExtraRatePercent: 0, maxDurationSeconds: 3600, maxBoosts: 2, windowSeconds: 86400 },
    };
    const created = await subgraphRequest(plans.url, CREATE, { input }, admin);
    expect(created.data.createPlan.errors).toEqual([]);
    const id: string = created.data.createPlan.plan.id;

    const read = await readPlanContracts(plans.orm.em.fork(), [id, id, '00000000-0000-4000-8000-000000000000'], PLAN_CONTRACT_COLUMNS);
    expect([...read.keys()]).toEqual([id]);
    expect(read.get(id)).toEqual({
      id,
      name: input.name,
      status: 'DRAFT',
      catalog_ids: [],
      auto_approve: true,
      access_request_allowance: null,
      access_request_renewal_seconds: null,
      key_expires_after_seconds: 86400,
      quota_scope: 'APP',
      quota_requests: 1000,
      quota_period_seconds: 86400,
      rate_requests: 10,
      rate_per_seconds: 60,
      jwt_scopes: ['read:things'],
      credential_metadata: { region: 'eu' },
      tier: 7,
      trial_days: 14,
      version: 1,
      credential_kind: 'API_KEY',
      endpoint_rules: [],
      boost_allowance: { maxExtraQuotaPercent: 50, maxExtraRatePercent: 0, maxDurationSeconds: 3600, maxBoosts: 2, windowSeconds: 86400 },
    });
  });

  it('reads only the columns asked for, and nothing for no ids', async () => {
    const created = await subgraphRequest(plans.url, CREATE, { input: { name: unique('Narrow'), displayName: 'Narrow' } }, admin);
    const id: string = created.data.createPlan.plan.id;
    const read = await readPlanContracts(plans.orm.em.fork(), [id], ['quota_scope', 'tier']);
    expect(read.get(id)).toEqual({ id, quota_scope: 'CREDENTIAL', tier: 0 });
    expect((await readPlanContracts(plans.orm.em.fork(), [], ['name'])).size).toBe(0);
  });

  it('publishes each change request with the limits the plan would have once it is applied', async () => {
    const columns = await plans.orm.em
      .getConnection()
      .execute<{ column_name: string }[]>(
        `select column_name from information_schema.columns where table_schema = 'plans' and table_name = 'plan_change_request_contract' order by ordinal_position`,
      );
    expect(columns.map((row) => row.column_name)).toEqual(PLAN_CHANGE_CONTRACT_COLUMNS);

    const input = {
      name: unique('Proposed'),
      displayName: 'Proposed',
      quota: { requests: 1000, period: 'DAY' },
      rateLimit: { requests: 10, perSeconds: 60 },
    };
    const created = await subgraphRequest(plans.url, CREATE, { input }, admin);
    const id: string = created.data.createPlan.plan.id;
    const propose = async (changes: Record<string, unknown>) => {
      const response = await subgraphRequest(
        plans.url,
        `mutation($input: ProposePlanChangeInput!) { proposePlanChange(input: $input) { changeRequest { id } errors { code field message } } }`,
        { input: { id, changes, reason: 'contract test' } },
        admin,
      );
      expect(response.data.proposePlanChange.errors).toEqual([]);
      return response.data.proposePlanChange.changeRequest.id as string;
    };
    // Unlimited quota and another scope; the rate limit is left as it is.
    const first = await propose({ quota: null, quotaScope: 'ORGANIZATION' });
    expect(await readPlanChangeContract(plans.orm.em.fork(), first)).toEqual({
      id: first,
      plan_id: id,
      status: 'PENDING',
      quota_requests: null,
      quota_period_seconds: null,
      rate_requests: 10,
      rate_per_seconds: 60,
      quota_scope: 'ORGANIZATION',
    });
    // A new rate limit; the quota is left as it is (a later proposal supersedes the first).
    const second = await propose({ rateLimit: { requests: 5, perSeconds: 1 } });
    expect(await readPlanChangeContract(plans.orm.em.fork(), second)).toMatchObject({
      quota_requests: 1000,
      quota_period_seconds: 86400,
      rate_requests: 5,
      rate_per_seconds: 1,
      quota_scope: 'CREDENTIAL',
    });
    expect(await readPlanChangeContract(plans.orm.em.fork(), '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('publishes staged rollouts (with the candidate limits) and their cohorts with the columns the provider reads', async () => {
    const columns = async (view: string) =>
      (
        await plans.orm.em
          .getConnection()
          .execute<{ column_name: string }[]>(
            `select column_name from information_schema.columns where table_schema = 'plans' and table_name = ? order by ordinal_position`,
            [view],
          )
      ).map((row) => row.column_name);
    expect(await columns('plan_rollout_contract')).toEqual(PLAN_ROLLOUT_CONTRACT_COLUMNS);
    expect(await columns('plan_rollout_member_contract')).toEqual([...PLAN_ROLLOUT_MEMBER_CONTRACT_COLUMNS]);
  });
});
