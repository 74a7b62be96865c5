import { ManualClock } from '../../test/kit/clock';
import { call, offer, ok, organization, sql, startAccessHarness, type AccessHarness } from '../../test/kit/access';
import { createApp } from '../../test/kit/developers';

/**
 * The plan's access-request limit: `allowance` requests per organization and plan within
 * `renewalSeconds`, whatever became of them, judged by the subgraph's clock (a manual one here).
 */
describe('developers: access-request limit', () => {
  let h: AccessHarness;
  // Whole seconds, so retryAfter values are exact.
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  beforeAll(async () => {
    h = await startAccessHarness({ clock, jobs: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const requestsOf = async (organizationId: string) =>
    (await sql(h, 'select count(*)::int as n from developers.access_request where organization_id = ?', [organizationId]))[0].n as number;

  it('allows N requests per window (rejected and cancelled ones count), refuses the next with retryAfter, and allows again once the oldest leaves the window', async () => {
    const org = await organization(h);
    const apps = [org.app, await createApp(h, org.id, org.member), await createApp(h, org.id, org.member)];
    const { planId, productIds } = await offer(h, { accessRequestLimit: { allowance: 3, renewalSeconds: 3600 } });
    const request = (appId: string) => call(h, 'requestAccess', { appId, planId, productIds }, org.member);
    const t0 = clock.now().getTime();

    const first = await ok(h, 'requestAccess', { appId: apps[0].id, planId, productIds }, org.member);
    await ok(h, 'rejectAccessRequest', { id: first.accessRequest.id, reason: 'Not yet' }, h.admin);
    clock.advance(10);
    const second = await ok(h, 'requestAccess', { appId: apps[0].id, planId, productIds }, org.member);
    await ok(h, 'cancelAccessRequest', { id: second.accessRequest.id }, org.member);
    clock.advance(10);
    await ok(h, 'requestAccess', { appId: apps[0].id, planId, productIds }, org.member);
    expect(await requestsOf(org.id)).toBe(3);

    clock.advance(70);
    const refused = await request(apps[1].id);
    expect(refused.errors).toBeUndefined();
    expect(refused.data.requestAccess.accessRequest).toBeNull();
    expect(refused.data.requestAccess.errors).toEqual([
      {
        code: 'PLAN_ACCESS_QUOTA_EXCEEDED',
        field: 'input.planId',
        message: expect.stringMatching(/^Plan access quota exceeded/),
        retryAfter: 3600 - 90,
      },
    ]);
    expect(refused.data.requestAccess.errors[0].message).toMatch(/rejected and cancelled requests count too/);
    expect(await requestsOf(org.id)).toBe(3);

    clock.advance(3509);
    expect((await request(apps[1].id)).data.requestAccess.errors).toEqual([
      expect.objectContaining({ code: 'PLAN_ACCESS_QUOTA_EXCEEDED', retryAfter: 1 }),
    ]);
    clock.advance(1);
    expect(clock.now().getTime() - t0).toBe(3600_000);
    // The first request (at t0) left the window at exactly t0 + renewal.
    const allowed = await ok(h, 'requestAccess', { appId: apps[1].id, planId, productIds }, org.member);
    expect(allowed.accessRequest.createdAt).toBe(clock.now().toISOString());
    // The window is full again: the next one frees up when the second request (t0 + 10) leaves.
    expect((await request(apps[2].id)).data.requestAccess.errors).toEqual([
      expect.objectContaining({ code: 'PLAN_ACCESS_QUOTA_EXCEEDED', retryAfter: 10 }),
    ]);
    expect(await requestsOf(org.id)).toBe(4);
  });

  it('counts per organization and per plan', async () => {
    const a = await organization(h);
    const b = await organization(h);
    const limited = await offer(h, { accessRequestLimit: { allowance: 1, renewalSeconds: 3600 } });
    const other = await offer(h, { accessRequestLimit: { allowance: 1, renewalSeconds: 3600 } });
    await ok(h, 'requestAccess', { appId: a.app.id, planId: limited.planId, productIds: limited.productIds }, a.member);
    const second = await createApp(h, a.id, a.member);
    const refused = await call(h, 'requestAccess', { appId: second.id, planId: limited.planId, productIds: limited.productIds }, a.member);
    expect(refused.data.requestAccess.errors).toEqual([expect.objectContaining({ code: 'PLAN_ACCESS_QUOTA_EXCEEDED', retryAfter: 3600 })]);
    await ok(h, 'requestAccess', { appId: b.app.id, planId: limited.planId, productIds: limited.productIds }, b.member);
    await ok(h, 'requestAccess', { appId: second.id, planId: other.planId, productIds: other.productIds }, a.member);
  });

  it('lets exactly N of N + 5 concurrent requests through', async () => {
    const allowance = 3;
    const org = await organization(h);
    const apps = [org.app];
    for (let i = 1; i < allowance + 5; i++) apps.push(await createApp(h, org.id, org.member));
    const { planId, productIds } = await offer(h, { accessRequestLimit: { allowance, renewalSeconds: 86_400 } });
    const results = await Promise.all(apps.map((app) => call(h, 'requestAccess', { appId: app.id, planId, productIds }, org.member)));
    for (const r of results) expect(r.errors).toBeUndefined();
    const succeeded = results.filter((r) => r.data.requestAccess.errors.length === 0);
    const refused = results.filter((r) => r.data.requestAccess.errors.length > 0);
    expect(succeeded).toHaveLength(allowance);
    expect(refused.map((r) => r.data.requestAccess.errors[0].code)).toEqual(Array(5).fill('PLAN_ACCESS_QUOTA_EXCEEDED'));
    expect(await requestsOf(org.id)).toBe(allowance);
  });
});
