import type { EntityManager } from '@mikro-orm/postgresql';
import { recordWebhookEvent, type WebhookEventType } from '../../common/webhooks';
import { activeOrganization, developer, gql, join, sql, startHarness, type Harness, type Identity } from '../../test/kit/developers';
import { verifyWebhook, WebhookReceiver, webhookTestEnv } from '../../test/kit/webhooks';
import { waitFor } from '../../test/helpers/wait';
import { addressRefusal, pinnedLookup, resolveTarget } from './webhooks/address-guard';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from './jobs/webhooks';

const ENDPOINT_FIELDS = 'id url description eventTypes enabled disabledAt disabledReason previousSecretExpiresAt organization { id }';
const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT_FIELDS} } secret errors { code field message } } }`;
const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT_FIELDS} } errors { code field message } } }`;
const ROTATE = `mutation($input: RotateWebhookEndpointSecretInput!) { rotateWebhookEndpointSecret(input: $input) { webhookEndpoint { ${ENDPOINT_FIELDS} } secret errors { code field message } } }`;
const DELETE = `mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedWebhookEndpointId errors { code field message } } }`;
const REDELIVER = `mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { webhookDelivery { id status messageId redeliveryOf } errors { code field message } } }`;
const DELIVERIES = `query($id: ID!, $status: WebhookDeliveryStatus) { webhookDeliveries(webhookEndpointId: $id, status: $status) { totalCount edges { node { id messageId eventType status attempts lastAttemptAt responseStatus responseTimeMs lastError nextAttemptAt completedAt redeliveryOf } } } }`;
const ENDPOINTS = `query($organizationId: ID) { webhookEndpoints(organizationId: $organizationId) { totalCount edges { node { id url } } } }`;
const ENDPOINT = `query($id: ID!) { webhookEndpoint(id: $id) { id } }`;

/** Webhook endpoints, signed deliveries, retries, order, isolation and SSRF refusals (developers subgraph alone; events stored as any subgraph stores them). */
describe('developers: webhooks', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    // A 3 s retry window: enough for the retries a test expects, short enough to see an endpoint disabled.
    h = await startHarness(webhookTestEnv({ WEBHOOK_RETRY_WINDOW_SECONDS: '3' }));
    receiver = await new WebhookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.stop();
    await h?.stop();
  });

  /** Stores an event in the outbox as a subgraph's use case does (in a transaction). */
  async function record(type: WebhookEventType, organizationId: string | null, data: Record<string, string | number | null> = {}) {
    await h.subgraph.orm.em
      .fork()
      .transactional((em) => recordWebhookEvent(em as EntityManager, { type, organizationId, occurredAt: new Date(), data }));
  }

  async function createEndpoint(as: Identity, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const response = await gql(h, CREATE, { input }, as);
    const payload = response.data?.createWebhookEndpoint;
    if (response.errors || payload.errors.length) throw new Error(JSON.stringify(response.errors ?? payload.errors));
    return { id: payload.webhookEndpoint.id, secret: payload.secret };
  }

  async function deliveries(id: string, as: Identity = h.admin) {
    const response = await gql(h, DELIVERIES, { id }, as);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data.webhookDeliveries.edges.map((e: { node: unknown }) => e.node) as any[];
  }

  it('signs deliveries by the Standard Webhooks rules; a receiver that fails three times gets the event exactly once more (4 attempts, visible in webhookDeliveries)', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    const path = '/retry';
    receiver.respond = ({ path: p, count }) => ({ status: p === path && count < 3 ? 500 : 200 });
    const created = await gql(
      h,
      CREATE,
      { input: { organizationId: org.id, url: receiver.url(path), eventTypes: ['ACCESS_REQUESTED'] } },
      owner,
    );
    const { webhookEndpoint, secret, errors } = created.data.createWebhookEndpoint;
    expect(errors).toEqual([]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(webhookEndpoint).toMatchObject({ enabled: true, eventTypes: ['ACCESS_REQUESTED'], organization: { id: org.id } });
    // The secret is never readable again, and is stored sealed.
    const [row] = await sql(h, 'select secret_encrypted from developers.webhook_endpoint where id = ?', [webhookEndpoint.id]);
    expect(row.secret_encrypted).toMatch(/^v1:/);
    expect(row.secret_encrypted).not.toContain(secret.slice(6));

    await record('ACCESS_REQUESTED', org.id, { accessRequestId: '00000000-0000-4000-8000-000000000001' });
    await waitFor(() => receiver.at(path).some((r) => r.status === 200), { what: 'a successful delivery', timeoutMs: 15_000 });
    const attempts = receiver.at(path);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 500, 200]);
    // Every attempt is the same message, signed, and verifies with the standard library.
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    for (const attempt of attempts) expect(verifyWebhook(secret, attempt)).toMatchObject({ type: 'ACCESS_REQUESTED' });
    expect(attempts[3]!.json).toEqual({
      type: 'ACCESS_REQUESTED',
      timestamp: expect.any(String),
      data: { organizationId: org.id, accessRequestId: '00000000-0000-4000-8000-000000000001' },
    });
    expect(() => verifyWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, attempts[3]!)).toThrow();

    const [delivery] = await waitFor(async () => {
      const list = await deliveries(webhookEndpoint.id, owner);
      return list[0]?.status === 'SUCCEEDED' ? list : null;
    });
    expect(delivery).toMatchObject({
      eventType: 'ACCESS_REQUESTED',
      status: 'SUCCEEDED',
      attempts: 4,
      responseStatus: 200,
      lastError: null,
      nextAttemptAt: null,
      messageId: attempts[0]!.headers['webhook-id'],
    });
    expect(delivery.responseTimeMs).toEqual(expect.any(Number));

    // Sent again on request: a new delivery of the same message.
    const again = await gql(h, REDELIVER, { input: { deliveryId: delivery.id } }, owner);
    expect(again.data.redeliverWebhook).toMatchObject({
      errors: [],
      webhookDelivery: { redeliveryOf: delivery.id, messageId: delivery.messageId },
    });
    await waitFor(() => receiver.at(path).length === 5, { what: 'the redelivery' });
    expect(verifyWebhook(secret, receiver.at(path)[4]!)).toBeTruthy();
  });

  it('sends everything in order of creation once a receiver that was down is back', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    const path = '/down';
    let up = false;
    receiver.respond = ({ path: p }) => ({ status: p === path && !up ? 503 : 200 });
    const endpoint = await createEndpoint(owner, { organizationId: org.id, url: receiver.url(path), eventTypes: ['APP_CREATED'] });
    for (let i = 0; i < 6; i += 1) await record('APP_CREATED', org.id, { n: i });
    await waitFor(() => receiver.at(path).length >= 2, { what: 'failed attempts' });
    // Head of line: while the first event fails, nothing behind it is sent.
    expect(new Set(receiver.at(path).map((r) => r.json.data.n))).toEqual(new Set([0]));
    up = true;
    await waitFor(() => receiver.at(path).filter((r) => r.status === 200).length === 6, { what: 'all six delivered' });
    expect(
      receiver
        .at(path)
        .filter((r) => r.status === 200)
        .map((r) => r.json.data.n),
    ).toEqual([0, 1, 2, 3, 4, 5]);
    const list = await deliveries(endpoint.id);
    expect(list.map((d) => d.status)).toEqual(Array(6).fill('SUCCEEDED'));
    // Pages follow the order of sending.
    const page = `query($id: ID!, $after: String) { webhookDeliveries(webhookEndpointId: $id, first: 4, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await gql(h, page, { id: endpoint.id }, owner)).data.webhookDeliveries;
    const second = (await gql(h, page, { id: endpoint.id, after: first.pageInfo.endCursor }, owner)).data.webhookDeliveries;
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect([...first.edges, ...second.edges].map((e: { node: { id: string } }) => e.node.id)).toEqual(list.map((d) => d.id));
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('gives an organization’s endpoint only that organization’s events; a platform endpoint gets them all and platform events', async () => {
    const ownerA = developer();
    const ownerB = developer();
    const orgA = await activeOrganization(h, ownerA);
    const orgB = await activeOrganization(h, ownerB);
    receiver.respond = () => ({ status: 200 });
    await createEndpoint(ownerA, { organizationId: orgA.id, url: receiver.url('/a'), eventTypes: ['ACCESS_APPROVED', 'QUOTA_WARNING'] });
    await createEndpoint(ownerB, { organizationId: orgB.id, url: receiver.url('/b'), eventTypes: ['ACCESS_APPROVED'] });
    await createEndpoint(h.admin, { url: receiver.url('/platform'), eventTypes: ['ACCESS_APPROVED', 'PLAN_CREATED'] });
    await record('ACCESS_APPROVED', orgB.id, { marker: 'b1' });
    await record('ACCESS_APPROVED', orgA.id, { marker: 'a1' });
    await record('QUOTA_WARNING', orgB.id, { marker: 'b2' });
    await record('PLAN_CREATED', null, { marker: 'p1' });
    await record('QUOTA_WARNING', orgA.id, { marker: 'a2' });
    await waitFor(() => receiver.at('/a').length === 2 && receiver.at('/b').length === 1 && receiver.at('/platform').length >= 3, {
      what: 'deliveries to every endpoint',
    });
    const markers = (p: string) => receiver.at(p).map((r) => r.json.data.marker);
    expect(markers('/a')).toEqual(['a1', 'a2']);
    expect(receiver.at('/a').every((r) => r.json.data.organizationId === orgA.id)).toBe(true);
    expect(markers('/b')).toEqual(['b1']);
    expect(markers('/platform').filter((m) => ['a1', 'b1', 'p1'].includes(String(m)))).toEqual(['b1', 'a1', 'p1']);
  });

  it('refuses endpoint operations to other organizations, members and anonymous callers', async () => {
    const owner = developer();
    const member = developer();
    const outsider = developer();
    const org = await activeOrganization(h, owner);
    await activeOrganization(h, outsider);
    await join(h, org.id, member, 'MEMBER');
    const endpoint = await createEndpoint(owner, { organizationId: org.id, url: receiver.url('/authz'), eventTypes: ['APP_CREATED'] });
    await record('APP_CREATED', org.id);
    await waitFor(() => receiver.at('/authz').length === 1, { what: 'a delivery' });
    const [delivery] = await waitFor(async () =>
      (await deliveries(endpoint.id))[0]?.status === 'SUCCEEDED' ? deliveries(endpoint.id) : null,
    );

    for (const who of [member, outsider]) {
      const create = await gql(h, CREATE, { input: { organizationId: org.id, url: receiver.url('/x'), eventTypes: ['APP_CREATED'] } }, who);
      expect(create.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      for (const [document, input] of [
        [UPDATE, { id: endpoint.id, enabled: false }],
        [ROTATE, { id: endpoint.id }],
        [DELETE, { id: endpoint.id }],
        [REDELIVER, { deliveryId: delivery!.id }],
      ] as const) {
        const response = await gql(h, document, { input }, who);
        expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      expect((await gql(h, DELIVERIES, { id: endpoint.id }, who)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, ENDPOINTS, { organizationId: org.id }, who)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, ENDPOINT, { id: endpoint.id }, who)).data.webhookEndpoint).toBeNull();
      // Platform endpoints are portal admins' only.
      const platform = await gql(h, CREATE, { input: { url: receiver.url('/x'), eventTypes: ['PLAN_CREATED'] } }, who);
      expect(platform.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, ENDPOINTS, {}, who)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const anonymous = await gql(h, DELIVERIES, { id: endpoint.id }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql(h, UPDATE, { input: { id: endpoint.id, enabled: false } }, null)).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    // Nothing changed; the owner and portal admins see it.
    expect((await gql(h, ENDPOINTS, { organizationId: org.id }, owner)).data.webhookEndpoints.totalCount).toBe(1);
    expect((await gql(h, ENDPOINT, { id: endpoint.id }, h.admin)).data.webhookEndpoint).toEqual({ id: endpoint.id });
    // An organization's endpoint may not ask for platform events.
    const platformTypes = await gql(
      h,
      CREATE,
      { input: { organizationId: org.id, url: receiver.url('/x'), eventTypes: ['PLAN_CREATED'] } },
      owner,
    );
    expect(platformTypes.data.createWebhookEndpoint.errors).toEqual([
      { code: 'VALIDATION_FAILED', field: 'input.eventTypes', message: expect.any(String) },
    ]);
  });

  it('refuses bad URLs and private addresses with typed errors, and writes nothing', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    const cases: [string, string][] = [
      ['not a url', 'INVALID_WEBHOOK_URL'],
      ['ftp://example.com/hooks', 'INVALID_WEBHOOK_URL'],
      ['http://example.com/hooks', 'INVALID_WEBHOOK_URL'],
      ['https://user:pw@example.com/hooks', 'INVALID_WEBHOOK_URL'],
      [`https://example.com/${'x'.repeat(2000)}`, 'INVALID_WEBHOOK_URL'],
      ['https://10.0.0.1/hooks', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://192.168.1.20/hooks', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://169.254.169.254/latest/meta-data', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://127.0.0.2/hooks', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://[::1]/hooks', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://[::ffff:169.254.169.254]/hooks', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://[fd00:ec2::254]/hooks', 'WEBHOOK_ADDRESS_NOT_ALLOWED'],
      ['https://no-such-host.invalid/hooks', 'WEBHOOK_HOST_NOT_FOUND'],
    ];
    for (const [url, code] of cases) {
      const response = await gql(h, CREATE, { input: { organizationId: org.id, url, eventTypes: ['APP_CREATED'] } }, owner);
      expect([
        url,
        response.data?.createWebhookEndpoint.errors.map((e: { code: string; field: string }) => `${e.code} ${e.field}`),
      ]).toEqual([url, [`${code} input.url`]]);
    }
    expect((await gql(h, ENDPOINTS, { organizationId: org.id }, owner)).data.webhookEndpoints.totalCount).toBe(0);
    const blank = await gql(h, CREATE, { input: { organizationId: org.id, url: receiver.url(), eventTypes: [] } }, owner);
    expect(blank.data.createWebhookEndpoint.errors.map((e: { field: string }) => e.field)).toEqual(['input.eventTypes']);
  });

  it('classifies addresses: private, loopback, link-local, metadata and their IPv6 forms refused unless allowed', () => {
    const policy = { production: true, allowedCidrs: [] };
    for (const address of [
      '10.1.2.3',
      '172.16.5.4',
      '192.168.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '2002:a00:1::1',
      'ff02::1',
    ]) {
      expect([address, addressRefusal(address, policy)]).toEqual([address, expect.any(String)]);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34'])
      expect(addressRefusal(address, policy)).toBeNull();
    const allowed = { production: true, allowedCidrs: [{ address: '127.0.0.1', prefix: 32, family: 'ipv4' as const }] };
    expect(addressRefusal('127.0.0.1', allowed)).toBeNull();
    expect(addressRefusal('::ffff:127.0.0.1', allowed)).toBeNull();
    expect(addressRefusal('127.0.0.2', allowed)).toEqual(expect.any(String));
  });

  it('resolves a host once and pins the connection to the address it checked', async () => {
    const policy = { production: false, allowedCidrs: [{ address: '127.0.0.1', prefix: 32, family: 'ipv4' as const }] };
    // localhost may resolve to ::1 as well: only the allowed address is used.
    const target = await resolveTarget(new URL('http://localhost:1/hooks'), policy, 2000);
    expect(target).toMatchObject({ address: '127.0.0.1', family: 4 });
    const lookup = pinnedLookup(target) as unknown as (host: string, options: object, cb: (...args: unknown[]) => void) => void;
    const answers: unknown[][] = [];
    lookup('rebound.example', {}, (...args) => answers.push(args));
    lookup('rebound.example', { all: true }, (...args) => answers.push(args));
    expect(answers).toEqual([
      [null, '127.0.0.1', 4],
      [null, [{ address: '127.0.0.1', family: 4 }]],
    ]);
    await expect(resolveTarget(new URL('http://localhost:1/'), { production: false, allowedCidrs: [] }, 2000)).rejects.toMatchObject({
      code: 'WEBHOOK_ADDRESS_NOT_ALLOWED',
    });
  });

  it('backs off exponentially for about a day by default', () => {
    const delays: number[] = [];
    let elapsed = 0;
    for (let attempt = 1; elapsed + retryDelayMs(30_000, attempt) <= 86_400_000; attempt += 1) {
      delays.push(retryDelayMs(30_000, attempt));
      elapsed += retryDelayMs(30_000, attempt);
    }
    expect(delays.slice(0, 4)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(Math.max(...delays)).toBe(MAX_RETRY_DELAY_MS);
    expect(delays.length + 1).toBeGreaterThanOrEqual(15); // attempts in the window, the first included
    expect(elapsed).toBeGreaterThan(20 * 3_600_000);
  });

  it('checks every redirect: follows one to an allowed address, refuses one to a private address', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    receiver.respond = ({ path }) =>
      path === '/moved'
        ? { status: 307, location: '/moved-here' }
        : path === '/to-private'
          ? { status: 302, location: `https://127.0.0.2:${receiver.port}/hooks` }
          : { status: 200 };
    const followed = await createEndpoint(owner, { organizationId: org.id, url: receiver.url('/moved'), eventTypes: ['APP_UPDATED'] });
    const refused = await createEndpoint(owner, { organizationId: org.id, url: receiver.url('/to-private'), eventTypes: ['APP_UPDATED'] });
    await record('APP_UPDATED', org.id);
    await waitFor(() => receiver.at('/moved-here').length === 1, { what: 'the redirected delivery' });
    expect(verifyWebhook(followed.secret, receiver.at('/moved-here')[0]!)).toBeTruthy();
    const [failing] = await waitFor(async () => {
      const list = await deliveries(refused.id);
      return list[0]?.attempts >= 1 ? list : null;
    });
    expect(failing).toMatchObject({
      status: 'PENDING',
      responseStatus: 302,
      lastError: expect.stringMatching(/^redirect refused: .*127\.0\.0\.2/),
    });
    expect(receiver.received.some((r) => r.headers.host?.startsWith('127.0.0.2'))).toBe(false);
    await gql(h, DELETE, { input: { id: refused.id } }, owner);
  });

  it('rotates the secret: during the overlap deliveries carry both signatures, each verifying with its secret', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    receiver.respond = () => ({ status: 200 });
    const endpoint = await createEndpoint(owner, {
      organizationId: org.id,
      // A host name, not an address: the connection goes through the pinned lookup.
      url: `http://localhost:${receiver.port}/rotate`,
      eventTypes: ['CREDENTIAL_ROTATED'],
    });
    const rotated = await gql(h, ROTATE, { input: { id: endpoint.id, overlapSeconds: 3600 } }, owner);
    const { secret, webhookEndpoint, errors } = rotated.data.rotateWebhookEndpointSecret;
    expect(errors).toEqual([]);
    expect(secret).not.toBe(endpoint.secret);
    expect(webhookEndpoint.previousSecretExpiresAt).toEqual(expect.any(String));
    await record('CREDENTIAL_ROTATED', org.id);
    await waitFor(() => receiver.at('/rotate').length === 1, { what: 'a delivery' });
    const [request] = receiver.at('/rotate');
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyWebhook(secret, request!)).toBeTruthy();
    expect(verifyWebhook(endpoint.secret, request!)).toBeTruthy();
    // Without overlap the old secret stops at once.
    const now = await gql(h, ROTATE, { input: { id: endpoint.id, overlapSeconds: 0 } }, owner);
    await record('CREDENTIAL_ROTATED', org.id);
    await waitFor(() => receiver.at('/rotate').length === 2, { what: 'a second delivery' });
    const second = receiver.at('/rotate')[1]!;
    expect(verifyWebhook(now.data.rotateWebhookEndpointSecret.secret, second)).toBeTruthy();
    expect(() => verifyWebhook(secret, second)).toThrow();
    const bad = await gql(h, ROTATE, { input: { id: endpoint.id, overlapSeconds: -1 } }, owner);
    expect(bad.data.rotateWebhookEndpointSecret.errors).toEqual([
      { code: 'VALIDATION_FAILED', field: 'input.overlapSeconds', message: expect.any(String) },
    ]);
  });

  it('marks a delivery FAILED after the retry window and disables the endpoint with a reason, an audit entry and an event; enabling it resumes', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    let up = false;
    receiver.respond = ({ path }) => ({ status: path === '/dead' && !up ? 500 : 200 });
    const dead = await createEndpoint(owner, { organizationId: org.id, url: receiver.url('/dead'), eventTypes: ['APP_DELETED'] });
    const watcher = await createEndpoint(owner, {
      organizationId: org.id,
      url: receiver.url('/watch'),
      eventTypes: ['WEBHOOK_ENDPOINT_DISABLED'],
    });
    await record('APP_DELETED', org.id, { n: 1 });
    await record('APP_DELETED', org.id, { n: 2 });
    const disabled = await waitFor(
      async () => {
        const response = await gql(h, ENDPOINTS, { organizationId: org.id }, owner);
        const [row] = await sql(h, 'select enabled, disabled_reason from developers.webhook_endpoint where id = ?', [dead.id]);
        return row.enabled === false ? { row, response } : null;
      },
      { what: 'the endpoint to be disabled', timeoutMs: 20_000 },
    );
    expect(disabled.row.disabled_reason).toMatch(/^Every delivery attempt for 3 s failed \(last: HTTP 500\)/);
    const list = await deliveries(dead.id);
    expect(list.map((d) => d.status)).toEqual(['FAILED', 'PENDING']);
    expect(list[0]).toMatchObject({ responseStatus: 500, lastError: 'HTTP 500', nextAttemptAt: null, completedAt: expect.any(String) });
    expect(list[0].attempts).toBeGreaterThan(2);
    const audit = await sql(
      h,
      `select action, change, after from platform.audit_log where target_type = 'WebhookEndpoint' and target_id = ? and change = 'UPDATE'`,
      [dead.id],
    );
    expect(audit).toEqual([
      expect.objectContaining({ action: 'developers.deliverWebhooks', after: expect.objectContaining({ enabled: false }) }),
    ]);
    await waitFor(() => receiver.at('/watch').length === 1, { what: 'the WEBHOOK_ENDPOINT_DISABLED event' });
    expect(receiver.at('/watch')[0]!.json).toMatchObject({
      type: 'WEBHOOK_ENDPOINT_DISABLED',
      data: { webhookEndpointId: dead.id, organizationId: org.id },
    });
    expect(verifyWebhook(watcher.secret, receiver.at('/watch')[0]!)).toBeTruthy();
    // A redelivery waits for the endpoint to be enabled.
    const refused = await gql(h, REDELIVER, { input: { deliveryId: list[0].id } }, owner);
    expect(refused.data.redeliverWebhook.errors.map((e: { code: string }) => e.code)).toEqual(['WEBHOOK_ENDPOINT_DISABLED']);

    up = true;
    const enabled = await gql(h, UPDATE, { input: { id: dead.id, enabled: true } }, owner);
    expect(enabled.data.updateWebhookEndpoint.webhookEndpoint).toMatchObject({ enabled: true, disabledAt: null, disabledReason: null });
    await waitFor(() => receiver.at('/dead').some((r) => r.status === 200 && r.json.data.n === 2), { what: 'the waiting delivery' });
    const redelivered = await gql(h, REDELIVER, { input: { deliveryId: list[0].id } }, owner);
    expect(redelivered.data.redeliverWebhook.errors).toEqual([]);
    await waitFor(() => receiver.at('/dead').some((r) => r.status === 200 && r.json.data.n === 1), { what: 'the redelivered one' });
  });
  it('forgets finished deliveries and dispatched events after 30 days', async () => {
    const owner = developer();
    const org = await activeOrganization(h, owner);
    receiver.respond = () => ({ status: 200 });
    const old = new Date(Date.now() - 31 * 86_400_000);
    const [event] = await sql(
      h,
      `insert into platform.webhook_event (type, organization_id, occurred_at, data) values ('APP_CREATED', ?, ?, '{}') returning id`,
      [org.id, old],
    );
    // Created after the event: it is never delivered there; only the delivery row below points at it.
    const endpoint = await createEndpoint(owner, { organizationId: org.id, url: receiver.url('/retention'), eventTypes: ['APP_CREATED'] });
    await sql(
      h,
      `insert into developers.webhook_delivery (id, endpoint_id, event_id, event_type, organization_id, status, attempts, created_at, completed_at)
       values (gen_random_uuid(), ?, ?, 'APP_CREATED', ?, 'SUCCEEDED', 1, ?, ?)`,
      [endpoint.id, event.id, org.id, old, old],
    );
    // The next dispatch purges them; the new event is delivered and kept.
    await record('APP_CREATED', org.id, { n: 'new' });
    await waitFor(() => receiver.at('/retention').length === 1, { what: 'the new event' });
    await waitFor(async () => (await sql(h, 'select 1 from platform.webhook_event where id = ?', [event.id])).length === 0, {
      what: 'the old event to be purged',
    });
    const left = await deliveries(endpoint.id);
    expect(left.map((d) => [d.status, d.messageId === `msg_${event.id}`])).toEqual([['SUCCEEDED', false]]);
  });
});
