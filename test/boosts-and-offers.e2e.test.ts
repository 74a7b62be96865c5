import pg from 'pg';
import type { Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { Seed } from './kit/seed';
import { ManualClock } from './kit/clock';
import { postAnalytics } from './kit/usage';
import { TykTestServer, type AnalyticsRow } from './tyk/server';
import { watchAccessEvents } from './kit/events';

/**
 * Temporary quota boosts and consent-based upgrade offers through the gateway, with the Tyk test
 * server enforcing the keys.
 *
 * Boosts: a plan of 3 requests an hour lets its ORG_ADMINs add up to 100 % for up to an hour, once
 * a day. The key is used up (the 4th request refused); an ORG_ADMIN's boost of +3 becomes a policy
 * on the Tyk key (quota 6, counter kept: two more requests pass, then refusal); at its expiry (a
 * scheduled job; the developers subgraph runs on a manual clock, and the test makes the queued job
 * due) the policy goes, the quota is 3 again and the counter still 7. Another organization's
 * developer is refused; the allowance is enforced; a portal admin's bigger boost is revoked.
 *
 * Offers: an app on the tier-1 plan (10 an hour) is projected to pass its quota (3 requests in the
 * first 6 minutes); the usage ingest asks the developers subgraph to offer the next tier visible
 * to the organization (tier 2, not tier 3 nor a tier-2 plan in a private catalog of another
 * organization). Nothing changes until its ORG_ADMIN accepts (not an outsider, not a portal admin):
 * then the credential keeps its id and its key gets the new plan.
 *
 * Every event arrives on `accessRequestEvents` and as a webhook event.
 */
describe('quota boosts and upgrade offers through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let seed: Seed;
  let db: pg.Pool;
  const clock = new ManualClock(new Date());
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const mallory = developer();
  const clients: Client[] = [];
  const rows: AnalyticsRow[] = [];
  // The Tyk test server's clock: real time, strictly increasing, and moved forward by the test.
  let tykOffset = 0;
  let tick = 0;
  const tykNow = () => (tick = Math.max(tick + 1, Date.now() + tykOffset));
  const ids: Record<string, string> = {};

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null = admin) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  /** A mutation's payload (`errors` included, not checked). */
  async function attempt(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity) {
    const response = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    return response;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity = admin) {
    const response = await attempt(name, inputType, selection, input, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    if (response.data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(response.data[name].errors)}`);
    return response.data[name];
  }

  function subscribe(identity: Identity, organizationId: string) {
    return watchAccessEvents(
      platform.wsUrl,
      clients,
      identity,
      organizationId,
      'type credential { id } quotaBoost { id status quotaMax } upgradeOffer { id status toPlan { id name } }',
    );
  }

  async function keyHashOf(credentialId: string): Promise<string> {
    return waitFor(
      async () => {
        const { rows: found } = await db.query(
          `select key_hash from provider.credential_key where credential_id = $1 and status = 'ACTIVE'`,
          [credentialId],
        );
        return found[0] && tyk.keySession(found[0].key_hash) ? (found[0].key_hash as string) : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
    );
  }

  /** The key's live quota max and policies, once they match `want`. */
  async function liveKey(credentialId: string, want: (limits: any) => boolean, what: string) {
    return waitFor(
      async () => {
        const data = await gql(
          `query($id: ID!) { credential(id: $id) { effectiveLimits { consistent
            policies { policyId kind subjectId onLiveKey }
            expected { quotaMax } live { quotaMax quotaRemaining appliedPolicies } } } }`,
          { id: credentialId },
          alice,
        );
        const limits = data.credential.effectiveLimits;
        return limits && want(limits) ? limits : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what },
    );
  }

  const call = async (apiId: string, secret: string) => {
    const response = await fetch(`${tyk.url}/${apiId}/today`, { headers: { authorization: secret } });
    await response.arrayBuffer();
    return response.status;
  };

  async function webhookTypes(organizationId: string): Promise<string[]> {
    const { rows: found } = await db.query(
      `select type from platform.webhook_event where organization_id = $1 and type in ('QUOTA_BOOST_GRANTED', 'QUOTA_BOOST_REVOKED', 'QUOTA_BOOST_EXPIRED', 'UPGRADE_OFFERED') order by id`,
      [organizationId],
    );
    return found.map((r) => r.type);
  }

  beforeAll(async () => {
    platform = await startPlatform({ clockOf: { developers: clock } });
    tyk = await TykTestServer.start({ now: tykNow, onAnalytics: (row) => void rows.push(row) });
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
    seed = new Seed(platform.gatewayUrl, admin);
    const registered = await mutate('registerProvider', 'RegisterProviderInput', 'provider { id }', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      makeDefault: true,
    });
    ids.provider = registered.provider.id;
    ids.catalog = await seed.catalog();
    ids.api = unique('forecast');
    tyk.addApi({ apiId: ids.api, listenPath: `/${ids.api}/` });
    ids.product = await seed.product({ slug: unique('weather'), tykApiIds: [ids.api], catalogIds: [ids.catalog] });
    ids.org = await seed.organization(alice.sub);
    ids.otherOrg = await seed.organization(mallory.sub);
  });

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await db?.end();
    await tyk?.stop();
    await platform?.stop();
  });

  it('boosts a key in Tyk within the allowance, reverts it at expiry without resetting its counter, and refuses others', async () => {
    const planId = await seed.plan({
      name: unique('small'),
      catalogIds: [ids.catalog],
      quota: { requests: 3, period: 'HOUR' },
      rateLimit: { requests: 100, perSeconds: 60 },
      autoApprove: true,
      boostAllowance: { maxExtraQuotaPercent: 100, maxExtraRatePercent: 0, maxDurationSeconds: 3600, maxBoosts: 1, windowSeconds: 86_400 },
    });
    const events = subscribe(alice, ids.org);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: ids.org, name: unique('app') }, alice);
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id } secret',
      { appId: app.app.id, planId, productIds: [ids.product] },
      alice,
    );
    const credentialId: string = access.credential.id;
    const secret: string = access.secret;
    await keyHashOf(credentialId);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await call(ids.api, secret));
    expect(statuses).toEqual([200, 200, 200, 403]);

    // Refusals: another organization's developer, beyond the allowance, nothing to boost.
    const grant = (input: Record<string, unknown>, identity: Identity) =>
      attempt(
        'grantQuotaBoost',
        'GrantQuotaBoostInput',
        'quotaBoost { id status quotaMax rateRequests expiresAt grantedByPortalAdmin }',
        { credentialId, durationSeconds: 60, reason: 'launch day', ...input },
        identity,
      );
    const stranger = await grant({ extraQuotaRequests: 3 }, mallory);
    expect(stranger.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const tooMuch = (await grant({ extraQuotaRequests: 4 }, alice)).data.grantQuotaBoost;
    expect(tooMuch.errors).toEqual([expect.objectContaining({ code: 'BOOST_NOT_ALLOWED', field: 'input.extraQuotaRequests' })]);
    const rate = (await grant({ extraRateRequests: 10 }, alice)).data.grantQuotaBoost;
    expect(rate.errors).toEqual([expect.objectContaining({ code: 'BOOST_NOT_ALLOWED', field: 'input.extraRateRequests' })]);
    const tooLong = (await grant({ extraQuotaRequests: 3, durationSeconds: 7200 }, alice)).data.grantQuotaBoost;
    expect(tooLong.errors).toEqual([expect.objectContaining({ code: 'BOOST_NOT_ALLOWED', field: 'input.durationSeconds' })]);

    // The ORG_ADMIN's boost: +3 for a minute.
    const granted = (await grant({ extraQuotaRequests: 3 }, alice)).data.grantQuotaBoost;
    expect(granted.errors).toEqual([]);
    expect(granted.quotaBoost).toMatchObject({ status: 'ACTIVE', quotaMax: 6, rateRequests: null, grantedByPortalAdmin: false });
    const boostId: string = granted.quotaBoost.id;
    const boostPolicy = `pg-boost-${boostId.replace(/-/g, '')}`;
    const again = (await grant({ extraQuotaRequests: 1 }, alice)).data.grantQuotaBoost;
    expect(again.errors).toEqual([expect.objectContaining({ code: 'BOOST_ACTIVE' })]);

    // In Tyk: the boost policy on the key, quota 6, the counter kept (4 used: 2 left).
    const boosted = await liveKey(credentialId, (l) => l.live?.quotaMax === 6, 'the boosted key');
    expect(boosted).toMatchObject({ consistent: true, expected: { quotaMax: 6 }, live: { quotaRemaining: 2 } });
    expect(boosted.live.appliedPolicies).toContain(boostPolicy);
    expect(boosted.policies).toContainEqual({ policyId: boostPolicy, kind: 'BOOST', subjectId: boostId, onLiveKey: true });
    expect([await call(ids.api, secret), await call(ids.api, secret), await call(ids.api, secret)]).toEqual([200, 200, 403]);
    expect(tyk.policy(boostPolicy)).toBeTruthy();

    // Expiry: the queued job (run at expiresAt) made due after the clock moved past it.
    const { rows: queued } = await db.query(`select run_at from graphile_worker._private_jobs where key = $1`, [
      `quota-boost-expiry:${boostId}`,
    ]);
    expect(new Date(queued[0].run_at).toISOString()).toBe(granted.quotaBoost.expiresAt);
    clock.advance(61);
    await db.query(`update graphile_worker._private_jobs set run_at = now() where key = $1`, [`quota-boost-expiry:${boostId}`]);
    const reverted = await liveKey(credentialId, (l) => l.live?.quotaMax === 3, 'the key back to its plan');
    expect(reverted).toMatchObject({ consistent: true, expected: { quotaMax: 3 }, live: { quotaRemaining: 0 } });
    expect(reverted.live.appliedPolicies).not.toContain(boostPolicy);
    expect(await call(ids.api, secret)).toBe(403); // the counter (7) was not reset
    await waitFor(() => !tyk.policy(boostPolicy), { what: 'the boost policy deleted from Tyk' });

    const listed = await gql(
      `query($id: ID!) { credential(id: $id) { quotaBoosts(first: 5) { totalCount edges { node { id status endedAt reason } } } } }`,
      { id: credentialId },
      alice,
    );
    expect(listed.credential.quotaBoosts.edges[0].node).toMatchObject({ id: boostId, status: 'EXPIRED', reason: 'launch day' });

    // Once a day for ORG_ADMINs; a portal admin is not bound by the allowance, and revokes.
    const limited = (await grant({ extraQuotaRequests: 1 }, alice)).data.grantQuotaBoost;
    expect(limited.errors).toEqual([expect.objectContaining({ code: 'BOOST_LIMIT_REACHED' })]);
    const big = (await grant({ extraQuotaRequests: 27, extraRateRequests: 100, durationSeconds: 86_400 }, admin)).data.grantQuotaBoost;
    expect(big.errors).toEqual([]);
    expect(big.quotaBoost).toMatchObject({ quotaMax: 30, rateRequests: 200, grantedByPortalAdmin: true });
    await liveKey(credentialId, (l) => l.live?.quotaMax === 30, 'the portal admin’s boost');
    const strangerRevoke = await attempt(
      'revokeQuotaBoost',
      'RevokeQuotaBoostInput',
      'quotaBoost { id }',
      { id: big.quotaBoost.id },
      mallory,
    );
    expect(strangerRevoke.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const revoked = await mutate('revokeQuotaBoost', 'RevokeQuotaBoostInput', 'quotaBoost { status revokedBy }', { id: big.quotaBoost.id });
    expect(revoked.quotaBoost).toEqual({ status: 'REVOKED', revokedBy: admin.sub });
    await liveKey(credentialId, (l) => l.live?.quotaMax === 3, 'the key back after the revocation');

    await waitFor(
      () =>
        ['QUOTA_BOOST_GRANTED', 'QUOTA_BOOST_EXPIRED', 'QUOTA_BOOST_GRANTED', 'QUOTA_BOOST_REVOKED'].every(
          (type, i) => events.events.filter((e) => e.type.startsWith('QUOTA_BOOST'))[i]?.type === type,
        ),
      { what: 'the boost events' },
    );
    const first = events.events.find((e) => e.type === 'QUOTA_BOOST_GRANTED');
    expect(first).toMatchObject({ credential: { id: credentialId }, quotaBoost: { id: boostId, quotaMax: 6 } });
    expect(events.errors).toEqual([]);
    // Audited: who granted, revoked and ended the boost.
    const { rows: audited } = await db.query(`select actor, action, change from platform.audit_log where target_id = $1 order by id`, [
      boostId,
    ]);
    expect(audited.map((r) => [r.action, r.change])).toEqual([
      ['grantQuotaBoost', 'CREATE'],
      ['QuotaBoost.update', 'UPDATE'],
    ]);
    expect(audited[0].actor).toBe(alice.sub);
    await waitFor(async () => (await webhookTypes(ids.org)).length >= 4, { what: 'the boost webhook events' });
    expect(await webhookTypes(ids.org)).toEqual([
      'QUOTA_BOOST_GRANTED',
      'QUOTA_BOOST_EXPIRED',
      'QUOTA_BOOST_GRANTED',
      'QUOTA_BOOST_REVOKED',
    ]);
  });

  it('offers the next tier when usage is projected past the quota, changes nothing until an ORG_ADMIN accepts, then keeps the credential', async () => {
    const catalog = await seed.catalog({ productIds: [ids.product] });
    const hidden = await seed.catalog({ visibility: 'PRIVATE', organizationIds: [ids.otherOrg], productIds: [ids.product] });
    const starter = await seed.plan({
      name: unique('starter'),
      catalogIds: [catalog],
      tier: 1,
      quota: { requests: 10, period: 'HOUR' },
      rateLimit: { requests: 100, perSeconds: 60 },
      autoApprove: true,
    });
    const privatePro = await seed.plan({
      name: unique('aaa-private'),
      catalogIds: [hidden],
      tier: 2,
      quota: { requests: 500, period: 'HOUR' },
    });
    const pro = await seed.plan({
      name: unique('pro'),
      catalogIds: [catalog],
      tier: 2,
      quota: { requests: 100, period: 'HOUR' },
      rateLimit: { requests: 100, perSeconds: 60 },
      autoApprove: true,
    });
    await seed.plan({ name: unique('enterprise'), catalogIds: [catalog], tier: 3, quota: { requests: 1000, period: 'HOUR' } });
    const events = subscribe(alice, ids.org);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: ids.org, name: unique('busy') }, alice);
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id } secret',
      { appId: app.app.id, planId: starter, productIds: [ids.product] },
      alice,
    );
    const credentialId: string = access.credential.id;
    const secret: string = access.secret;
    await keyHashOf(credentialId);

    // 3 requests in the first 6 minutes of the window: 30 projected for the hour, the quota is 10.
    rows.length = 0;
    expect([await call(ids.api, secret), await call(ids.api, secret)]).toEqual([200, 200]);
    tykOffset += 6 * 60_000 + 1000;
    expect(await call(ids.api, secret)).toBe(200);
    const ingested = await postAnalytics(platform.subgraphs.usage!.url, rows);
    expect(ingested.body).toMatchObject({ accepted: 3, unmatched: 0 });

    const OFFERS = `query($org: ID!, $status: [UpgradeOfferStatus!]) { upgradeOffers(organizationId: $org, status: $status, first: 10) {
      totalCount edges { node { id status projectedUsed quotaLimit expiresAt fromPlan { id } toPlan { id name } credential { id } app { id } } } } }`;
    const offer = await waitFor(
      async () => (await gql(OFFERS, { org: ids.org, status: ['OPEN'] }, alice)).upgradeOffers.edges[0]?.node ?? null,
      { timeoutMs: 20_000, what: 'the upgrade offer' },
    );
    expect(offer).toMatchObject({
      status: 'OPEN',
      quotaLimit: 10,
      fromPlan: { id: starter },
      toPlan: { id: pro },
      credential: { id: credentialId },
      app: { id: app.app.id },
    });
    expect(offer.toPlan.id).not.toBe(privatePro);
    expect(offer.projectedUsed).toBeGreaterThanOrEqual(10);
    // The other organization sees nothing of it.
    const peek = await gatewayRequest(platform.gatewayUrl, OFFERS, { org: ids.org, status: null }, mallory);
    expect(peek.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Nothing changed: same plan, same limits on the key.
    const before = await liveKey(credentialId, (l) => l.live?.quotaMax === 10, 'the key unchanged');
    expect(before.expected.quotaMax).toBe(10);
    expect((await gql(`query($id: ID!) { credential(id: $id) { plan { id } } }`, { id: credentialId }, alice)).credential.plan.id).toBe(
      starter,
    );

    // Only the organization's ORG_ADMIN consents.
    for (const who of [mallory, admin]) {
      const refused = await attempt('acceptUpgradeOffer', 'AcceptUpgradeOfferInput', 'upgradeOffer { id }', { id: offer.id }, who);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const accepted = await mutate(
      'acceptUpgradeOffer',
      'AcceptUpgradeOfferInput',
      'upgradeOffer { status decidedBy } accessRequest { kind status }',
      { id: offer.id },
      alice,
    );
    expect(accepted).toMatchObject({
      upgradeOffer: { status: 'ACCEPTED', decidedBy: alice.sub },
      accessRequest: { kind: 'PLAN_CHANGE', status: 'APPROVED' },
    });
    const after = await gql(`query($id: ID!) { credential(id: $id) { id status plan { id } } }`, { id: credentialId }, alice);
    expect(after.credential).toEqual({ id: credentialId, status: 'ACTIVE', plan: { id: pro } });
    await liveKey(credentialId, (l) => l.live?.quotaMax === 100, 'the key on the new plan');
    expect(await call(ids.api, secret)).toBe(200); // same secret

    await waitFor(() => events.events.some((e) => e.type === 'UPGRADE_OFFERED'), { what: 'UPGRADE_OFFERED' });
    expect(events.events.find((e) => e.type === 'UPGRADE_OFFERED')).toMatchObject({
      credential: { id: credentialId },
      upgradeOffer: { id: offer.id, toPlan: { id: pro } },
    });
    await waitFor(async () => (await webhookTypes(ids.org)).includes('UPGRADE_OFFERED'), { what: 'the UPGRADE_OFFERED webhook event' });
    const { rows: audited } = await db.query(`select actor, action, change from platform.audit_log where target_id = $1 order by id`, [
      offer.id,
    ]);
    expect(audited.map((r) => [r.action, r.change])).toEqual([
      ['UpgradeOffer.create', 'CREATE'],
      ['acceptUpgradeOffer', 'UPDATE'],
    ]);
    expect(audited[1].actor).toBe(alice.sub);
  });
});
