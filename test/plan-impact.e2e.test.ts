import pg from 'pg';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { testDatabaseUrl } from './helpers/db';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { analytics, Fixtures, postAnalytics, migrateOwners, type FixtureCredential, type FixtureOrg } from './kit/usage';

/**
 * Plan-change impact preview through the gateway: a plan's recorded traffic replayed against
 * other limits (`planChangeImpact`) and against the limits a pending change would give
 * (`PlanChangeRequest.impact`), naming the organizations, apps and credentials that would have
 * been refused; only portal admins may ask.
 */
describe('plan-change impact preview', () => {
  let platform: TestPlatform;
  let db: pg.Client;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  let orgA: FixtureOrg;
  let orgB: FixtureOrg;
  let heavy: FixtureCredential;
  let light: FixtureCredential;
  let planId: string;
  const HOUR = 3_600_000;
  const base = Date.now() - 3 * 24 * HOUR;

  async function ingest(rows: Record<string, unknown>[]) {
    const { status, body } = await postAnalytics(platform.subgraphs.usage!.url, rows);
    expect(status).toBe(200);
    expect(body).toMatchObject({ accepted: rows.length, rejected: [], unmatched: 0 });
  }

  const IMPACT = `from to quotaScope quota { requests periodSeconds } rateLimit { requests perSeconds }
    countersWithTraffic countersAffected organizationsAffected requestsOverQuota requestsOverRateLimit
    affected { scope organization { id } app { id } credential { id } requests quotaWindows quotaWindowsExceeded peakQuotaUsed requestsOverQuota peakRate requestsOverRateLimit }`;
  const PREVIEW = `query($input: PlanChangeImpactInput!) { planChangeImpact(input: $input) { plan { id name } ${IMPACT} } }`;

  beforeAll(async () => {
    platform = await startPlatform();
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    await migrateOwners(testDatabaseUrl());
    fixtures = new Fixtures(db);
    orgA = await fixtures.organization();
    orgB = await fixtures.organization();
    // 1,000 requests a day per credential, 100 per second.
    const plan = await fixtures.plan({ requests: 1000, periodSeconds: 86_400 });
    planId = plan.id;
    await db.query('update plans.plan set rate_requests = 100, rate_per_seconds = 1 where id = $1', [planId]);
    const product = await fixtures.product(['weather']);
    heavy = await fixtures.credential(orgA.id, await fixtures.app(orgA.id), plan, [product]);
    light = await fixtures.credential(orgB.id, await fixtures.app(orgB.id), plan, [product]);
    // Heavy: 50 requests a minute apart on day one, then a burst of 12 in one second two days later.
    // Light: 5 requests an hour apart.
    const rows = [
      ...Array.from({ length: 50 }, (_, i) => analytics(heavy, new Date(base + i * 60_000))),
      ...Array.from({ length: 12 }, (_, i) => analytics(heavy, new Date(base + 48 * HOUR + i * 50))),
      ...Array.from({ length: 5 }, (_, i) => analytics(light, new Date(base + i * HOUR))),
      // A refused key (401) is not demand.
      analytics(light, new Date(base + 30 * 60_000), { response_code: 401 }),
    ];
    await ingest(rows);
  });

  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  it('replays the plan’s traffic against a tighter quota and rate limit, naming who would have been refused and by how much', async () => {
    const response = await gatewayRequest(
      platform.gatewayUrl,
      PREVIEW,
      { input: { planId, quota: { requests: 20, periodSeconds: 86_400 }, rateLimit: { requests: 5, perSeconds: 1 }, days: 7 } },
      admin,
    );
    expect(response.errors).toBeUndefined();
    const impact = response.data.planChangeImpact;
    expect(impact).toMatchObject({
      plan: { id: planId },
      quotaScope: 'CREDENTIAL',
      quota: { requests: 20, periodSeconds: 86_400 },
      rateLimit: { requests: 5, perSeconds: 1 },
      countersWithTraffic: 2,
      countersAffected: 1,
      organizationsAffected: 1,
      // Day one: 50 in one window, 30 over; the burst opens a second window (12, under 20).
      requestsOverQuota: 30,
      // The burst: 12 within a second, 5 allowed.
      requestsOverRateLimit: 7,
    });
    expect(new Date(impact.to).getTime() - new Date(impact.from).getTime()).toBe(7 * 24 * HOUR);
    expect(impact.affected).toEqual([
      {
        scope: 'CREDENTIAL',
        organization: { id: orgA.id },
        app: { id: heavy.appId },
        credential: { id: heavy.id },
        requests: 62,
        quotaWindows: 2,
        quotaWindowsExceeded: 1,
        peakQuotaUsed: 50,
        requestsOverQuota: 30,
        peakRate: 12,
        requestsOverRateLimit: 7,
      },
    ]);
  });

  it('keeps the plan’s current limits for what the preview leaves out, and shows nobody refused under them', async () => {
    const response = await gatewayRequest(platform.gatewayUrl, PREVIEW, { input: { planId } }, admin);
    expect(response.errors).toBeUndefined();
    expect(response.data.planChangeImpact).toMatchObject({
      quota: { requests: 1000, periodSeconds: 86_400 },
      rateLimit: { requests: 100, perSeconds: 1 },
      countersWithTraffic: 2,
      countersAffected: 0,
      requestsOverQuota: 0,
      requestsOverRateLimit: 0,
      affected: [],
    });
  });

  it('counts per organization when the quota scope is ORGANIZATION, and treats null as unlimited', async () => {
    const response = await gatewayRequest(
      platform.gatewayUrl,
      PREVIEW,
      { input: { planId, quota: { requests: 3, periodSeconds: 3600 }, rateLimit: null, quotaScope: 'ORGANIZATION' } },
      admin,
    );
    expect(response.errors).toBeUndefined();
    const impact = response.data.planChangeImpact;
    expect(impact).toMatchObject({
      quotaScope: 'ORGANIZATION',
      rateLimit: null,
      countersWithTraffic: 2,
      countersAffected: 1,
      organizationsAffected: 1,
      requestsOverRateLimit: 0,
    });
    const byOrg = new Map(impact.affected.map((s: any) => [s.organization.id, s]));
    // Heavy: the first hour holds 50 (47 over), the burst 12 (9 over). Light: one request an hour, never over 3.
    expect(byOrg.get(orgA.id)).toMatchObject({ scope: 'ORGANIZATION', app: null, credential: null, requests: 62, requestsOverQuota: 56 });
    expect(byOrg.has(orgB.id)).toBe(false);
  });

  it('shows a pending change request the impact of the limits it would give, so the second admin approves knowingly', async () => {
    const proposed = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($input: ProposePlanChangeInput!) { proposePlanChange(input: $input) { changeRequest { id } errors { code field message } } }`,
      { input: { id: planId, changes: { quota: { requests: 40, period: 'DAY' } }, reason: 'Tighter free tier' } },
      admin,
    );
    expect(proposed.errors).toBeUndefined();
    expect(proposed.data.proposePlanChange.errors).toEqual([]);
    const id = proposed.data.proposePlanChange.changeRequest.id;
    const reviewer: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
    const response = await gatewayRequest(
      platform.gatewayUrl,
      `query($planId: ID) { planChangeRequests(planId: $planId, first: 5) { edges { node { id status impact(days: 7) { ${IMPACT} } } } } }`,
      { planId },
      reviewer,
    );
    expect(response.errors).toBeUndefined();
    const node = response.data.planChangeRequests.edges.find((e: any) => e.node.id === id).node;
    expect(node.status).toBe('PENDING');
    // The quota changes (40 a day); the rate limit stays the plan's (100 a second).
    expect(node.impact).toMatchObject({
      quota: { requests: 40, periodSeconds: 86_400 },
      rateLimit: { requests: 100, perSeconds: 1 },
      countersAffected: 1,
      requestsOverQuota: 10,
      requestsOverRateLimit: 0,
    });
    expect(node.impact.affected[0]).toMatchObject({ credential: { id: heavy.id }, peakQuotaUsed: 50, requestsOverQuota: 10 });
  });

  it('refuses everyone but portal admins, and bad input with a typed error', async () => {
    const input = { planId, quota: { requests: 20, periodSeconds: 86_400 } };
    const anonymous = await gatewayRequest(platform.gatewayUrl, PREVIEW, { input }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const caller of [orgA.admin, orgB.member, developer()]) {
      const refused = await gatewayRequest(platform.gatewayUrl, PREVIEW, { input }, caller);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.data ?? null).toBeNull();
    }
    const cases: [Record<string, unknown>, string][] = [
      [{ planId: 'not-a-uuid' }, 'input.planId'],
      [{ planId, days: 0 }, 'input.days'],
      [{ planId, days: 91 }, 'input.days'],
      [{ planId, quota: { requests: 0, periodSeconds: 60 } }, 'input.quota'],
      [{ planId, rateLimit: { requests: 5, perSeconds: 86_401 } }, 'input.rateLimit'],
    ];
    for (const [bad, field] of cases) {
      const response = await gatewayRequest(platform.gatewayUrl, PREVIEW, { input: bad }, admin);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const missing = await gatewayRequest(
      platform.gatewayUrl,
      PREVIEW,
      { input: { planId: '00000000-0000-4000-8000-000000000000' } },
      admin,
    );
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.planId' });
  });
});
