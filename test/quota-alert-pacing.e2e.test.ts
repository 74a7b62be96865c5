import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { testDatabaseUrl } from './helpers/db';
import { gatewayRequest, tokenFor, developer, type Identity } from './helpers/graphql';
import { waitFor } from './helpers/wait';
import { analytics, Fixtures, postAnalytics, migrateOwners, type FixtureCredential, type FixtureOrg } from './kit/usage';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';
import { verifyWebhook, WebhookReceiver, webhookTestEnv } from './kit/webhooks';

/**
 * Quota warnings without flapping, through the gateway: an organization admin sets a re-arm
 * margin (hysteresis), a cool-down and per-threshold channels; a counter that hovers at its 80 %
 * threshold window after window is warned once until a quiet window re-arms it, a cool-down holds
 * repeats back, a threshold routed to webhooks only never reaches the subscription (and reaches the
 * organization's webhook endpoint, which gets no held-back warning), and only the organization's
 * admins may change any of it.
 */
describe('quota warnings without flapping', () => {
  let platform: TestPlatform;
  let db: pg.Client;
  let fixtures: Fixtures;
  const clients: Client[] = [];
  const HOUR = 3_600_000;
  const base = Date.now() - 12 * HOUR;

  async function ingest(rows: Record<string, unknown>[]) {
    const { status, body } = await postAnalytics(platform.subgraphs.usage!.url, rows);
    expect(status).toBe(200);
    expect(body).toMatchObject({ accepted: rows.length, rejected: [] });
  }

  /** `n` requests of a credential from `at`, a second apart. */
  const burst = (credential: FixtureCredential, at: number, n: number) =>
    Array.from({ length: n }, (_, i) => analytics(credential, new Date(at + i * 1000)));

  const SET = `mutation($input: SetQuotaAlertRulesInput!) { setQuotaAlertRules(input: $input) {
    rules { thresholds coolDownSeconds rearmMarginPercent channels { thresholdPercent channels } } errors { code field message } } }`;

  function subscribe(identity: Identity, organizationId: string) {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(client);
    const warnings: { thresholdPercent: number; windowStart: string; kind: string }[] = [];
    const errors: unknown[] = [];
    client.subscribe(
      {
        query: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { kind thresholdPercent windowStart } }`,
        variables: { org: organizationId },
      },
      {
        next: (result) => (result.errors ? errors.push(...result.errors) : warnings.push((result.data as any).quotaWarnings)),
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    return { warnings, errors, real: () => warnings.filter((w) => w.thresholdPercent !== 1) };
  }

  /** Waits until a subscription is live: a probe warning (1 %, in a window long ago) arrives. */
  let probeWindow = Date.UTC(2020, 0, 1);
  async function ready(sub: ReturnType<typeof subscribe>, organizationId: string) {
    const usage = platform.subgraphs.usage!;
    await waitFor(
      async () => {
        if (sub.warnings.length > 0) return true;
        probeWindow += HOUR;
        await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
          organizationId,
          kind: QuotaWarningKind.SOFT,
          thresholdPercent: 1,
          used: 1,
          limit: 100,
          windowStart: new Date(probeWindow),
          resetsAt: new Date(probeWindow + HOUR),
        });
        return false;
      },
      { intervalMs: 100, timeoutMs: 15_000, what: 'the subscription to be live' },
    );
  }

  const stored = async (credentialId: string) =>
    (
      await db.query<{ threshold_percent: number; window_start: Date; suppressed_reason: string | null; channels: string[] }>(
        `select threshold_percent, window_start, suppressed_reason, channels from usage.quota_warning
          where credential_id = $1 and threshold_percent > 1 order by window_start, threshold_percent`,
        [credentialId],
      )
    ).rows.map((r) => ({
      threshold: r.threshold_percent,
      window: r.window_start.getTime(),
      reason: r.suppressed_reason,
      channels: r.channels,
    }));

  let org: FixtureOrg;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    const env = webhookTestEnv();
    platform = await startPlatform({
      envOf: {
        developers: {
          WEBHOOK_ALLOWED_CIDRS: env.WEBHOOK_ALLOWED_CIDRS,
          WEBHOOK_TIMEOUT_MS: env.WEBHOOK_TIMEOUT_MS,
          WEBHOOK_RETRY_BASE_MS: env.WEBHOOK_RETRY_BASE_MS,
        },
      },
    });
    receiver = await new WebhookReceiver().start();
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    await migrateOwners(testDatabaseUrl());
    fixtures = new Fixtures(db);
    org = await fixtures.organization();
  });

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await receiver?.stop();
    await db?.end();
    await platform?.stop();
  });

  it('warns a counter that hovers at its threshold once, until a quiet window re-arms it; a webhook-only threshold never reaches the subscription', async () => {
    const set = await gatewayRequest(
      platform.gatewayUrl,
      SET,
      {
        input: {
          organizationId: org.id,
          thresholds: [80, 100],
          rearmMarginPercent: 20,
          channels: [{ thresholdPercent: 100, channels: ['WEBHOOK'] }],
        },
      },
      org.admin,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data.setQuotaAlertRules).toEqual({
      rules: {
        thresholds: [80, 100],
        coolDownSeconds: 0,
        rearmMarginPercent: 20,
        channels: [
          { thresholdPercent: 80, channels: ['SUBSCRIPTION', 'WEBHOOK'] },
          { thresholdPercent: 100, channels: ['WEBHOOK'] },
        ],
      },
      errors: [],
    });

    const plan = await fixtures.plan({ requests: 10, periodSeconds: 3600 });
    const product = await fixtures.product(['weather']);
    const credential = await fixtures.credential(org.id, await fixtures.app(org.id), plan, [product]);
    const sub = subscribe(org.member, org.id);
    await ready(sub, org.id);
    const endpoint = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret errors { code field message } } }`,
      { i: { organizationId: org.id, url: receiver.url('/warnings'), eventTypes: ['QUOTA_WARNING'] } },
      org.admin,
    );
    expect(endpoint.data.createWebhookEndpoint.errors).toEqual([]);
    const secret: string = endpoint.data.createWebhookEndpoint.secret;

    // Hour windows of 10 requests: 8 (80 %), 8, 8 — hovering; then 3 (30 %, below 80 − 20); then 10.
    await ingest(burst(credential, base, 8));
    await ingest([...burst(credential, base + HOUR, 8), ...burst(credential, base + 2 * HOUR, 8)]);
    await ingest(burst(credential, base + 3 * HOUR, 3));
    await ingest(burst(credential, base + 4 * HOUR, 10));

    const windows = [0, 1, 2, 4].map((h) => base + h * HOUR);
    expect(await stored(credential.id)).toEqual([
      { threshold: 80, window: windows[0], reason: null, channels: ['SUBSCRIPTION', 'WEBHOOK'] },
      { threshold: 80, window: windows[1], reason: 'NOT_REARMED', channels: ['SUBSCRIPTION', 'WEBHOOK'] },
      { threshold: 80, window: windows[2], reason: 'NOT_REARMED', channels: ['SUBSCRIPTION', 'WEBHOOK'] },
      { threshold: 80, window: windows[3], reason: null, channels: ['SUBSCRIPTION', 'WEBHOOK'] },
      { threshold: 100, window: windows[3], reason: null, channels: ['WEBHOOK'] },
    ]);
    // The subscriber got the two delivered 80 % warnings, in order, and nothing else.
    await waitFor(() => sub.real().length >= 2, { timeoutMs: 10_000, what: 'two warnings' });
    // A probe after the last ingest: anything still on its way from the ingests arrives before it.
    const before = sub.warnings.length;
    await raiseQuotaWarning(platform.subgraphs.usage!.orm.em.fork(), platform.subgraphs.usage!.pubsub, {
      organizationId: org.id,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent: 1,
      used: 1,
      limit: 100,
      windowStart: new Date((probeWindow += HOUR)),
      resetsAt: new Date(probeWindow + HOUR),
    });
    await waitFor(() => sub.warnings.length > before, { timeoutMs: 10_000, what: 'the closing probe' });
    expect(sub.real().map((w) => [w.thresholdPercent, new Date(w.windowStart).getTime()])).toEqual([
      [80, windows[0]],
      [80, windows[3]],
    ]);
    expect(sub.errors).toEqual([]);
    // The webhook endpoint gets the delivered warnings of both thresholds (80 % twice, 100 % once),
    // signed, and none of the held-back ones.
    const hooks = () => receiver.at('/warnings').filter((r) => r.json.data.thresholdPercent !== 1 && r.status === 200);
    await waitFor(() => hooks().length >= 3, { timeoutMs: 15_000, what: 'three webhook deliveries' });
    for (const hook of hooks()) expect(verifyWebhook(secret, hook)).toBeTruthy();
    expect(hooks().map((r) => [r.json.type, r.json.data.thresholdPercent, new Date(String(r.json.data.windowStart)).getTime()])).toEqual([
      ['QUOTA_WARNING', 80, windows[0]],
      ['QUOTA_WARNING', 80, windows[3]],
      ['QUOTA_WARNING', 100, windows[3]],
    ]);
  });

  it('holds repeats back for the cool-down, even in new windows', async () => {
    const other = await fixtures.organization();
    const app = await fixtures.app(other.id);
    const set = await gatewayRequest(
      platform.gatewayUrl,
      SET,
      { input: { organizationId: other.id, appId: app, thresholds: [50], coolDownSeconds: 86_400 } },
      other.admin,
    );
    expect(set.data.setQuotaAlertRules.errors).toEqual([]);
    const plan = await fixtures.plan({ requests: 10, periodSeconds: 3600 });
    const product = await fixtures.product(['weather']);
    const credential = await fixtures.credential(other.id, app, plan, [product]);
    await ingest(burst(credential, base, 5));
    await ingest(burst(credential, base + HOUR, 5));
    await ingest(burst(credential, base + 5 * HOUR, 6));
    expect((await stored(credential.id)).map((w) => [w.threshold, w.reason])).toEqual([
      [50, null],
      [50, 'COOL_DOWN'],
      [50, 'COOL_DOWN'],
    ]);
  });

  it('lets only the organization’s admins set pacing and channels, and refuses bad settings with typed errors', async () => {
    const input = { organizationId: org.id, thresholds: [80], coolDownSeconds: 60 };
    const member = await gatewayRequest(platform.gatewayUrl, SET, { input }, org.member);
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const outsider = await gatewayRequest(platform.gatewayUrl, SET, { input }, developer());
    expect(outsider.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await gatewayRequest(platform.gatewayUrl, SET, { input }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const bad: [Record<string, unknown>, string][] = [
      [{ coolDownSeconds: -1 }, 'input.coolDownSeconds'],
      [{ coolDownSeconds: 30 * 86_400 + 1 }, 'input.coolDownSeconds'],
      [{ rearmMarginPercent: 100 }, 'input.rearmMarginPercent'],
      [{ channels: [{ thresholdPercent: 90, channels: ['WEBHOOK'] }] }, 'input.channels[0].thresholdPercent'],
      [{ channels: [{ thresholdPercent: 80, channels: [] }] }, 'input.channels[0].channels'],
    ];
    for (const [extra, field] of bad) {
      const response = await gatewayRequest(
        platform.gatewayUrl,
        SET,
        { input: { organizationId: org.id, thresholds: [80], ...extra } },
        org.admin,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data.setQuotaAlertRules).toMatchObject({
        rules: null,
        errors: [expect.objectContaining({ code: 'VALIDATION_FAILED', field })],
      });
    }
    // Nothing of the refused settings was written: the rules are still those of the first test.
    const rules = await gatewayRequest(
      platform.gatewayUrl,
      `query($org: ID!) { quotaAlertRules(organizationId: $org) { appId thresholds rearmMarginPercent coolDownSeconds } }`,
      { org: org.id },
      org.member,
    );
    expect(rules.data.quotaAlertRules[0]).toEqual({ appId: null, thresholds: [80, 100], rearmMarginPercent: 20, coolDownSeconds: 0 });
  });
});
