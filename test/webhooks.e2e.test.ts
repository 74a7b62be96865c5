import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { waitFor } from './helpers/wait';
import { Seed } from './kit/seed';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { verifyWebhook, WebhookReceiver, webhookTestEnv } from './kit/webhooks';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';
import { TykTestServer } from './tyk/server';

/**
 * Issue 17's "done when", through the gateway: an organization admin registers a webhook
 * endpoint; the organization's access events (requestAccess, approveAccessRequest) and a quota
 * warning (stored by the usage subgraph's own code) reach it signed, verifiable with the
 * `standardwebhooks` library, in order; the receiver's failures are retried and the retries are
 * visible in `webhookDeliveries`. Another organization's endpoint gets only its own events, and
 * its admin is refused the first endpoint's deliveries.
 */
describe('webhooks end to end (gateway → subgraphs → outbox → signed delivery)', () => {
  let platform: TestPlatform;
  let receiver: WebhookReceiver;
  let tyk: TykTestServer;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const bob = developer();

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

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
    // A provider, so the approval's key is issued as in production (the events do not wait for it).
    tyk = await TykTestServer.start();
    await new Seed(platform.gatewayUrl, admin).provider(tyk);
  });
  afterAll(async () => {
    await receiver?.stop();
    await platform?.stop();
    await tyk?.stop();
  });

  it('delivers an organization’s access and quota events to its admin’s endpoint, signed, with retries visible in webhookDeliveries', async () => {
    const seed = new Seed(platform.gatewayUrl, admin);
    const catalog = await seed.catalog();
    const product = await seed.product({ catalogIds: [catalog] });
    const plan = await seed.plan({ catalogIds: [catalog] });
    const orgA = await seed.organization(alice.sub);
    const orgB = await seed.organization(bob.sub);
    const app = (await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: orgA, name: 'Weather' }, alice)).app.id;

    // The receiver fails the first two requests it gets: the first event is retried.
    receiver.respond = ({ path, count }) => ({ status: path === '/a' && count < 2 ? 500 : 200 });
    const eventTypes = ['ACCESS_REQUESTED', 'ACCESS_APPROVED', 'CREDENTIAL_ISSUED', 'QUOTA_WARNING'];
    const endpointA = await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id enabled organization { id } } secret',
      { organizationId: orgA, url: receiver.url('/a'), eventTypes, description: 'Alice’s integration' },
      alice,
    );
    expect(endpointA.webhookEndpoint).toEqual({ id: expect.any(String), enabled: true, organization: { id: orgA } });
    const endpointB = await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id } secret',
      { organizationId: orgB, url: receiver.url('/b'), eventTypes },
      bob,
    );

    const requested = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'accessRequest { id status }',
      { appId: app, planId: plan, productIds: [product] },
      alice,
    );
    expect(requested.accessRequest.status).toBe('PENDING');
    const approved = await mutate(
      'approveAccessRequest',
      'ApproveAccessRequestInput',
      'accessRequest { status credential { id } }',
      { id: requested.accessRequest.id },
      admin,
    );
    const usage = platform.subgraphs.usage!;
    const window = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const warning = (organizationId: string) =>
      raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
        organizationId,
        planId: plan,
        kind: QuotaWarningKind.SOFT,
        thresholdPercent: 80,
        used: 800,
        limit: 1000,
        windowStart: window,
        resetsAt: new Date(window.getTime() + 3_600_000),
      });
    await warning(orgB);
    const stored = await warning(orgA);

    const delivered = () => receiver.at('/a').filter((r) => r.status === 200);
    await waitFor(() => delivered().length === 4, { what: 'four events delivered to A’s endpoint', timeoutMs: 20_000 });
    expect(delivered().map((r) => r.json.type)).toEqual(eventTypes);
    for (const request of receiver.at('/a')) expect(verifyWebhook(endpointA.secret, request)).toBeTruthy();
    expect(delivered()[0]!.json.data).toEqual({ organizationId: orgA, accessRequestId: requested.accessRequest.id, credentialId: null });
    expect(delivered()[2]!.json.data).toMatchObject({ credentialId: approved.accessRequest.credential.id });
    expect(delivered()[3]!.json.data).toMatchObject({
      organizationId: orgA,
      quotaWarningId: stored!.id,
      thresholdPercent: 80,
      used: 800,
      limit: 1000,
    });
    // Payloads carry ids, never secrets.
    expect(JSON.stringify(receiver.received.map((r) => r.body))).not.toMatch(/pgk_|whsec_/);

    // B's endpoint got B's warning and nothing of A's.
    await waitFor(() => receiver.at('/b').length === 1, { what: 'B’s warning' });
    expect(receiver.at('/b').map((r) => [r.json.type, r.json.data.organizationId])).toEqual([['QUOTA_WARNING', orgB]]);
    expect(verifyWebhook(endpointB.secret, receiver.at('/b')[0]!)).toBeTruthy();

    // The retries, as the organization admin sees them through the gateway.
    const query = `query($id: ID!) { webhookDeliveries(webhookEndpointId: $id) { totalCount edges { node { eventType status attempts responseStatus responseTimeMs lastAttemptAt nextAttemptAt lastError messageId } } } }`;
    const list = await waitFor(async () => {
      const data = await gql(query, { id: endpointA.webhookEndpoint.id }, alice);
      const nodes = data.webhookDeliveries.edges.map((e: { node: any }) => e.node);
      return nodes.length === 4 && nodes.every((n: { status: string }) => n.status === 'SUCCEEDED') ? nodes : null;
    });
    expect(list.map((n: any) => [n.eventType, n.status, n.attempts, n.responseStatus])).toEqual([
      ['ACCESS_REQUESTED', 'SUCCEEDED', 3, 200],
      ['ACCESS_APPROVED', 'SUCCEEDED', 1, 200],
      ['CREDENTIAL_ISSUED', 'SUCCEEDED', 1, 200],
      ['QUOTA_WARNING', 'SUCCEEDED', 1, 200],
    ]);
    expect(list[0]).toMatchObject({ lastError: null, nextAttemptAt: null, messageId: delivered()[0]!.headers['webhook-id'] });
    expect(
      receiver
        .at('/a')
        .slice(0, 3)
        .map((r) => [r.json.type, r.status]),
    ).toEqual([
      ['ACCESS_REQUESTED', 500],
      ['ACCESS_REQUESTED', 500],
      ['ACCESS_REQUESTED', 200],
    ]);

    // The other organization's admin is refused A's endpoint.
    const refused = await gatewayRequest(platform.gatewayUrl, query, { id: endpointA.webhookEndpoint.id }, bob);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
  it('tells a portal admin’s platform endpoint about organizations, members, apps, plans and products, in order', async () => {
    const carol = developer();
    receiver.respond = () => ({ status: 200 });
    const types = [
      'DEVELOPER_REGISTERED',
      'ORGANIZATION_REQUESTED',
      'ORGANIZATION_APPROVED',
      'APP_CREATED',
      'APP_UPDATED',
      'APP_DELETED',
      'PRODUCT_CREATED',
      'PLAN_CREATED',
      'PLAN_UPDATED',
    ];
    const endpoint = await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id organization { id } } secret',
      { url: receiver.url('/platform'), eventTypes: types },
      admin,
    );
    expect(endpoint.webhookEndpoint.organization).toBeNull();
    await mutate('registerDeveloper', 'RegisterDeveloperInput', 'developer { id }', { displayName: 'Carol' }, carol);
    const org = (
      await mutate(
        'requestOrganization',
        'RequestOrganizationInput',
        'organization { id }',
        { name: 'Carol Co', slug: `carol-${Date.now()}` },
        carol,
      )
    ).organization.id;
    await mutate('approveOrganization', 'ApproveOrganizationInput', 'organization { id }', { id: org }, admin);
    const app = (await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: org, name: 'Maps' }, carol)).app.id;
    await mutate('updateApp', 'UpdateAppInput', 'app { id }', { id: app, name: 'Maps 2' }, carol);
    await mutate('deleteApp', 'DeleteAppInput', 'deletedAppId', { id: app }, carol);
    const seed = new Seed(platform.gatewayUrl, admin);
    const product = await seed.product();
    const plan = await seed.plan({ status: 'DRAFT' });
    await mutate('archivePlan', 'ArchivePlanInput', 'plan { id }', { id: plan }, admin);

    await waitFor(() => receiver.at('/platform').length === types.length, { what: 'every platform event', timeoutMs: 20_000 });
    const got = receiver.at('/platform');
    expect(got.map((r) => r.json.type)).toEqual(types);
    for (const request of got) expect(verifyWebhook(endpoint.secret, request)).toBeTruthy();
    const data = Object.fromEntries(got.map((r) => [r.json.type, r.json.data]));
    expect(data.DEVELOPER_REGISTERED).toMatchObject({ organizationId: null, subject: carol.sub });
    expect(data.ORGANIZATION_APPROVED).toEqual({ organizationId: org, status: 'ACTIVE' });
    expect(data.APP_DELETED).toEqual({ organizationId: org, appId: app });
    expect(data.PRODUCT_CREATED).toMatchObject({ organizationId: null, productId: product });
    expect(data.PLAN_UPDATED).toMatchObject({ planId: plan, status: 'ARCHIVED', action: 'ARCHIVED' });
  });
  it('tells platform endpoints once when a plan cannot be written to the provider', async () => {
    receiver.respond = () => ({ status: 200 });
    const endpoint = await mutate(
      'createWebhookEndpoint',
      'CreateWebhookEndpointInput',
      'webhookEndpoint { id } secret',
      { url: receiver.url('/sync'), eventTypes: ['SYNC_FAILED'] },
      admin,
    );
    await tyk.down();
    try {
      const seed = new Seed(platform.gatewayUrl, admin);
      const plan = await seed.plan({ catalogIds: [await seed.catalog()] });
      const forPlan = () => receiver.at('/sync').filter((r) => r.json.data.targetId === plan);
      await waitFor(() => forPlan().length > 0, { what: 'SYNC_FAILED for the plan', timeoutMs: 20_000 });
      expect(forPlan()[0]!.json.data).toMatchObject({
        organizationId: null,
        target: 'PLAN',
        message: expect.stringContaining('ECONNREFUSED'),
      });
      expect(verifyWebhook(endpoint.secret, forPlan()[0]!)).toBeTruthy();
    } finally {
      await tyk.up();
    }
  });
});
