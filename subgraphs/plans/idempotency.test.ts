/**
 * `idempotencyKey` on createPlan (issue 21 item 3): a retry by the same portal admin within 24
 * hours returns the first plan and records no second version or sync; the same key with other
 * input is IDEMPOTENCY_KEY_REUSED; another admin's key of the same text is their own; a plan
 * deleted since is NOT_FOUND rather than created again.
 */
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { plansSubgraph } from '.';

const CREATE = `mutation($input: CreatePlanInput!) {
  createPlan(input: $input) { plan { id name version status quota { requests period } } errors { code field } }
}`;
const DELETE = `mutation($input: DeletePlanInput!) { deletePlan(input: $input) { deletedPlanId errors { code field } } }`;

describe('plans: idempotent createPlan', () => {
  let plans: RunningSubgraph;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };

  beforeAll(async () => {
    plans = await startSubgraph(plansSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
  });
  afterAll(async () => {
    await plans?.stop();
  });

  const sql = (text: string, params: unknown[] = []) => plans.orm.em.getConnection().execute<any[]>(text, params);
  async function run(query: string, name: string, input: Record<string, unknown>, as: Identity = admin) {
    const response = await subgraphRequest(plans.url, query, { input }, as);
    expect(response.errors).toBeUndefined();
    return response.data![name];
  }

  it('returns the first plan on a retry: one plan, one version, one sync job; other input is refused; callers are isolated', async () => {
    const name = unique('idem-plan');
    const input = { name, displayName: 'Idem plan', quota: { requests: 100, period: 'DAY' }, idempotencyKey: `plan-${name}` };
    const first = await run(CREATE, 'createPlan', input);
    expect(first.errors).toEqual([]);
    const retry = await run(CREATE, 'createPlan', {
      quota: { period: 'DAY', requests: 100 },
      displayName: 'Idem plan',
      name,
      idempotencyKey: input.idempotencyKey,
    });
    expect(retry).toEqual(first);
    expect(await sql('select count(*)::int as n from plans.plan where name = ?', [name])).toEqual([{ n: 1 }]);
    expect(await sql('select count(*)::int as n from plans.plan_version where plan_id = ?', [first.plan.id])).toEqual([{ n: 1 }]);
    expect(await sql('select revision from graphile_worker._private_jobs where key = ?', [`plan:${first.plan.id}`])).toEqual([
      { revision: 0 },
    ]);

    const other = await run(CREATE, 'createPlan', { ...input, quota: { requests: 200, period: 'DAY' } });
    expect(other).toEqual({ plan: null, errors: [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }] });
    const byOtherAdmin = await run(CREATE, 'createPlan', input, { ...portalAdmin(), amr: ['pwd', 'mfa'] });
    expect(byOtherAdmin.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name' }]);

    expect(await run(DELETE, 'deletePlan', { id: first.plan.id })).toEqual({ deletedPlanId: first.plan.id, errors: [] });
    const afterDelete = await run(CREATE, 'createPlan', input);
    expect(afterDelete.errors).toEqual([{ code: 'NOT_FOUND', field: 'input.idempotencyKey' }]);
    expect(await sql('select count(*)::int as n from plans.plan where name = ?', [name])).toEqual([{ n: 0 }]);
  });
});
