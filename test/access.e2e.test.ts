import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { TykTestServer } from './tyk/server';

/**
 * The consumer journey through the gateway: a developer registers and gets an organization
 * approved, creates an app, requests access under a manual-approval plan, watches the approval
 * events over graphql-ws, reveals the secret once, and the key appears in Tyk (test server);
 * rotation, revocation and the access-request limit follow.
 */
describe('access journey through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();
  const outsider = developer();
  const clients: Client[] = [];
  const ids: Record<string, string> = {};

  const gql = async (query: string, variables: Record<string, unknown>, identity: Identity | null) => {
    const r = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message retryAfter } } }`,
      { i: input },
      identity,
    );
    return data[name];
  };

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start();
    fixtures = new Fixtures(platform.gatewayUrl, admin);
    const registered = await mutate(
      'registerProvider',
      'RegisterProviderInput',
      { name: unique('tyk'), kind: 'TYK_GATEWAY', baseUrl: tyk.url, secret: tyk.secret, tykOrgId: tyk.orgId, makeDefault: true },
      'provider { id }',
      admin,
    );
    expect(registered.errors).toEqual([]);
    ids.catalog = await fixtures.catalog();
    ids.product = await fixtures.product({ catalogIds: [ids.catalog] });
    ids.plan = await fixtures.plan({
      name: unique('manual'),
      catalogIds: [ids.catalog],
      accessRequestLimit: { allowance: 2, renewalSeconds: 3600 },
    });
    ids.probePlan = await fixtures.plan({ name: unique('probe'), catalogIds: [ids.catalog], autoApprove: true });
    ids.outsiderOrg = await fixtures.organization(outsider.sub);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
    await tyk?.stop();
  });

  function subscribe(identity: Identity, organizationId: string) {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(client);
    const events: any[] = [];
    const errors: any[] = [];
    client.subscribe(
      {
        query: `subscription($org: ID) { accessRequestEvents(organizationId: $org) {
          type accessRequest { status plan { name } } credential { prefix status plan { name quota { requests } } }
        } }`,
        variables: { org: organizationId },
      },
      {
        next: (r) => (r.errors ? errors.push(...r.errors) : events.push(r.data!.accessRequestEvents)),
        error: (e) => errors.push(e),
        complete: () => undefined,
      },
    );
    return { events, errors };
  }

  it('runs the whole journey', async () => {
    // A developer registers and asks for an organization; a portal admin approves it.
    expect(
      (await mutate('registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dave' }, 'developer { subject }', dave)).developer,
    ).toEqual({ subject: dave.sub });
    const requested = await mutate(
      'requestOrganization',
      'RequestOrganizationInput',
      { name: 'Dave Co', slug: unique('dave') },
      'organization { id status }',
      dave,
    );
    expect(requested.organization.status).toBe('PENDING');
    ids.org = requested.organization.id;
    const approved = await mutate('approveOrganization', 'ApproveOrganizationInput', { id: ids.org }, 'organization { status }', admin);
    expect(approved.organization.status).toBe('ACTIVE');
    ids.app = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: 'Weather app' }, 'app { id }', dave)).app.id;

    // A member subscribes; an outsider's subscription to this organization is refused.
    const watcher = subscribe(dave, ids.org);
    const spy = subscribe(outsider, ids.org);
    await waitFor(() => spy.errors.length > 0, { what: 'the outsider to be refused' });
    expect(spy.errors[0].extensions?.code).toBe('FORBIDDEN');

    // Probe until the member's subscription is live upstream: auto-approved requests on apps of
    // their own (an unlimited plan) produce events.
    await waitFor(
      async () => {
        if (watcher.events.length) return true;
        const probeApp = (
          await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: unique('probe') }, 'app { id }', dave)
        ).app.id;
        await mutate(
          'requestAccess',
          'RequestAccessInput',
          { appId: probeApp, planId: ids.probePlan, productIds: [ids.product] },
          'accessRequest { id }',
          dave,
        );
        return waitFor(() => watcher.events.length > 0, { timeoutMs: 1000, what: 'a probe event' }).catch(() => false);
      },
      { what: 'the subscription to be live' },
    );
    await waitFor(() => watcher.events.filter((e) => e.type === 'CREDENTIAL_ISSUED').length > 0, { what: 'the probe events' });
    watcher.events.length = 0;
    // Events of the journey's own request: on a loaded machine, events of a probe sent just before
    // the subscription went live upstream may still arrive after this point.
    const planOf = (e: any): string => e.accessRequest?.plan?.name ?? e.credential?.plan?.name ?? '';
    const journey = () => watcher.events.filter((e) => !planOf(e).startsWith('probe'));

    // The request waits for a portal admin.
    const request = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: ids.app, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { id status } secret',
      dave,
    );
    expect(request.accessRequest.status).toBe('PENDING');
    expect(request.secret).toBeNull();
    ids.request = request.accessRequest.id;

    const decided = await mutate(
      'approveAccessRequest',
      'ApproveAccessRequestInput',
      { id: ids.request },
      'accessRequest { status credential { id prefix } }',
      admin,
    );
    expect(decided.accessRequest.status).toBe('APPROVED');
    expect(JSON.stringify(decided)).not.toMatch(/pgk_[A-Za-z0-9]{40}/);
    ids.credential = decided.accessRequest.credential.id;

    await waitFor(() => journey().some((e) => e.type === 'CREDENTIAL_ISSUED'), { what: 'CREDENTIAL_ISSUED over graphql-ws' });
    expect(journey().map((e) => e.type)).toEqual(['REQUESTED', 'APPROVED', 'CREDENTIAL_ISSUED']);
    expect(journey()[0].accessRequest.plan).toEqual({ name: expect.stringMatching(/^manual/) });
    const issued = journey().find((e) => e.type === 'CREDENTIAL_ISSUED');
    expect(issued.credential.plan).toEqual({ name: expect.any(String), quota: { requests: 1000 } });
    expect(spy.events).toEqual([]);

    // The secret is shown once, to the organization only.
    const byAdmin = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: RevealCredentialSecretInput!) { revealCredentialSecret(input: $i) { secret errors { code } } }`,
      { i: { id: ids.credential } },
      admin,
    );
    expect(byAdmin.data?.revealCredentialSecret?.secret ?? null).toBeNull();
    const reveal = await mutate('revealCredentialSecret', 'RevealCredentialSecretInput', { id: ids.credential }, 'secret', dave);
    expect(reveal.secret).toMatch(/^pgk_[A-Za-z0-9]{46}$/);
    const again = await mutate('revealCredentialSecret', 'RevealCredentialSecretInput', { id: ids.credential }, 'secret', dave);
    expect(again.errors[0].code).toBe('ALREADY_REVEALED');

    // The provider issues the key in Tyk; the credential shows its provider state.
    const synced = await waitFor(
      async () => {
        const data = await gql(
          `query($id: ID!) { credential(id: $id) { sync { status externalId attempts lastError nextAttemptAt } } }`,
          { id: ids.credential },
          admin,
        );
        // Not yet: the state becomes the timeout's message, so a failure says why.
        if (data.credential.sync.status !== 'SYNCED') throw new Error(`credential sync ${JSON.stringify(data.credential.sync)}`);
        return data.credential.sync;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the key to be issued in Tyk' },
    );
    expect(tyk.keys.has([...tyk.keys.keys()].find((hash) => hash.startsWith(synced.externalId))!)).toBe(true);

    // Entitlements answer what the organization may use, with limits from the plans subgraph.
    const entitlements = await gql(
      `{ viewer { entitlements { status app { name } plan { quota { requests } rateLimit { requests } } products { id } } } }`,
      {},
      dave,
    );
    expect(entitlements.viewer.entitlements).toContainEqual({
      status: 'ACTIVE',
      app: { name: 'Weather app' },
      plan: { quota: { requests: 1000 }, rateLimit: { requests: 10 } },
      products: [{ id: ids.product }],
    });

    // Rotation gives a new secret; the old credential keeps working until its grace period ends.
    const rotated = await mutate(
      'rotateCredential',
      'RotateCredentialInput',
      { id: ids.credential, gracePeriodSeconds: 3600 },
      'secret credential { id } replacedCredential { revokesAt status }',
      dave,
    );
    expect(rotated.secret).toMatch(/^pgk_/);
    expect(rotated.secret).not.toBe(reveal.secret);
    expect(rotated.replacedCredential.status).toBe('ACTIVE');
    expect(rotated.replacedCredential.revokesAt).toEqual(expect.any(String));
    const revoked = await mutate('revokeCredential', 'RevokeCredentialInput', { id: rotated.credential.id }, 'credential { status }', dave);
    expect(revoked.credential.status).toBe('REVOKED');
    await waitFor(() => watcher.events.some((e) => e.type === 'CREDENTIAL_REVOKED'), { what: 'CREDENTIAL_REVOKED' });

    // The plan allows two requests per hour per organization: the third is refused.
    const secondApp = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: 'Second app' }, 'app { id }', dave)).app
      .id;
    const second = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: secondApp, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { id }',
      dave,
    );
    expect(second.errors).toEqual([]);
    const thirdApp = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: 'Third app' }, 'app { id }', dave)).app
      .id;
    const third = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: thirdApp, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { id }',
      dave,
    );
    expect(third.errors[0]).toMatchObject({
      code: 'PLAN_ACCESS_QUOTA_EXCEEDED',
      field: 'input.planId',
      message: expect.stringMatching(/^Plan access quota exceeded/),
    });
    expect(third.errors[0].retryAfter).toBeGreaterThan(0);
    expect(third.errors[0].retryAfter).toBeLessThanOrEqual(3600);

    // Archiving the plan hides it from the catalogue, not from the organization holding access.
    expect((await mutate('archivePlan', 'ArchivePlanInput', { id: ids.plan }, 'plan { status }', admin)).plan.status).toBe('ARCHIVED');
    const held = await gql(`{ viewer { entitlements { credential { id } plan { name status } } } }`, {}, dave);
    expect(held.viewer.entitlements.find((e: any) => e.credential.id === ids.credential).plan).toEqual({
      name: expect.stringMatching(/^manual/),
      status: 'ARCHIVED',
    });
    expect((await gql(`query($id: ID!) { plan(id: $id) { id } }`, { id: ids.plan }, dave)).plan).toBeNull();

    // Nobody outside the organization sees any of it.
    const peek = await gatewayRequest(
      platform.gatewayUrl,
      `query($c: ID!, $a: ID!) { credential(id: $c) { id } app(id: $a) { id } }`,
      { c: ids.credential, a: ids.app },
      outsider,
    );
    expect(peek.data).toEqual({ credential: null, app: null });
  });
});
