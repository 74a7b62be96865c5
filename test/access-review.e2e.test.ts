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
import { watchAccessEvents } from './kit/events';

const DAY = 86_400;
const DAY_MS = DAY * 1000;

/**
 * The access review through the gateway, with the Tyk test server as the provider. Credentials
 * are issued ten days back (the developers subgraph runs on a manual clock), and the usage ingest
 * gets analytics for some of them. An ORG_ADMIN reviews the credentials unused for three days;
 * another organization's ORG_ADMIN is refused. A portal admin schedules their revocation with a
 * week's notice: the organization hears it at once (subscription and signed webhook). One
 * credential is used meanwhile. A week later (the clock moved, the queued jobs made due) the
 * idle one is revoked — its key gone from Tyk — and the used one is kept, with
 * CREDENTIAL_REVOCATION_CANCELLED. The daily report job runs: portal admins read it and their
 * platform endpoint gets ACCESS_REVIEW_REPORT; the ORG_ADMIN may not read it.
 */
describe('access review through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let receiver: WebhookReceiver;
  let db: pg.Pool;
  const now = Date.now();
  const clock = new ManualClock(new Date(now - 10 * DAY_MS));
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const mallory = developer();
  const clients: Client[] = [];

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

  function subscribe(identity: Identity, organizationId: string) {
    return watchAccessEvents(platform.wsUrl, clients, identity, organizationId, 'type revokeAt reason credential { id status }').events;
  }

  beforeAll(async () => {
    const env = webhookTestEnv();
    platform = await startPlatform({
      clockOf: { developers: clock },
      envOf: {
        developers: {
          WEBHOOK_ALLOWED_CIDRS: env.WEBHOOK_ALLOWED_CIDRS,
          WEBHOOK_TIMEOUT_MS: env.WEBHOOK_TIMEOUT_MS,
          WEBHOOK_RETRY_BASE_MS: env.WEBHOOK_RETRY_BASE_MS,
          ACCESS_REVIEW_UNUSED_DAYS: '3',
        },
      },
    });
    tyk = await TykTestServer.start();
    receiver = await new WebhookReceiver().start();
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await db?.end();
    await receiver?.stop();
    await platform?.stop();
    await tyk?.stop();
  });

  it('reviews unused credentials, notifies before revoking, skips credentials used meanwhile, and reports daily', async () => {
    const seed = new Seed(platform.gatewayUrl, admin);
    await seed.provider(tyk);
    const apiId = unique('api');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const catalogId = await seed.catalog();
    const productId = await seed.product({ catalogIds: [catalogId], tykApiIds: [apiId] });
    const planId = await seed.plan({ catalogIds: [catalogId], autoApprove: true });
    const orgA = await seed.organization(alice.sub);
    const orgB = await seed.organization(mallory.sub);

    // A's ORG_ADMIN listens; three credentials of A are issued ten days back, each with its Tyk key.
    const events = subscribe(alice, orgA);
    const issue = async () => {
      const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: orgA, name: unique('app') }, alice);
      const granted = await mutate(
        'requestAccess',
        'RequestAccessInput',
        'credential { id }',
        { appId: app.app.id, planId, productIds: [productId] },
        alice,
      );
      clock.advance(1);
      return granted.credential.id as string;
    };
    const [idle, rescued, busy] = [await issue(), await issue(), await issue()];
    // graphql-ws has no acknowledgement: the subscription is live once it has seen the issues.
    await waitFor(() => events.filter((e) => e.type === 'CREDENTIAL_ISSUED').length === 3, { what: 'CREDENTIAL_ISSUED ×3' });
    const keyHash = async (credentialId: string) =>
      waitFor(
        async () => {
          const { rows } = await db.query(`select key_hash from provider.credential_key where credential_id = $1 and status = 'ACTIVE'`, [
            credentialId,
          ]);
          return rows[0] && tyk.keySession(rows[0].key_hash) ? (rows[0].key_hash as string) : null;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: `the key of ${credentialId} in the Tyk test server` },
      );
    const keys = { idle: await keyHash(idle), rescued: await keyHash(rescued), busy: await keyHash(busy) };
    const feed = async (rows: object[]) => {
      const { status, body } = await postAnalytics(platform.subgraphs.usage!.url, rows);
      expect(status).toBe(200);
      expect(body).toMatchObject({ accepted: rows.length, unmatched: 0 });
    };
    const fiveDaysAgo = new Date(now - 5 * DAY_MS);
    await feed([
      analytics({ keyHash: keys.rescued, policyIds: [] }, fiveDaysAgo, { api_id: apiId }),
      analytics({ keyHash: keys.busy, policyIds: [] }, new Date(now - 3_600_000), { api_id: apiId }),
    ]);
    clock.set(new Date(now - 30 * 60_000));

    // The review: A's ORG_ADMIN sees the idle and the long-unused credential; B's ORG_ADMIN is refused.
    const REVIEW = `query($org: ID) { accessReview(unusedForDays: 3, organizationId: $org) {
      totalCount edges { node { credentialId lastUsedAt ownerSubject credential { id status } organization { id } } } } }`;
    const review = await gql(REVIEW, { org: orgA }, alice);
    expect(review.errors).toBeUndefined();
    expect(review.data.accessReview.edges.map((e: any) => e.node)).toEqual([
      {
        credentialId: idle,
        lastUsedAt: null,
        ownerSubject: alice.sub,
        credential: { id: idle, status: 'ACTIVE' },
        organization: { id: orgA },
      },
      {
        credentialId: rescued,
        lastUsedAt: new Date(Math.floor(fiveDaysAgo.getTime() / 60_000) * 60_000).toISOString(),
        ownerSubject: alice.sub,
        credential: { id: rescued, status: 'ACTIVE' },
        organization: { id: orgA },
      },
    ]);
    expect((await gql(REVIEW, { org: orgA }, mallory)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // The organization has a webhook endpoint; portal admins one of their own.
    await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id }',
      {
        organizationId: orgA,
        url: receiver.url('/org'),
        eventTypes: ['CREDENTIAL_REVOCATION_SCHEDULED', 'CREDENTIAL_REVOCATION_CANCELLED'],
      },
      alice,
    );
    await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id }',
      { url: receiver.url('/platform'), eventTypes: ['ACCESS_REVIEW_REPORT'] },
      admin,
    );

    // B's ORG_ADMIN may not schedule A's credentials; the portal admin schedules with a week's notice.
    const input = { credentialIds: [idle, rescued], unusedForDays: 3, noticeDays: 7, reason: 'Quarterly access review' };
    const REVOKE = `mutation($i: RevokeUnusedCredentialsInput!) { revokeUnusedCredentials(input: $i) { revokeAt scheduledCredentials { id } errors { code } } }`;
    expect((await gql(REVOKE, { i: input }, mallory)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const scheduled = await mutate(
      'revokeUnusedCredentials',
      'RevokeUnusedCredentialsInput',
      'revokeAt scheduledCredentials { id }',
      input,
      admin,
    );
    const revokeAt = new Date(clock.now().getTime() + 7 * DAY_MS).toISOString();
    expect(scheduled).toMatchObject({ revokeAt, scheduledCredentials: [{ id: idle }, { id: rescued }] });
    await waitFor(() => events.filter((e) => e.type === 'CREDENTIAL_REVOCATION_SCHEDULED').length === 2, {
      what: 'CREDENTIAL_REVOCATION_SCHEDULED on the subscription',
    });
    expect(events.filter((e) => e.type === 'CREDENTIAL_REVOCATION_SCHEDULED')).toEqual([
      { type: 'CREDENTIAL_REVOCATION_SCHEDULED', revokeAt, reason: input.reason, credential: { id: idle, status: 'ACTIVE' } },
      { type: 'CREDENTIAL_REVOCATION_SCHEDULED', revokeAt, reason: input.reason, credential: { id: rescued, status: 'ACTIVE' } },
    ]);
    await waitFor(() => receiver.at('/org').length >= 2, { what: 'the organization’s webhooks' });
    expect(receiver.at('/org').map((r) => [r.json.type, r.json.data.credentialId, r.json.data.revokeAt])).toEqual([
      ['CREDENTIAL_REVOCATION_SCHEDULED', idle, revokeAt],
      ['CREDENTIAL_REVOCATION_SCHEDULED', rescued, revokeAt],
    ]);
    const audit = await gql(
      `query($org: ID) { auditLog(filter: { organizationId: $org, action: "revokeUnusedCredentials" }) { edges { node { actor change targetType targetId after } } } }`,
      { org: orgA },
      alice,
    );
    const entries = audit.data.auditLog.edges.map((e: any) => e.node);
    // The call with its reason, and each credential's change.
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: admin.sub,
          change: 'CALL',
          targetType: 'Organization',
          targetId: orgA,
          after: expect.objectContaining({ reason: input.reason, credentialIds: [idle, rescued], revokeAt }),
        }),
        ...[idle, rescued].map((id) =>
          expect.objectContaining({
            change: 'UPDATE',
            targetType: 'Credential',
            targetId: id,
            after: expect.objectContaining({ unusedRevocationDueAt: revokeAt }),
          }),
        ),
      ]),
    );

    // The rescued credential is used during the notice; a week later the jobs come due.
    await feed([analytics({ keyHash: keys.rescued, policyIds: [] }, new Date(), { api_id: apiId })]);
    clock.advance(7 * DAY);
    await db.query(`update graphile_worker._private_jobs set run_at = now() where key = any($1::text[])`, [
      [`unused-revocation:${idle}`, `unused-revocation:${rescued}`],
    ]);
    await waitFor(() => events.some((e) => e.type === 'CREDENTIAL_REVOKED' && e.credential.id === idle), {
      what: 'the idle credential revoked',
    });
    await waitFor(() => events.some((e) => e.type === 'CREDENTIAL_REVOCATION_CANCELLED'), { what: 'the used credential kept' });
    expect(events.filter((e) => e.type === 'CREDENTIAL_REVOCATION_CANCELLED')).toEqual([
      { type: 'CREDENTIAL_REVOCATION_CANCELLED', revokeAt: null, reason: 'USED', credential: { id: rescued, status: 'ACTIVE' } },
    ]);
    expect(events.some((e) => e.type === 'CREDENTIAL_REVOKED' && e.credential.id === rescued)).toBe(false);
    await waitFor(() => tyk.keySession(keys.idle) === undefined, { what: 'the idle credential’s key deleted from Tyk' });
    expect(tyk.keySession(keys.rescued)).toBeDefined();
    await waitFor(() => receiver.at('/org').some((r) => r.json.type === 'CREDENTIAL_REVOCATION_CANCELLED'), {
      what: 'the cancellation webhook',
    });

    // The daily report (its recurring job, run now): portal admins only.
    await db.query(`select graphile_worker.add_job('developers.accessReviewReport', '{}'::json)`);
    const REPORTS = `{ accessReviewReports(first: 1) { edges { node { id unusedForDays credentialCount entries { credentialId lastUsedAt } } } } }`;
    const report = await waitFor(async () => (await gql(REPORTS, {}, admin)).data?.accessReviewReports.edges[0]?.node ?? null, {
      what: 'the access review report',
    });
    expect(report.unusedForDays).toBe(3);
    // By the report's clock the rescued and busy credentials have been unused for a week; the idle one is revoked.
    const reported = report.entries.map((e: any) => e.credentialId);
    expect(reported).toEqual(expect.arrayContaining([rescued, busy]));
    expect(reported).not.toContain(idle);
    await waitFor(() => receiver.at('/platform').some((r) => r.json.type === 'ACCESS_REVIEW_REPORT'), { what: 'ACCESS_REVIEW_REPORT' });
    expect(receiver.at('/platform').find((r) => r.json.type === 'ACCESS_REVIEW_REPORT')!.json.data).toMatchObject({
      accessReviewReportId: report.id,
      unusedForDays: 3,
      credentialCount: report.credentialCount,
    });
    expect((await gql(REPORTS, {}, alice)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(REVIEW, { org: orgB }, mallory)).data.accessReview.totalCount).toBe(0);
  });
});
