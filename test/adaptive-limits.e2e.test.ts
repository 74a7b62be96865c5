import pg from 'pg';
import type { Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { Seed } from './kit/seed';
import { ManualClock } from './kit/clock';
import { analytics, postAnalytics } from './kit/usage';
import { WebhookReceiver, webhookTestEnv } from './kit/webhooks';
import { TykTestServer } from './tyk/server';
import { emitAccessEvent } from '../subgraphs/developers/services/events';
import { AccessRequestEventType } from '../subgraphs/developers/entities/access-request-event';
import { watchAccessEvents } from './kit/events';

/**
 * Adaptive rate limits through the gateway, with the Tyk test server as the provider. A plan
 * (100 requests a minute) gets an adaptive limit (floor 10; tighten above 20 % 5xx, restore below
 * 5 % over a whole 5-minute window). Its credential's analytics go to the usage ingest; the usage
 * subgraph runs on a manual clock and its evaluation job is made to run after each step. Half the
 * requests fail: the plan's policy in Tyk drops to 10 and platform webhook endpoints get
 * ADAPTIVE_LIMIT_TIGHTENED. 10 % failing (between the thresholds) for a window: nothing changes.
 * Healthy for a window: the policy is back at 100, ADAPTIVE_LIMIT_RESTORED. Both changes also reach
 * the organization holding a credential on the plan on `accessRequestEvents` (with the plan, the
 * new rate and the reason), and not another organization. Members may neither set it nor read it.
 */
describe('adaptive rate limits through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let receiver: WebhookReceiver;
  let db: pg.Pool;
  const clock = new ManualClock(new Date());
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const bob = developer();
  const clients: Client[] = [];

  /** `accessRequestEvents` of an organization, as `identity` receives them. */
  function watchEvents(identity: Identity, organizationId: string) {
    const watched = watchAccessEvents(
      platform.wsUrl,
      clients,
      identity,
      organizationId,
      'type organizationId reason effectiveRateRequests effectiveRatePerSeconds plan { id }',
    );
    return { ...watched, adaptive: () => watched.events.filter((e) => e.type.startsWith('ADAPTIVE_LIMIT_')) };
  }

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity) {
    return gatewayRequest(platform.gatewayUrl, query, variables, identity);
  }
  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity) {
    const r = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    expect(r.data[name].errors).toEqual([]);
    return r.data[name];
  }

  beforeAll(async () => {
    const env = webhookTestEnv();
    platform = await startPlatform({
      clockOf: { usage: clock },
      envOf: {
        developers: {
          WEBHOOK_ALLOWED_CIDRS: env.WEBHOOK_ALLOWED_CIDRS,
          WEBHOOK_TIMEOUT_MS: env.WEBHOOK_TIMEOUT_MS,
          WEBHOOK_RETRY_BASE_MS: env.WEBHOOK_RETRY_BASE_MS,
        },
      },
    });
    tyk = await TykTestServer.start();
    receiver = await new WebhookReceiver().start();
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await db?.end();
    await receiver?.stop();
    await platform?.stop();
    await tyk?.stop();
  });

  it('tightens the plan’s policy in Tyk on 5xx, holds it between the thresholds, restores it when healthy', async () => {
    const seed = new Seed(platform.gatewayUrl, admin);
    await seed.provider(tyk);
    const apiId = unique('api');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const catalogId = await seed.catalog();
    const productId = await seed.product({ catalogIds: [catalogId], tykApiIds: [apiId] });
    const planId = await seed.plan({ catalogIds: [catalogId], autoApprove: true, rateLimit: { requests: 100, perSeconds: 60 } });
    const policyId = `pg-plan-${planId.replace(/-/g, '')}`;
    const organizationId = await seed.organization(alice.sub);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('app') }, alice);
    const granted = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id }',
      { appId: app.app.id, planId, productIds: [productId] },
      alice,
    );
    const keyHash = await waitFor(
      async () => {
        const { rows } = await db.query(`select key_hash from provider.credential_key where credential_id = $1 and status = 'ACTIVE'`, [
          granted.credential.id,
        ]);
        return rows[0] && tyk.keySession(rows[0].key_hash) ? (rows[0].key_hash as string) : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
    );
    // Alice's organization holds an ACTIVE credential on the plan; Bob's does not.
    const bobsOrganization = await seed.organization(bob.sub);
    const mine = watchEvents(alice, organizationId);
    const theirs = watchEvents(bob, bobsOrganization);
    // Both subscriptions are live once a probe event of their organization reached them.
    const developersSubgraph = platform.subgraphs.developers!;
    await waitFor(
      async () => {
        if (mine.events.length && theirs.events.length) return true;
        await developersSubgraph.orm.em.fork().transactional(async (em) => {
          for (const id of [organizationId, bobsOrganization]) {
            await emitAccessEvent(developersSubgraph.pubsub, em as never, {
              type: AccessRequestEventType.REQUESTED,
              organizationId: id,
              at: new Date(),
            });
          }
        });
        return false;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'both event subscriptions to be live' },
    );
    const policyRate = () => (tyk.policy(policyId) as { rate?: number } | undefined)?.rate;
    await waitFor(() => policyRate() === 100, { what: 'the plan’s policy at 100 a minute' });

    await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id }',
      { url: receiver.url('/platform'), eventTypes: ['ADAPTIVE_LIMIT_TIGHTENED', 'ADAPTIVE_LIMIT_RESTORED'] },
      admin,
    );

    // Members may not set it, nor read it.
    const settings = { floorRequests: 10, errorRateAbovePercent: 20, restoreBelowPercent: 5, windowSeconds: 300, minRequests: 20 };
    const SET = `mutation($i: SetAdaptiveRateLimitInput!) { setAdaptiveRateLimit(input: $i) { adaptiveLimit { state } errors { code } } }`;
    expect((await gql(SET, { i: { planId, settings } }, alice)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await mutate(
      'setAdaptiveRateLimit',
      'SetAdaptiveRateLimitInput',
      'adaptiveLimit { state effectiveRate { requests } }',
      { planId, settings },
      admin,
    );
    expect(set.adaptiveLimit).toEqual({ state: 'NORMAL', effectiveRate: { requests: 100 } });
    const READ = `query($id: ID!) { plan(id: $id) { id adaptiveLimit {
      state since effectiveRate { requests perSeconds }
      lastEvaluation { at requests errors5xx errorRatePercent decision }
      changes { state reason errorRatePercent effectiveRate { requests } } } } }`;
    expect((await gql(READ, { id: planId }, alice)).data.plan).toEqual({ id: planId, adaptiveLimit: null });

    let sequence = 0;
    /** `total` requests of the credential over the last `spanSeconds` by the usage clock, `failing` of them 500s. */
    async function feed(total: number, failing: number, spanSeconds = 120) {
      const end = clock.now().getTime();
      const rows = Array.from({ length: total }, (_, i) =>
        analytics({ keyHash, policyIds: [] }, new Date(end - spanSeconds * 1000 + Math.floor(((i + 1) * spanSeconds * 1000) / total) - 1), {
          api_id: apiId,
          response_code: i < failing ? 500 : 200,
          path: `/forecast/${sequence++}`,
        }),
      );
      const { status, body } = await postAnalytics(platform.subgraphs.usage!.url, rows);
      expect(status).toBe(200);
      expect(body).toMatchObject({ accepted: total, unmatched: 0 });
    }
    async function evaluate(): Promise<any> {
      // The recurring evaluation (every real minute) also runs on this clock: one that ran between
      // the last `clock.advance` and `feed` carries that time without the fed records. A second
      // later, this evaluation's time is its own (or a recurring one's that saw the same records).
      clock.advance(1);
      const at = clock.now().toISOString();
      await db.query(`select graphile_worker.add_job('usage.evaluateAdaptiveLimits', '{}'::json)`);
      return waitFor(
        async () => {
          const limit = (await gql(READ, { id: planId }, admin)).data.plan.adaptiveLimit;
          return limit.lastEvaluation?.at === at ? limit : null;
        },
        { what: `the evaluation at ${at}` },
      );
    }

    // Half the requests fail: tightened to the floor, in Tyk too.
    clock.advance(60);
    await feed(40, 20);
    const tightened = await evaluate();
    expect(tightened).toMatchObject({
      state: 'TIGHTENED',
      effectiveRate: { requests: 10, perSeconds: 60 },
      lastEvaluation: { requests: 40, errors5xx: 20, errorRatePercent: 50, decision: 'ERROR_RATE_ABOVE' },
      changes: [{ state: 'TIGHTENED', reason: 'ERROR_RATE_ABOVE', errorRatePercent: 50, effectiveRate: { requests: 10 } }],
    });
    await waitFor(() => policyRate() === 10, { what: 'the plan’s policy tightened to 10 in Tyk' });
    await waitFor(() => receiver.at('/platform').some((r) => r.json.type === 'ADAPTIVE_LIMIT_TIGHTENED'), {
      what: 'ADAPTIVE_LIMIT_TIGHTENED',
    });
    expect(receiver.at('/platform').find((r) => r.json.type === 'ADAPTIVE_LIMIT_TIGHTENED')!.json.data).toMatchObject({
      planId,
      reason: 'ERROR_RATE_ABOVE',
      errorRatePercent: 50,
      effectiveRateRequests: 10,
    });
    // Alice's organization (a credential on the plan) hears of it on accessRequestEvents.
    await waitFor(() => mine.adaptive().length === 1, { what: 'ADAPTIVE_LIMIT_TIGHTENED on accessRequestEvents' });
    expect(mine.adaptive()).toEqual([
      {
        type: 'ADAPTIVE_LIMIT_TIGHTENED',
        organizationId,
        reason: 'ERROR_RATE_ABOVE',
        effectiveRateRequests: 10,
        effectiveRatePerSeconds: 60,
        plan: { id: planId },
      },
    ]);

    // 10 % failing for a whole window (between 5 % and 20 %): no flap, still 10 in Tyk.
    clock.advance(360);
    await feed(40, 4);
    expect(await evaluate()).toMatchObject({
      state: 'TIGHTENED',
      since: tightened.since,
      lastEvaluation: { errorRatePercent: 10, decision: 'UNHEALTHY' },
    });
    expect(policyRate()).toBe(10);

    // Healthy for a whole window: restored, in Tyk too.
    clock.advance(360);
    await feed(40, 0);
    expect(await evaluate()).toMatchObject({
      state: 'NORMAL',
      effectiveRate: { requests: 100, perSeconds: 60 },
      lastEvaluation: { errorRatePercent: 0, decision: 'RECOVERED' },
      changes: [{ state: 'NORMAL', reason: 'RECOVERED' }, { state: 'TIGHTENED' }],
    });
    await waitFor(() => policyRate() === 100, { what: 'the plan’s policy restored to 100 in Tyk' });
    await waitFor(() => receiver.at('/platform').some((r) => r.json.type === 'ADAPTIVE_LIMIT_RESTORED'), {
      what: 'ADAPTIVE_LIMIT_RESTORED',
    });
    expect(receiver.at('/platform').map((r) => r.json.type)).toEqual(['ADAPTIVE_LIMIT_TIGHTENED', 'ADAPTIVE_LIMIT_RESTORED']);
    await waitFor(() => mine.adaptive().length === 2, { what: 'ADAPTIVE_LIMIT_RESTORED on accessRequestEvents' });
    expect(mine.adaptive()[1]).toEqual({
      type: 'ADAPTIVE_LIMIT_RESTORED',
      organizationId,
      reason: 'RECOVERED',
      effectiveRateRequests: 100,
      effectiveRatePerSeconds: 60,
      plan: { id: planId },
    });
    // Bob's organization holds no credential on the plan: a last probe of his organization
    // arrives after both changes were published, and nothing adaptive came before it.
    const seenByBob = theirs.events.length;
    await developersSubgraph.orm.em.fork().transactional(async (em) => {
      await emitAccessEvent(developersSubgraph.pubsub, em as never, {
        type: AccessRequestEventType.REQUESTED,
        organizationId: bobsOrganization,
        at: new Date(),
      });
    });
    await waitFor(() => theirs.events.length > seenByBob, { what: 'the last probe of Bob’s organization' });
    expect(theirs.adaptive()).toEqual([]);
    expect([...mine.errors, ...theirs.errors]).toEqual([]);
    // Stored too: the organization's event history has both, once each.
    const history = await gql(
      `query($org: ID) { accessRequestEventsHistory(organizationId: $org, first: 100) { edges { node { type reason plan { id } } } } }`,
      { org: organizationId },
      alice,
    );
    expect(history.data.accessRequestEventsHistory.edges.map((e: any) => e.node).filter((n: any) => n.type.startsWith('ADAPTIVE'))).toEqual(
      [
        { type: 'ADAPTIVE_LIMIT_TIGHTENED', reason: 'ERROR_RATE_ABOVE', plan: { id: planId } },
        { type: 'ADAPTIVE_LIMIT_RESTORED', reason: 'RECOVERED', plan: { id: planId } },
      ],
    );

    // Audited: the setting and both changes.
    const audit = await gql(
      `query($t: String) { auditLog(filter: { targetId: $t }) { edges { node { action subgraph } } } }`,
      { t: planId },
      admin,
    );
    expect(audit.data.auditLog.edges.map((e: any) => e.node.action)).toEqual(
      expect.arrayContaining(['setAdaptiveRateLimit', 'adaptiveLimit.tighten', 'adaptiveLimit.restore']),
    );
  });
});
