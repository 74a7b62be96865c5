/**
 * `idempotencyKey` on createPlan (issue 21 item 3): a retry by the same portal admin within 24
 * hours returns the first plan and records no second version or sync; the same key with other
 * input is IDEMPOTENCY_KEY_REUSED; another admin's key of the same text is their own; a plan
 * deleted since is NOT_FOUND rather than created again. The same for proposePlanChange,
 * approvePlanChange and rejectPlanChange: one request, one applied version, one decision.
 */
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { plansSubgraph } from '.';

const CREATE = `mutation($input: CreatePlanInput!) {
  createPlan(input: $input) { plan { id name version status quota { requests period } } errors { code field } }
}`;
const DELETE = `mutation($input: DeletePlanInput!) { deletePlan(input: $input) { deletedPlanId errors { code field } } }`;
const UPDATE = `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { id version } errors { code field } } }`;
const REQUEST = 'id status baseVersion reason decidedBy decisionReason appliedVersion changes { field before after }';
const PROPOSE = `mutation($input: ProposePlanChangeInput!) {
  proposePlanChange(input: $input) { changeRequest { ${REQUEST} } errors { code field } }
}`;
const APPROVE = `mutation($input: ApprovePlanChangeInput!) {
  approvePlanChange(input: $input) { changeRequest { ${REQUEST} } plan { id version tier } errors { code field } }
}`;
const REJECT = `mutation($input: RejectPlanChangeInput!) {
  rejectPlanChange(input: $input) { changeRequest { ${REQUEST} } errors { code field } }
}`;

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

  describe('plan changes', () => {
    const bob: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
    const count = async (text: string, params: unknown[]) => (await sql(text, params))[0].n as number;
    const requests = (planId: string) => count('select count(*)::int as n from plans.plan_change_request where plan_id = ?', [planId]);
    const versions = (planId: string) => count('select count(*)::int as n from plans.plan_version where plan_id = ?', [planId]);
    const syncRevision = async (planId: string) =>
      (await sql('select revision from graphile_worker._private_jobs where key = ?', [`plan:${planId}`]))[0]?.revision as number;
    async function draft() {
      const created = await run(CREATE, 'createPlan', { name: unique('idem-change'), displayName: 'Change me', tier: 1 });
      expect(created.errors).toEqual([]);
      return created.plan.id as string;
    }

    it('proposePlanChange: a retry returns the first request; a setting sent as null is other input; keys are per caller', async () => {
      const planId = await draft();
      const input = { id: planId, reason: 'More tier', changes: { tier: 2, description: 'Gold' }, idempotencyKey: `propose-${planId}` };
      const first = await run(PROPOSE, 'proposePlanChange', input);
      expect(first.errors).toEqual([]);
      expect(first.changeRequest.status).toBe('PENDING');
      const retry = await run(PROPOSE, 'proposePlanChange', {
        idempotencyKey: input.idempotencyKey,
        changes: { description: 'Gold', tier: 2 },
        reason: ' More tier ',
        id: planId.toUpperCase(),
      });
      expect(retry).toEqual(first);
      expect(await requests(planId)).toBe(1);

      const other = await run(PROPOSE, 'proposePlanChange', { ...input, changes: { tier: 3, description: 'Gold' } });
      expect(other).toEqual({ changeRequest: null, errors: [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }] });
      // `quota: null` unsets the quota: not the same change as leaving it out.
      const unsetting = await run(PROPOSE, 'proposePlanChange', { ...input, changes: { ...input.changes, quota: null } });
      expect(unsetting.errors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      // Bob's key of the same text is his: his proposal is a request of its own.
      const byBob = await run(PROPOSE, 'proposePlanChange', input, bob);
      expect(byBob.errors).toEqual([]);
      expect(byBob.changeRequest.id).not.toBe(first.changeRequest.id);
      expect(await requests(planId)).toBe(2);
      const malformed = await run(PROPOSE, 'proposePlanChange', { ...input, idempotencyKey: 'has space' });
      expect(malformed.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
    });

    it('approvePlanChange: a retry returns the first approval: one new version, one sync; other input is refused; keys are per caller', async () => {
      const planId = await draft();
      const proposed = await run(PROPOSE, 'proposePlanChange', { id: planId, reason: 'Tier 2', changes: { tier: 2 } });
      const id = proposed.changeRequest.id;
      const input = { id, idempotencyKey: `approve-${id}` };
      const revision = await syncRevision(planId);
      const first = await run(APPROVE, 'approvePlanChange', input, bob);
      expect(first.errors).toEqual([]);
      expect(first.changeRequest).toMatchObject({ status: 'APPROVED', appliedVersion: 2 });
      expect(first.plan).toEqual({ id: planId, version: 2, tier: 2 });
      expect(await syncRevision(planId)).toBe(revision + 1);
      const retry = await run(APPROVE, 'approvePlanChange', { ...input, id: id.toUpperCase() }, bob);
      expect(retry).toEqual(first);
      expect(await versions(planId)).toBe(2);
      expect(await syncRevision(planId)).toBe(revision + 1);
      // Without the key, approving again is refused as before.
      const plain = await run(APPROVE, 'approvePlanChange', { id }, bob);
      expect(plain.errors).toEqual([{ code: 'INVALID_TRANSITION', field: 'input.id' }]);

      const next = await run(PROPOSE, 'proposePlanChange', { id: planId, reason: 'Tier 3', changes: { tier: 3 } });
      const reused = await run(APPROVE, 'approvePlanChange', { id: next.changeRequest.id, idempotencyKey: input.idempotencyKey }, bob);
      expect(reused).toEqual({
        changeRequest: null,
        plan: null,
        errors: [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }],
      });
      expect(await sql('select status from plans.plan_change_request where id = ?', [next.changeRequest.id])).toEqual([
        { status: 'PENDING' },
      ]);
      // A third admin's key of the same text is theirs: their approval of the first request is judged on its own.
      const third: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
      const byThird = await run(APPROVE, 'approvePlanChange', input, third);
      expect(byThird.errors).toEqual([{ code: 'INVALID_TRANSITION', field: 'input.id' }]);
      expect(await versions(planId)).toBe(2);
    });

    it('approvePlanChange: a SUPERSEDED answer stores no key, so its retry runs again', async () => {
      const planId = await draft();
      const proposed = await run(PROPOSE, 'proposePlanChange', { id: planId, reason: 'Tier 2', changes: { tier: 2 } });
      expect((await run(UPDATE, 'updatePlan', { id: planId, description: 'edited meanwhile' })).errors).toEqual([]);
      const input = { id: proposed.changeRequest.id, idempotencyKey: `stale-${planId}` };
      const stale = await run(APPROVE, 'approvePlanChange', input, bob);
      expect(stale.errors).toEqual([{ code: 'VERSION_CONFLICT', field: 'input.id' }]);
      expect(stale.changeRequest.status).toBe('SUPERSEDED');
      expect(await count('select count(*)::int as n from plans.idempotency_key where key = ?', [input.idempotencyKey])).toBe(0);
      const retry = await run(APPROVE, 'approvePlanChange', input, bob);
      expect(retry.errors).toEqual([{ code: 'INVALID_TRANSITION', field: 'input.id' }]);
      expect(await versions(planId)).toBe(2);
    });

    it('rejectPlanChange: a retry returns the first rejection; another reason is refused; keys are per caller', async () => {
      const planId = await draft();
      const proposed = await run(PROPOSE, 'proposePlanChange', { id: planId, reason: 'Tier 2', changes: { tier: 2 } });
      const id = proposed.changeRequest.id;
      const input = { id, reason: 'Not now.', idempotencyKey: `reject-${id}` };
      const first = await run(REJECT, 'rejectPlanChange', input, bob);
      expect(first.changeRequest).toMatchObject({ status: 'REJECTED', decisionReason: 'Not now.', decidedBy: bob.sub });
      const retry = await run(REJECT, 'rejectPlanChange', { ...input, reason: '  Not now. ' }, bob);
      expect(retry).toEqual(first);
      const other = await run(REJECT, 'rejectPlanChange', { ...input, reason: 'Never.' }, bob);
      expect(other).toEqual({ changeRequest: null, errors: [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }] });
      const third: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
      const byThird = await run(REJECT, 'rejectPlanChange', input, third);
      expect(byThird.errors).toEqual([{ code: 'INVALID_TRANSITION', field: 'input.id' }]);
      expect(await sql('select status, decision_reason from plans.plan_change_request where id = ?', [id])).toEqual([
        { status: 'REJECTED', decision_reason: 'Not now.' },
      ]);
      expect(await versions(planId)).toBe(1);
    });
  });
});
