import pg from 'pg';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';

/**
 * Idempotent retries through the gateway (issue 21 item 3): a client that lost a response sends
 * the same mutation with the same `idempotencyKey` and gets the first result — the same app,
 * access request, credential, plan, invitation and plan change — with no second row; the same key with other input is
 * IDEMPOTENCY_KEY_REUSED, and another caller's key of the same text is theirs.
 */
describe('idempotent retries through the gateway', () => {
  let platform: TestPlatform;
  let fixtures: Fixtures;
  let db: pg.Pool;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();

  beforeAll(async () => {
    platform = await startPlatform();
    fixtures = new Fixtures(platform.gatewayUrl, admin);
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  const count = async (text: string, params: unknown[]) => (await db.query(text, params)).rows[0].n as number;
  async function mutate(name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) {
    const r = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field } } }`,
      { i: input },
      identity,
    );
    expect(r.errors).toBeUndefined();
    return r.data[name];
  }

  it('createApp, requestAccess and rotateCredential: each retry returns the first result, once', async () => {
    const catalogId = await fixtures.catalog();
    const productId = await fixtures.product({ catalogIds: [catalogId] });
    const planId = await fixtures.plan({ catalogIds: [catalogId], autoApprove: true });
    const organizationId = await fixtures.organization(dave.sub);

    const appInput = { organizationId, name: unique('app'), idempotencyKey: `app-${organizationId}` };
    const app = await mutate('createApp', 'CreateAppInput', appInput, 'app { id name }', dave);
    expect(app.errors).toEqual([]);
    expect(await mutate('createApp', 'CreateAppInput', appInput, 'app { id name }', dave)).toEqual(app);
    expect(await count('select count(*)::int as n from developers.app where organization_id = $1', [organizationId])).toBe(1);

    const requestInput = { appId: app.app.id, planId, productIds: [productId], idempotencyKey: `access-${app.app.id}` };
    const select = 'accessRequest { id status } credential { id } secret';
    const granted = await mutate('requestAccess', 'RequestAccessInput', requestInput, select, dave);
    expect(granted.accessRequest.status).toBe('APPROVED');
    expect(granted.secret).toMatch(/^pgk_/);
    const retried = await mutate('requestAccess', 'RequestAccessInput', requestInput, select, dave);
    expect(retried).toEqual({ ...granted, secret: null });
    expect(await count('select count(*)::int as n from developers.access_request where app_id = $1', [app.app.id])).toBe(1);

    const rotateInput = { id: granted.credential.id, gracePeriodSeconds: 60, idempotencyKey: `rotate-${granted.credential.id}` };
    const rotateSelect = 'credential { id } replacedCredential { id } secret';
    const rotated = await mutate('rotateCredential', 'RotateCredentialInput', rotateInput, rotateSelect, dave);
    expect(rotated.errors).toEqual([]);
    expect(rotated.secret).not.toBe(granted.secret);
    expect(await mutate('rotateCredential', 'RotateCredentialInput', rotateInput, rotateSelect, dave)).toEqual(rotated);
    expect(await count('select count(*)::int as n from developers.credential where app_id = $1', [app.app.id])).toBe(2);
    const reused = await mutate('rotateCredential', 'RotateCredentialInput', { ...rotateInput, gracePeriodSeconds: 0 }, rotateSelect, dave);
    expect(reused).toEqual({
      credential: null,
      replacedCredential: null,
      secret: null,
      errors: [{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }],
    });
  });

  it('createPlan: a retry returns the first plan; another admin’s same key is their own', async () => {
    const name = unique('idem-plan');
    const input = { name, displayName: 'Idem', status: 'DRAFT', idempotencyKey: `plan-${name}` };
    const first = await mutate('createPlan', 'CreatePlanInput', input, 'plan { id name version }', admin);
    expect(first.errors).toEqual([]);
    expect(await mutate('createPlan', 'CreatePlanInput', input, 'plan { id name version }', admin)).toEqual(first);
    expect(await count('select count(*)::int as n from plans.plan where name = $1', [name])).toBe(1);
    const other = await mutate('createPlan', 'CreatePlanInput', { ...input, displayName: 'Other' }, 'plan { id }', admin);
    expect(other.errors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
    const secondAdmin = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
    const bySecond = await mutate('createPlan', 'CreatePlanInput', input, 'plan { id }', secondAdmin);
    expect(bySecond.errors).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name' }]);
  });

  it('inviteMember, proposePlanChange and approvePlanChange: each retry returns the first result, once', async () => {
    const organizationId = await fixtures.organization(dave.sub);
    const email = `${unique('invitee')}@example.com`;
    const inviteInput = { organizationId, email, role: 'MEMBER', idempotencyKey: `invite-${organizationId}` };
    const invited = await mutate('inviteMember', 'InviteMemberInput', inviteInput, 'invitation { id email status }', dave);
    expect(invited.errors).toEqual([]);
    expect(await mutate('inviteMember', 'InviteMemberInput', inviteInput, 'invitation { id email status }', dave)).toEqual(invited);
    expect(await count('select count(*)::int as n from developers.invitation where organization_id = $1', [organizationId])).toBe(1);

    const planId = await fixtures.plan({ tier: 1, status: 'DRAFT' });
    const proposeInput = { id: planId, reason: 'Tier 2', changes: { tier: 2 }, idempotencyKey: `propose-${planId}` };
    const select = 'changeRequest { id status }';
    const proposed = await mutate('proposePlanChange', 'ProposePlanChangeInput', proposeInput, select, admin);
    expect(proposed.errors).toEqual([]);
    expect(await mutate('proposePlanChange', 'ProposePlanChangeInput', proposeInput, select, admin)).toEqual(proposed);
    expect(await count('select count(*)::int as n from plans.plan_change_request where plan_id = $1', [planId])).toBe(1);

    const approver = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
    const approveInput = { id: proposed.changeRequest.id, idempotencyKey: `approve-${planId}` };
    const approveSelect = 'changeRequest { id status appliedVersion } plan { id version tier }';
    const approved = await mutate('approvePlanChange', 'ApprovePlanChangeInput', approveInput, approveSelect, approver);
    expect(approved).toMatchObject({ changeRequest: { status: 'APPROVED', appliedVersion: 2 }, plan: { version: 2, tier: 2 }, errors: [] });
    expect(await mutate('approvePlanChange', 'ApprovePlanChangeInput', approveInput, approveSelect, approver)).toEqual(approved);
    expect(await count('select count(*)::int as n from plans.plan_version where plan_id = $1', [planId])).toBe(2);
    const reused = await mutate('proposePlanChange', 'ProposePlanChangeInput', { ...proposeInput, changes: { tier: 3 } }, select, admin);
    expect(reused.errors).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
  });
});
