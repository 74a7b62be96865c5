import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { Fixtures } from './helpers/fixtures';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { TykTestServer, type AnalyticsRow } from './tyk/server';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { announceQuotaStatus } from './kit/quota-status';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';

/**
 * Usage metering end to end: a plan (10 requests per hour) synced to the Tyk test server, a
 * credential issued there through `requestAccess`, requests proxied by the test server with the
 * credential's secret, its analytics rows (the SQL pump's shape) sent to the usage subgraph's
 * ingest endpoint with a service token — then `Credential.quota` through the gateway matches the
 * test server's own quota counter, and the organization's subscriber gets the 80 %, 90 % and
 * 100 % warnings exactly once each, while another organization's subscriber gets nothing.
 */
describe('usage metering end to end (Tyk test server → ingest → gateway)', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const clients: Client[] = [];
  /** Registering a provider needs a token that asserts MFA. */
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const bob = developer();
  const rows: AnalyticsRow[] = [];
  let fed = 0;

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null = admin) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity = admin) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

  /** Sends the analytics rows recorded since the last call to the usage subgraph's ingest endpoint. */
  async function feed() {
    const batch = rows.slice(fed);
    fed = rows.length;
    const url = platform.subgraphs.usage!.url.replace(/\/graphql$/, '/ingest/tyk');
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
      },
      body: batch.map((row) => JSON.stringify(row)).join('\n'),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { accepted: number; rejected: unknown[]; unmatched: number };
    expect(body).toMatchObject({ accepted: batch.length, rejected: [], unmatched: 0 });
    return { body, at: Date.now() };
  }

  function subscribe(identity: Identity, organizationId: string) {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(client);
    const events: { warning: any; at: number }[] = [];
    const errors: unknown[] = [];
    client.subscribe(
      {
        query: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { kind thresholdPercent used limit windowStart resetsAt credentialId organization { id } } }`,
        variables: { org: organizationId },
      },
      {
        next: (result) =>
          result.errors ? errors.push(...result.errors) : events.push({ warning: (result.data as any).quotaWarnings, at: Date.now() }),
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    return { events, errors, real: () => events.filter((e) => e.warning.thresholdPercent !== 1).map((e) => e.warning) };
  }

  /** A `quotaStatusChanged` subscription: the statuses it delivered (with when) and its errors. */
  function watchQuota(identity: Identity, credentialId: string) {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(client);
    const statuses: { status: any; at: number }[] = [];
    const errors: any[] = [];
    let ended = false;
    client.subscribe(
      {
        query: `subscription($id: ID!) { quotaStatusChanged(credentialId: $id) {
          scope limit used remaining percentUsed periodSeconds windowStart resetsAt burnRatePerHour projectedExhaustionAt credential { id } } }`,
        variables: { id: credentialId },
      },
      {
        next: (result) =>
          result.errors
            ? errors.push(...result.errors)
            : statuses.push({ status: (result.data as any).quotaStatusChanged, at: Date.now() }),
        error: (error) => {
          errors.push(error);
          ended = true;
        },
        complete: () => {
          ended = true;
        },
      },
    );
    // Probes (below) announce a window of 2020, long over: their status has no open window.
    const real = () => statuses.filter((s) => s.status.windowStart !== null);
    return { statuses, errors, real, ended: () => ended };
  }

  /** Waits until a quota subscription is live: a probe (a window of 2020, long over) arrives. */
  async function quotaReady(sub: ReturnType<typeof watchQuota>, credentialId: string) {
    const usage = platform.subgraphs.usage!;
    await waitFor(
      async () => {
        if (sub.statuses.length > 0) return true;
        await announceQuotaStatus(usage.orm.em.fork(), usage.pubsub, credentialId, {
          used: 1,
          limit: 10,
          windowStart: new Date(Date.UTC(2020, 0, 1)),
          resetsAt: new Date(Date.UTC(2020, 0, 1, 1)),
        });
        return false;
      },
      { intervalMs: 100, timeoutMs: 15_000, what: 'the quota subscription to be live' },
    );
  }

  /** Waits until a subscription is live: a probe warning (1 %, in a window of its own, long ago) arrives. */
  let probeWindow = Date.UTC(2020, 0, 1);
  async function ready(sub: ReturnType<typeof subscribe>, organizationId: string) {
    const usage = platform.subgraphs.usage!;
    await waitFor(
      async () => {
        if (sub.events.length > 0) return true;
        probeWindow += 3_600_000;
        await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
          organizationId,
          kind: QuotaWarningKind.SOFT,
          thresholdPercent: 1,
          used: 1,
          limit: 100,
          windowStart: new Date(probeWindow),
          resetsAt: new Date(probeWindow + 3_600_000),
        });
        return false;
      },
      { intervalMs: 100, timeoutMs: 15_000, what: 'the subscription to be live' },
    );
  }

  /** The test server as the default provider (registered once for the file's tests). */
  let registered: Promise<string> | null = null;
  function providerId(): Promise<string> {
    registered ??= mutate('registerProvider', 'RegisterProviderInput', 'provider { id }', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      makeDefault: true,
    }).then((data) => data.provider.id as string);
    return registered;
  }

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start({ onAnalytics: (row) => void rows.push(row) });
    fixtures = new Fixtures(platform.gatewayUrl, admin);
  });

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await platform?.stop();
    await tyk?.stop();
  });

  it('counts what the test server counted, and warns at 80, 90 and 100 % exactly once each, to that organization only', async () => {
    // Provider, catalog, product and a 10-requests-per-hour plan that approves at once.
    const provider = { provider: { id: await providerId() } };
    const catalogId = await fixtures.catalog();
    const apiId = unique('api');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const slug = unique('weather');
    const productId = await fixtures.product({ slug, tykApiIds: [apiId], catalogIds: [catalogId] });
    const planId = await fixtures.plan({
      name: unique('metered'),
      displayName: 'Metered',
      catalogIds: [catalogId],
      tier: 0,
      quota: { requests: 10, period: 'HOUR' },
      rateLimit: null,
      autoApprove: true,
    });
    for (const subject of [{ planId }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId: provider.provider.id });
    }

    // Alice's organization and app get a credential; Bob's organization watches too.
    const orgA = await fixtures.organization(alice.sub);
    const orgB = await fixtures.organization(bob.sub);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: orgA, name: unique('app') }, alice);
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id } secret',
      { appId: app.app.id, planId, productIds: [productId] },
      alice,
    );
    const credentialId: string = access.credential.id;
    const secret: string = access.secret;
    expect(secret).toMatch(/^pgk_/);

    // The provider issues the key in the test server.
    const usage = platform.subgraphs.usage!;
    const keyHash = await waitFor(
      async () => {
        const [row] = await usage.orm.em
          .getConnection()
          .execute<{ key_hash: string }[]>(
            `select key_hash from provider.credential_key_contract where credential_id = ? and status = 'ACTIVE'`,
            [credentialId],
          );
        return row && tyk.keySession(row.key_hash) ? row.key_hash : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
    );

    const mine = subscribe(alice, orgA);
    const theirs = subscribe(bob, orgB);
    // The credential's live quota: Alice (its organization) watches it; Bob (another
    // organization) and an anonymous caller are refused before anything is delivered.
    const meter = watchQuota(alice, credentialId);
    const outsider = watchQuota(bob, credentialId);
    await ready(mine, orgA);
    await ready(theirs, orgB);
    await quotaReady(meter, credentialId);
    await waitFor(() => outsider.ended(), { timeoutMs: 5000, what: 'the outsider’s quota subscription to be refused' });
    expect(outsider.errors.map((e) => e.extensions?.code ?? e.message)).toEqual(['FORBIDDEN']);
    expect(outsider.statuses).toEqual([]);
    const anonymous = await new Promise<string>((resolve) => {
      const client = createClient({ url: platform.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      client.subscribe(
        { query: `subscription($id: ID!) { quotaStatusChanged(credentialId: $id) { used } }`, variables: { id: credentialId } },
        {
          next: (result) => resolve(String(result.errors?.[0]?.extensions?.code ?? 'DELIVERED')),
          error: (error) => resolve(String((error as any)?.[0]?.extensions?.code ?? error)),
          complete: () => resolve('COMPLETED'),
        },
      );
    });
    expect(anonymous).toBe('UNAUTHENTICATED');
    /** The quota subscription delivered its `count`-th status within a second of the ingest's answer. */
    const pushed = async (count: number, since: number) => {
      await waitFor(() => meter.real().length >= count, { timeoutMs: 5000, what: `quota status ${count}` });
      return meter.real()[count - 1].at - since;
    };

    const call = async (n: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) {
        const response = await fetch(`${tyk.url}/${apiId}/forecast`, { headers: { authorization: secret } });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      return statuses;
    };
    const warned = async (count: number, since: number) => {
      await waitFor(() => mine.real().length >= count, { timeoutMs: 5000, what: `${count} warning(s)` });
      const last = mine.events.filter((e) => e.warning.thresholdPercent !== 1)[count - 1];
      return last.at - since;
    };

    expect(await call(7)).toEqual(Array(7).fill(200));
    const seven = await feed();
    expect(seven.body).toMatchObject({ accepted: 7 });
    expect(await pushed(1, seven.at)).toBeLessThan(1000);
    expect(await call(1)).toEqual([200]);
    const eighty = await feed();
    expect(await warned(1, eighty.at)).toBeLessThan(1000);
    expect(await pushed(2, eighty.at)).toBeLessThan(1000);
    expect(await call(1)).toEqual([200]);
    const ninety = await feed();
    expect(await warned(2, ninety.at)).toBeLessThan(1000);
    expect(await pushed(3, ninety.at)).toBeLessThan(1000);
    expect(await call(3)).toEqual([200, 403, 403]);
    const hundred = await feed();
    expect(await warned(3, hundred.at)).toBeLessThan(1000);
    expect(await pushed(4, hundred.at)).toBeLessThan(1000);

    // Replaying the whole batch three times changes nothing.
    for (let replay = 0; replay < 3; replay++) {
      const again = await fetch(usage.url.replace(/\/graphql$/, '/ingest/tyk'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
        },
        body: JSON.stringify(rows),
      });
      expect(await again.json()).toMatchObject({ accepted: 0, duplicates: rows.length, warnings: 0 });
    }

    // Credential.quota through the gateway = the test server's own counter.
    const session = tyk.keySession(keyHash)!;
    const data = await gql(
      `query($id: ID!) { credential(id: $id) { id quota { scope limit used remaining percentUsed windowStart resetsAt burnRatePerHour } } }`,
      { id: credentialId },
      alice,
    );
    const quota = data.credential.quota;
    expect(tyk.quotaUsed(keyHash)).toBe(12);
    expect(quota).toMatchObject({
      scope: 'CREDENTIAL',
      limit: session.quota_max,
      used: tyk.quotaUsed(keyHash),
      remaining: session.quota_remaining ?? 0,
    });
    expect(quota).toMatchObject({ limit: 10, used: 12, remaining: 0, percentUsed: 120 });
    // Tyk's window ends `quota_renewal_rate` seconds after the first request (whole seconds there).
    expect(Math.abs(Date.parse(quota.resetsAt) / 1000 - session.quota_renews)).toBeLessThanOrEqual(1);
    expect(Date.parse(quota.resetsAt) - Date.parse(quota.windowStart)).toBe(3_600_000);
    expect(quota.windowStart).toBe(new Date(rows[0].timestamp).toISOString());

    // Bob sees nothing of Alice's organization, and cannot read her credential's quota.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mine.real().map((w) => [w.kind, w.thresholdPercent, w.used, w.limit, w.credentialId, w.organization.id])).toEqual([
      ['SOFT', 80, 8, 10, credentialId, orgA],
      ['SOFT', 90, 9, 10, credentialId, orgA],
      ['HARD', 100, 10, 10, credentialId, orgA], // the 10th request crossed the limit
    ]);
    expect(mine.errors).toEqual([]);
    expect(theirs.real()).toEqual([]);
    // One status per batch (7 requests in the first), none for the replayed batches; each the
    // same as `Credential.quota` computes from the stored window.
    expect(meter.errors).toEqual([]);
    expect(meter.real().map((s) => [s.status.used, s.status.remaining, s.status.percentUsed])).toEqual([
      [7, 3, 70],
      [8, 2, 80],
      [9, 1, 90],
      [12, 0, 120],
    ]);
    const last = meter.real()[3].status;
    expect(last).toMatchObject({
      scope: 'CREDENTIAL',
      limit: 10,
      periodSeconds: 3600,
      windowStart: quota.windowStart,
      resetsAt: quota.resetsAt,
      projectedExhaustionAt: null,
      credential: { id: credentialId },
    });
    expect(last.burnRatePerHour).toBeGreaterThan(0);
    const asBob = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { credential(id: $id) { quota { used } } }`,
      { id: credentialId },
      bob,
    );
    expect(asBob.data?.credential ?? null).toBeNull();

    // The app's usage series shows the same traffic (10 successes, 2 quota rejections).
    const from = new Date(Date.parse(rows[0].timestamp) - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const series = await gql(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { app(id: $id) { usage(from: $from, to: $to, granularity: HOUR) { totals { requests quotaExceeded errors4xx } } quota { scope used } } }`,
      { id: app.app.id, from, to },
      alice,
    );
    expect(series.app.usage.totals).toEqual({ requests: 12, quotaExceeded: 2, errors4xx: 0 });
    expect(series.app.quota).toEqual([{ scope: 'CREDENTIAL', used: 12 }]);
  });
  it('gives the quota and warnings of the test server’s counter when the analytics arrive in reverse chunks (issue 21)', async () => {
    const catalogId = await fixtures.catalog();
    const apiId = unique('api');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const slug = unique('daily');
    const productId = await fixtures.product({ slug, tykApiIds: [apiId], catalogIds: [catalogId] });
    const planId = await fixtures.plan({
      name: unique('daily'),
      displayName: 'Daily',
      catalogIds: [catalogId],
      tier: 0,
      quota: { requests: 100, period: 'DAY' },
      rateLimit: null,
      autoApprove: true,
    });
    const providerIdValue = await providerId();
    for (const subject of [{ planId }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId: providerIdValue });
    }
    const carol = developer();
    const org = await fixtures.organization(carol.sub);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: org, name: unique('app') }, carol);
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id } secret',
      { appId: app.app.id, planId, productIds: [productId] },
      carol,
    );
    const usage = platform.subgraphs.usage!;
    const keyHash = await waitFor(
      async () => {
        const [row] = await usage.orm.em
          .getConnection()
          .execute<{ key_hash: string }[]>(
            `select key_hash from provider.credential_key_contract where credential_id = ? and status = 'ACTIVE'`,
            [access.credential.id],
          );
        return row && tyk.keySession(row.key_hash) ? row.key_hash : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
    );

    // 90 requests through the test server; its analytics rows go to the ingest in 9 chunks, newest first.
    const mark = rows.length;
    for (let i = 0; i < 90; i++) {
      const response = await fetch(`${tyk.url}/${apiId}/forecast`, { headers: { authorization: access.secret } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const mine = rows.slice(mark).filter((row) => JSON.stringify(row).includes(keyHash));
    fed = rows.length;
    expect(mine).toHaveLength(90);
    const url = usage.url.replace(/\/graphql$/, '/ingest/tyk');
    const reversed = [...mine].reverse();
    for (let i = 0; i < 90; i += 10) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
        },
        body: reversed
          .slice(i, i + 10)
          .map((row) => JSON.stringify(row))
          .join('\n'),
      });
      expect(await response.json()).toMatchObject({ accepted: 10, rejected: [] });
    }

    const session = tyk.keySession(keyHash)!;
    const data = await gql(
      `query($id: ID!) { credential(id: $id) { quota { limit used remaining windowStart resetsAt } } }`,
      { id: access.credential.id },
      carol,
    );
    expect(tyk.quotaUsed(keyHash)).toBe(90);
    expect(data.credential.quota).toMatchObject({ limit: 100, used: tyk.quotaUsed(keyHash), remaining: session.quota_remaining });
    expect(Math.abs(Date.parse(data.credential.quota.resetsAt) / 1000 - session.quota_renews)).toBeLessThanOrEqual(1);
    expect(data.credential.quota.windowStart).toBe(new Date(mine[0].timestamp).toISOString());
    const windows = await usage.orm.em
      .getConnection()
      .execute<{ used: number }[]>(`select used from usage.quota_window where subject_id = ?`, [access.credential.id]);
    expect(windows).toEqual([{ used: 90 }]);

    // 80 % and 90 % once each, reporting the 80th and 90th request.
    const history = await gql(
      `query($org: ID!) { quotaWarningsHistory(organizationId: $org, first: 100) { edges { node { kind thresholdPercent used windowStart credentialId } } } }`,
      { org },
      carol,
    );
    expect(history.quotaWarningsHistory.edges.map((e: any) => e.node)).toEqual([
      { kind: 'SOFT', thresholdPercent: 80, used: 80, windowStart: data.credential.quota.windowStart, credentialId: access.credential.id },
      { kind: 'SOFT', thresholdPercent: 90, used: 90, windowStart: data.credential.quota.windowStart, credentialId: access.credential.id },
    ]);
  });
});
