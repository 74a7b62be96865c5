import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ManualClock } from '../../test/kit/clock';
import {
  gql,
  loggedJobs,
  offer,
  ok,
  organization,
  seedOf,
  sql,
  startAccessHarness,
  type AccessHarness,
  type Identity,
} from '../../test/kit/access';
import { startSubgraph } from '../../common/server';
import { testDatabaseUrl } from '../../test/helpers/db';
import { waitFor } from '../../test/helpers/wait';
import { developersSubgraph } from '.';
import { expireQuotaBoost } from './services/quota-boosts';
import { offerUpgrade } from './services/upgrade-offers';
import { announceAdaptiveLimitChange } from './services/adaptive-limit-events';
import { announcePlanRolloutStep } from './services/plan-rollout-events';
import { createApp, join } from '../../test/kit/developers';
import { developer } from '../../test/helpers/graphql';

/**
 * Quota boosts, upgrade offers, adaptive-limit and plan-rollout notices in the developers subgraph alone (no provider: the jobs it
 * enqueues are read from the queue), on a manual clock; the job handlers are called directly.
 */
describe('developers: quota boosts and upgrade offers', () => {
  let h: AccessHarness;
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const ALLOWANCE = { maxExtraQuotaPercent: 50, maxExtraRatePercent: 100, maxDurationSeconds: 3600, maxBoosts: 2, windowSeconds: 86_400 };

  beforeAll(async () => {
    h = await startAccessHarness({ clock, jobs: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const BOOST = 'id status quotaMax quotaPeriodSeconds rateRequests ratePerSeconds startsAt expiresAt endedAt revokedBy grantedBy';
  const grant = (input: Record<string, unknown>, who: Identity) =>
    gql(
      h,
      `mutation($i: GrantQuotaBoostInput!) { grantQuotaBoost(input: $i) { quotaBoost { ${BOOST} } errors { code field message retryAfter } } }`,
      { i: { durationSeconds: 600, reason: 'campaign', ...input } },
      who,
    );
  const revoke = (id: string, who: Identity) =>
    gql(
      h,
      `mutation($i: RevokeQuotaBoostInput!) { revokeQuotaBoost(input: $i) { quotaBoost { ${BOOST} } errors { code } } }`,
      { i: { id } },
      who,
    );
  const inTx = <T>(work: (em: EntityManager) => Promise<T>) => h.subgraph.orm.em.fork().transactional((em) => work(em as EntityManager));
  const opsOf = (em: EntityManager) => ({ em, pubsub: h.subgraph.pubsub, now: clock.now(), env: process.env });
  const eventsOf = async (credentialId: string) =>
    (
      await sql(h, `select payload->>'type' as type from platform.event where payload->>'credentialId' = ? order by id`, [credentialId])
    ).map((r) => r.type as string);

  async function credentialOn(planOptions: Record<string, unknown>) {
    const org = await organization(h);
    const { planId, productIds, catalogId } = await offer(h, { autoApprove: true, ...planOptions });
    const granted = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
    return { org, planId, productIds, catalogId, credentialId: granted.credential.id as string };
  }

  it('lets ORG_ADMINs grant within the plan’s allowance only, and portal admins beyond it; refuses members and bad input', async () => {
    const { org, credentialId } = await credentialOn({ boostAllowance: ALLOWANCE });
    // The seed's plan: 1000 requests a day, 10 a second.
    const member = await grant({ credentialId, extraQuotaRequests: 10 }, org.member);
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const invalid = (await grant({ credentialId, durationSeconds: 5, reason: ' ' }, org.owner)).data.grantQuotaBoost;
    expect(invalid.errors.map((e: any) => [e.code, e.field])).toEqual([
      ['VALIDATION_FAILED', 'input.reason'],
      ['VALIDATION_FAILED', 'input.extraQuotaRequests'],
      ['VALIDATION_FAILED', 'input.durationSeconds'],
    ]);
    const over = (await grant({ credentialId, extraQuotaRequests: 501, extraRateRequests: 11, durationSeconds: 3601 }, org.owner)).data
      .grantQuotaBoost;
    expect(over.errors.map((e: any) => [e.code, e.field])).toEqual([
      ['BOOST_NOT_ALLOWED', 'input.extraQuotaRequests'],
      ['BOOST_NOT_ALLOWED', 'input.extraRateRequests'],
      ['BOOST_NOT_ALLOWED', 'input.durationSeconds'],
    ]);
    expect(await sql(h, 'select * from developers.quota_boost where credential_id = ?', [credentialId])).toEqual([]);

    const key = `boost-${credentialId}`;
    const first = (await grant({ credentialId, extraQuotaRequests: 500, extraRateRequests: 10, idempotencyKey: key }, org.owner)).data
      .grantQuotaBoost;
    expect(first.errors).toEqual([]);
    expect(first.quotaBoost).toMatchObject({
      status: 'ACTIVE',
      quotaMax: 1500,
      quotaPeriodSeconds: 86_400,
      rateRequests: 20,
      ratePerSeconds: 1,
      startsAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + 600_000).toISOString(),
      grantedBy: org.owner.sub,
    });
    // A retry with the key returns the same boost; without it, one ACTIVE boost per credential.
    const retry = (await grant({ credentialId, extraQuotaRequests: 500, extraRateRequests: 10, idempotencyKey: key }, org.owner)).data
      .grantQuotaBoost;
    expect(retry.quotaBoost.id).toBe(first.quotaBoost.id);
    expect((await grant({ credentialId, extraQuotaRequests: 1 }, org.owner)).data.grantQuotaBoost.errors).toEqual([
      expect.objectContaining({ code: 'BOOST_ACTIVE' }),
    ]);
    // The provider's job (policies of the key) and the expiry, due at expiresAt.
    const jobs = await loggedJobs(h, credentialId);
    expect(jobs.map((j) => j.key)).toContain(`key:${credentialId}`);
    const [expiry] = await sql(h, `select run_at from graphile_worker._private_jobs where key = ?`, [
      `quota-boost-expiry:${first.quotaBoost.id}`,
    ]);
    expect(new Date(expiry.run_at).toISOString()).toBe(first.quotaBoost.expiresAt);
    // What the provider reads.
    const [published] = await sql(h, `select status, quota_max, rate_requests from developers.quota_boost_contract where id = ?`, [
      first.quotaBoost.id,
    ]);
    expect(published).toEqual({ status: 'ACTIVE', quota_max: 1500, rate_requests: 20 });

    // Revocation: the expiry job is dropped, the key's policies are synced again; again = unchanged.
    const revoked = (await revoke(first.quotaBoost.id, org.owner)).data.revokeQuotaBoost;
    expect(revoked.quotaBoost).toMatchObject({ status: 'REVOKED', revokedBy: org.owner.sub, endedAt: clock.now().toISOString() });
    expect(
      await sql(h, `select 1 from graphile_worker._private_jobs where key = ?`, [`quota-boost-expiry:${first.quotaBoost.id}`]),
    ).toEqual([]);
    expect((await revoke(first.quotaBoost.id, org.owner)).data.revokeQuotaBoost.quotaBoost.status).toBe('REVOKED');
    expect((await revoke(first.quotaBoost.id, org.member)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Two boosts a day for ORG_ADMINs (revoked ones count), then retryAfter; portal admins are not counted.
    clock.advance(100);
    const second = (await grant({ credentialId, extraQuotaRequests: 1, durationSeconds: 60 }, org.owner)).data.grantQuotaBoost;
    expect(second.errors).toEqual([]);
    await revoke(second.quotaBoost.id, org.owner);
    const third = (await grant({ credentialId, extraQuotaRequests: 1 }, org.owner)).data.grantQuotaBoost;
    expect(third.errors).toEqual([expect.objectContaining({ code: 'BOOST_LIMIT_REACHED', retryAfter: 86_400 - 100 })]);
    const byAdmin = (await grant({ credentialId, extraQuotaRequests: 10_000, durationSeconds: 86_400 }, h.admin)).data.grantQuotaBoost;
    expect(byAdmin.errors).toEqual([]);
    expect(byAdmin.quotaBoost.quotaMax).toBe(11_000);
    expect((await grant({ credentialId: byAdmin.quotaBoost.id, extraQuotaRequests: 1 }, h.admin)).data.grantQuotaBoost.errors).toEqual([
      expect.objectContaining({ code: 'NOT_FOUND' }),
    ]);
    expect(await eventsOf(credentialId)).toEqual([
      'APPROVED',
      'CREDENTIAL_ISSUED',
      'QUOTA_BOOST_GRANTED',
      'QUOTA_BOOST_REVOKED',
      'QUOTA_BOOST_GRANTED',
      'QUOTA_BOOST_REVOKED',
      'QUOTA_BOOST_GRANTED',
    ]);
  });

  it('refuses ORG_ADMINs on a plan without an allowance, and limits the plan does not have', async () => {
    const { org, credentialId } = await credentialOn({});
    expect((await grant({ credentialId, extraQuotaRequests: 1 }, org.owner)).data.grantQuotaBoost.errors).toEqual([
      expect.objectContaining({ code: 'BOOST_NOT_ALLOWED', field: 'input.credentialId' }),
    ]);
    const unlimited = await credentialOn({ rateLimit: null });
    expect((await grant({ credentialId: unlimited.credentialId, extraRateRequests: 1 }, h.admin)).data.grantQuotaBoost.errors).toEqual([
      expect.objectContaining({ code: 'NOTHING_TO_BOOST', field: 'input.extraRateRequests' }),
    ]);
  });

  it('ends a boost at its expiry only (a job that runs early is scheduled again), once', async () => {
    const { credentialId } = await credentialOn({});
    const boost = (await grant({ credentialId, extraQuotaRequests: 100, durationSeconds: 300 }, h.admin)).data.grantQuotaBoost.quotaBoost;
    clock.advance(299);
    await inTx((em) => expireQuotaBoost(opsOf(em), boost.id));
    expect((await sql(h, 'select status from developers.quota_boost where id = ?', [boost.id]))[0].status).toBe('ACTIVE');
    const [again] = await sql(h, `select run_at from graphile_worker._private_jobs where key = ?`, [`quota-boost-expiry:${boost.id}`]);
    expect(new Date(again.run_at).toISOString()).toBe(boost.expiresAt);
    clock.advance(5);
    await inTx((em) => expireQuotaBoost(opsOf(em), boost.id));
    await inTx((em) => expireQuotaBoost(opsOf(em), boost.id));
    const [row] = await sql(h, 'select status, ended_at from developers.quota_boost where id = ?', [boost.id]);
    expect(row.status).toBe('EXPIRED');
    expect(new Date(row.ended_at).toISOString()).toBe(boost.expiresAt);
    expect((await eventsOf(credentialId)).filter((t) => t === 'QUOTA_BOOST_EXPIRED')).toHaveLength(1);
    const [webhook] = await sql(
      h,
      `select data from platform.webhook_event where type = 'QUOTA_BOOST_EXPIRED' and data->>'quotaBoostId' = ?`,
      [boost.id],
    );
    expect(webhook.data).toMatchObject({ credentialId, quotaBoostId: boost.id });
  });

  it('ends a boost from the queue in a developers process started after the grant (the schedule survives restarts)', async () => {
    const { credentialId } = await credentialOn({});
    const boost = (await grant({ credentialId, extraQuotaRequests: 10, durationSeconds: 60 }, h.admin)).data.grantQuotaBoost.quotaBoost;
    const keyJobs = async () =>
      (await sql(h, `select count(*)::int as n from public.plangraph_test_job_log where key = ?`, [`key:${credentialId}`]))[0].n as number;
    const before = await keyJobs();
    clock.advance(61);
    // The queue's clock is the database's: make the job due now, as time passing would.
    await sql(h, `update graphile_worker._private_jobs set run_at = now() where key = ?`, [`quota-boost-expiry:${boost.id}`]);
    const restarted = await startSubgraph(developersSubgraph, { databaseUrl: testDatabaseUrl(), port: 0, clock });
    try {
      await waitFor(
        async () => (await sql(h, 'select status from developers.quota_boost where id = ?', [boost.id]))[0].status === 'EXPIRED',
        { timeoutMs: 20_000, what: 'the boost to expire' },
      );
    } finally {
      await restarted.stop();
    }
    expect(await eventsOf(credentialId)).toContain('QUOTA_BOOST_EXPIRED');
    // The provider is asked again to write the key's policies (without the boost's).
    expect(await keyJobs()).toBeGreaterThan(before);
  });

  it('offers the lowest higher tier the organization may request, once per app and window, and lets ORG_ADMINs accept it as a plan change', async () => {
    const { org, planId, productIds, catalogId, credentialId } = await credentialOn({ tier: 1 });
    const seed = seedOf(h);
    const other = await organization(h);
    const hidden = await seed.catalog({ visibility: 'PRIVATE', organizationIds: [other.id], productIds });
    await seed.plan({ name: 'aaa-hidden', catalogIds: [hidden], tier: 2, quota: { requests: 5000, period: 'DAY' } });
    await seed.plan({ catalogIds: [catalogId], tier: 2, quota: { requests: 500, period: 'DAY' } }); // smaller quota: not an upgrade
    const next = await seed.plan({ catalogIds: [catalogId], tier: 2, quota: { requests: 2000, period: 'DAY' }, autoApprove: true });
    await seed.plan({ catalogIds: [catalogId], tier: 3, quota: { requests: 9000, period: 'DAY' } });
    const resetsAt = new Date(clock.now().getTime() + 3600_000);
    const payload = { organizationId: org.id, appId: org.app.id, credentialId, planId, projectedUsed: 1800, limit: 1000, resetsAt };

    expect(await inTx((em) => offerUpgrade(opsOf(em), { ...payload, planId: 'nope' }))).toBeNull();
    expect(await inTx((em) => offerUpgrade(opsOf(em), { ...payload, resetsAt: new Date(clock.now().getTime() - 1) }))).toEqual([]);
    const made = await inTx((em) => offerUpgrade(opsOf(em), payload));
    expect(made!.map((o) => [o.toPlanId, o.status, o.projectedUsed])).toEqual([[next, 'OPEN', 1800]]);
    // One OPEN offer per app and plan.
    expect(await inTx((em) => offerUpgrade(opsOf(em), { ...payload, resetsAt: new Date(resetsAt.getTime() + 3600_000) }))).toEqual([]);

    const OFFERS = `query($org: ID!, $status: [UpgradeOfferStatus!]) { upgradeOffers(organizationId: $org, status: $status) { totalCount edges { node { id status toPlan { id } accessRequest { kind status } } } } }`;
    const listed = await gql(h, OFFERS, { org: org.id, status: ['OPEN'] }, org.member);
    expect(listed.data.upgradeOffers.edges.map((e: any) => e.node.toPlan.id)).toEqual([next]);
    expect((await gql(h, OFFERS, { org: org.id }, other.owner)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const ACCEPT = `mutation($i: AcceptUpgradeOfferInput!) { acceptUpgradeOffer(input: $i) { upgradeOffer { status } accessRequest { kind status credential { id plan { id } } } errors { code } } }`;
    const id = made![0].id;
    for (const who of [org.member, h.admin, other.owner])
      expect((await gql(h, ACCEPT, { i: { id } }, who)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Nothing changed before the acceptance.
    expect((await sql(h, 'select plan_id::text as plan_id from developers.credential where id = ?', [credentialId]))[0].plan_id).toBe(
      planId,
    );
    const accepted = (await gql(h, ACCEPT, { i: { id } }, org.owner)).data.acceptUpgradeOffer;
    expect(accepted).toMatchObject({
      upgradeOffer: { status: 'ACCEPTED' },
      accessRequest: { kind: 'PLAN_CHANGE', status: 'APPROVED', credential: { id: credentialId, plan: { id: next } } },
      errors: [],
    });
    // Again (a retry): the same offer and request.
    expect((await gql(h, ACCEPT, { i: { id } }, org.owner)).data.acceptUpgradeOffer).toMatchObject({
      upgradeOffer: { status: 'ACCEPTED' },
      accessRequest: { kind: 'PLAN_CHANGE', status: 'APPROVED' },
    });
    expect(await eventsOf(credentialId)).toContain('UPGRADE_OFFERED');
  });

  it('lets members decline; an offer expires; a new window gets a new offer', async () => {
    const { org, planId, catalogId } = await credentialOn({ tier: 1 });
    await seedOf(h).plan({ catalogIds: [catalogId], tier: 2, quota: { requests: 2000, period: 'DAY' } });
    const window = (hours: number) => new Date(clock.now().getTime() + hours * 3600_000);
    const payload = { organizationId: org.id, appId: org.app.id, credentialId: null, planId, projectedUsed: 1200, limit: 1000 };
    const [first] = (await inTx((em) => offerUpgrade(opsOf(em), { ...payload, resetsAt: window(1) })))!;
    const DECLINE = `mutation($i: DeclineUpgradeOfferInput!) { declineUpgradeOffer(input: $i) { upgradeOffer { status decidedBy } errors { code } } }`;
    expect((await gql(h, DECLINE, { i: { id: first.id } }, h.admin)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(h, DECLINE, { i: { id: first.id } }, org.member)).data.declineUpgradeOffer.upgradeOffer).toEqual({
      status: 'DECLINED',
      decidedBy: org.member.sub,
    });
    // The same window: no new offer after a decline. The next window: a new one.
    expect(await inTx((em) => offerUpgrade(opsOf(em), { ...payload, resetsAt: window(1) }))).toEqual([]);
    const [second] = (await inTx((em) => offerUpgrade(opsOf(em), { ...payload, resetsAt: window(2) })))!;
    clock.advance(7 * 86_400);
    const ACCEPT = `mutation($i: AcceptUpgradeOfferInput!) { acceptUpgradeOffer(input: $i) { upgradeOffer { status } errors { code } } }`;
    expect((await gql(h, ACCEPT, { i: { id: second.id } }, org.owner)).data.acceptUpgradeOffer.errors).toEqual([{ code: 'OFFER_EXPIRED' }]);
    const OFFERS = `query($org: ID!) { upgradeOffers(organizationId: $org, status: [EXPIRED]) { edges { node { id status } } } }`;
    expect((await gql(h, OFFERS, { org: org.id }, org.owner)).data.upgradeOffers.edges.map((e: any) => e.node)).toEqual([
      { id: second.id, status: 'EXPIRED' },
    ]);
  });

  it('tells each organization holding an ACTIVE credential on a plan of an adaptive limit change, once per change', async () => {
    const { org, planId, productIds } = await credentialOn({});
    // A second organization on the plan; a third whose credential on it was revoked; a fourth on another plan.
    const second = await organization(h);
    await ok(h, 'requestAccess', { appId: second.app.id, planId, productIds }, second.member);
    const revoked = await organization(h);
    const gone = await ok(h, 'requestAccess', { appId: revoked.app.id, planId, productIds }, revoked.member);
    await ok(h, 'revokeCredential', { id: gone.credential.id }, revoked.member);
    const elsewhere = await credentialOn({});
    const change = {
      changeId: String(Date.now()),
      planId,
      state: 'TIGHTENED',
      reason: 'ERROR_RATE_ABOVE',
      rateRequests: 10,
      ratePerSeconds: 60,
      occurredAt: clock.now().toISOString(),
    };
    const adaptiveEvents = async () =>
      (
        await sql(
          h,
          `select payload->>'organizationId' as organization, payload->>'type' as type, payload->'adaptiveLimit' as notice
             from platform.event where topic = 'accessRequestEvents' and payload->'adaptiveLimit'->>'planId' in (?, ?) order by id`,
          [planId, elsewhere.planId],
        )
      ).map((r) => [r.organization, r.type, r.notice]);

    expect(await inTx((em) => announceAdaptiveLimitChange(opsOf(em), { ...change, reason: 'BECAUSE' }))).toBeNull();
    expect(await inTx((em) => announceAdaptiveLimitChange(opsOf(em), { ...change, changeId: 'x' }))).toBeNull();
    expect(await inTx((em) => announceAdaptiveLimitChange(opsOf(em), { ...change, rateRequests: -1 }))).toBeNull();
    const told = await inTx((em) => announceAdaptiveLimitChange(opsOf(em), change));
    expect(told!.sort()).toEqual([org.id, second.id].sort());
    const notice = { changeId: change.changeId, planId, reason: 'ERROR_RATE_ABOVE', rateRequests: 10, ratePerSeconds: 60 };
    expect((await adaptiveEvents()).sort()).toEqual(
      [
        [org.id, 'ADAPTIVE_LIMIT_TIGHTENED', notice],
        [second.id, 'ADAPTIVE_LIMIT_TIGHTENED', notice],
      ].sort(),
    );
    // The job run again (a retry) tells nobody twice; the next change is told again.
    expect(await inTx((em) => announceAdaptiveLimitChange(opsOf(em), change))).toEqual([]);
    const restored = { ...change, changeId: String(Number(change.changeId) + 1), state: 'NORMAL', reason: 'RECOVERED', rateRequests: 100 };
    expect((await inTx((em) => announceAdaptiveLimitChange(opsOf(em), restored)))!.sort()).toEqual([org.id, second.id].sort());
    expect((await adaptiveEvents()).map(([, type]) => type).sort()).toEqual([
      'ADAPTIVE_LIMIT_RESTORED',
      'ADAPTIVE_LIMIT_RESTORED',
      'ADAPTIVE_LIMIT_TIGHTENED',
      'ADAPTIVE_LIMIT_TIGHTENED',
    ]);
    // No webhook event of its own: the usage subgraph records the platform one.
    const webhooks = await sql(
      h,
      `select count(*)::int as n from platform.webhook_event where type like 'ADAPTIVE_LIMIT_%' and organization_id in (?, ?)`,
      [org.id, second.id],
    );
    expect(webhooks[0].n).toBe(0);
    // Members of a told organization read it back, with the plan and the rate; the revoked one's members see none.
    const HISTORY = `query($org: ID) { accessRequestEventsHistory(organizationId: $org, first: 100) { edges { node { type reason effectiveRateRequests effectiveRatePerSeconds plan { id } } } } }`;
    const read = async (organizationId: string, who: Identity) =>
      (await gql(h, HISTORY, { org: organizationId }, who)).data.accessRequestEventsHistory.edges
        .map((e: any) => e.node)
        .filter((n: any) => n.type.startsWith('ADAPTIVE_LIMIT_'));
    expect(await read(org.id, org.member)).toEqual([
      {
        type: 'ADAPTIVE_LIMIT_TIGHTENED',
        reason: 'ERROR_RATE_ABOVE',
        effectiveRateRequests: 10,
        effectiveRatePerSeconds: 60,
        plan: { id: planId },
      },
      {
        type: 'ADAPTIVE_LIMIT_RESTORED',
        reason: 'RECOVERED',
        effectiveRateRequests: 100,
        effectiveRatePerSeconds: 60,
        plan: { id: planId },
      },
    ]);
    expect(await read(revoked.id, revoked.member)).toEqual([]);
  });
  it('tells the organization of each credential a plan rollout step concerns, once per credential and step, within app visibility', async () => {
    const { org, planId, productIds, credentialId } = await credentialOn({});
    // A PERSONAL app of the member's in the same organization: a teammate may not see its events.
    const personalApp = await createApp(h, org.id, org.member, { visibility: 'PERSONAL' });
    const personal = (await ok(h, 'requestAccess', { appId: personalApp.id, planId, productIds }, org.member)).credential.id as string;
    const teammate = developer();
    await join(h, org.id, teammate, 'MEMBER');
    const second = await organization(h);
    const secondCredential = (await ok(h, 'requestAccess', { appId: second.app.id, planId, productIds }, second.member)).credential.id;
    const revoked = await organization(h);
    const gone = await ok(h, 'requestAccess', { appId: revoked.app.id, planId, productIds }, revoked.member);
    await ok(h, 'revokeCredential', { id: gone.credential.id }, revoked.member);
    const elsewhere = await credentialOn({});
    const rolloutId = randomUUID();
    const notice = {
      planRolloutId: rolloutId,
      planId,
      step: 'COMPLETED',
      stagePercent: 50,
      quotaRequests: 200,
      quotaPeriodSeconds: 3600,
      rateRequests: null,
      ratePerSeconds: null,
      reason: null,
      occurredAt: clock.now().toISOString(),
    };
    const announce = (payload: unknown) => inTx((em) => announcePlanRolloutStep(opsOf(em), payload));

    expect(await announce({ ...notice, step: 'APPLIED' })).toBeNull();
    expect(await announce({ ...notice, planId: 'x' })).toBeNull();
    expect(await announce({ ...notice, quotaRequests: -1 })).toBeNull();
    expect(await announce({ ...notice, stagePercent: 101 })).toBeNull();
    // No member of this (unknown) rollout: nobody to tell of joining or of a rollback.
    expect(await announce({ ...notice, step: 'JOINED' })).toEqual([]);
    expect(await announce({ ...notice, step: 'ROLLED_BACK', reason: 'slow' })).toEqual([]);
    const told = await announce(notice);
    expect(told!.sort()).toEqual([credentialId, personal, secondCredential].sort());
    // Run again (a retried job): nobody twice.
    expect(await announce(notice)).toEqual([]);
    const stored = await sql(
      h,
      `select payload->>'credentialId' as credential from platform.event
        where topic = 'accessRequestEvents' and payload->'planRollout'->>'rolloutId' = ? order by id`,
      [rolloutId],
    );
    expect(stored.map((r) => r.credential).sort()).toEqual([credentialId, personal, secondCredential].sort());
    expect(stored.some((r) => r.credential === elsewhere.credentialId || r.credential === gone.credential.id)).toBe(false);
    // No webhook event of its own: the plans subgraph records the platform one.
    const webhooks = await sql(
      h,
      `select count(*)::int as n from platform.webhook_event where type like 'PLAN_ROLLOUT_%' and organization_id = ?`,
      [org.id],
    );
    expect(webhooks[0].n).toBe(0);
    // Read back: the creator sees both credentials' events, the teammate only the shared app's.
    const HISTORY = `query($org: ID) { accessRequestEventsHistory(organizationId: $org, first: 100) { edges { node {
      type planRolloutId effectiveQuotaRequests effectiveQuotaPeriodSeconds plan { id } credential { id } } } } }`;
    const read = async (who: Identity) =>
      (await gql(h, HISTORY, { org: org.id }, who)).data.accessRequestEventsHistory.edges
        .map((e: any) => e.node)
        .filter((n: any) => n.type.startsWith('PLAN_ROLLOUT_'));
    const event = (id: string) => ({
      type: 'PLAN_ROLLOUT_COMPLETED',
      planRolloutId: rolloutId,
      effectiveQuotaRequests: 200,
      effectiveQuotaPeriodSeconds: 3600,
      plan: { id: planId },
      credential: { id },
    });
    expect((await read(org.member)).sort((a: any, b: any) => (a.credential.id < b.credential.id ? -1 : 1))).toEqual(
      [credentialId, personal].sort().map(event),
    );
    expect(await read(teammate)).toEqual([event(credentialId)]);
  });
});
