import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { waitFor } from './helpers/wait';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { Seed } from './kit/seed';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';

/** Realtime quota warnings through the gateway over graphql-ws, authorised per organization. */
describe('quotaWarnings subscription through the gateway', () => {
  let platform: TestPlatform;
  const clients: Client[] = [];
  const admin = portalAdmin();
  const alice = developer();
  const bob = developer();
  let orgA: string;
  let orgB: string;

  function client(identity: Identity | null, via: 'authorization' | 'token' = 'authorization', url = platform.wsUrl): Client {
    const c = createClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: identity
        ? via === 'token'
          ? { token: tokenFor(identity) }
          : { authorization: `Bearer ${tokenFor(identity)}` }
        : {},
    });
    clients.push(c);
    return c;
  }

  /** Probe warnings (see `ready`) sit at this threshold and are kept apart from the events a test asserts. */
  const PROBE_THRESHOLD = 1;

  function subscribe(c: Client, organizationId: string) {
    const events: any[] = [];
    const probes: any[] = [];
    const errors: any[] = [];
    let completed = false;
    c.subscribe(
      {
        query: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { kind thresholdPercent used limit resetsAt organization { id name } } }`,
        variables: { org: organizationId },
      },
      {
        // Several probes may be in flight when the first one arrives: the late ones must not be
        // mistaken for the warnings a test raises afterwards.
        next: (result) =>
          result.errors
            ? errors.push(...result.errors)
            : (result.data as any)?.quotaWarnings?.thresholdPercent === PROBE_THRESHOLD
              ? probes.push(result.data)
              : events.push(result.data),
        error: (error) => errors.push(error),
        complete: () => (completed = true),
      },
    );
    return { events, probes, errors, isComplete: () => completed };
  }

  async function raise(organizationId: string, thresholdPercent: number, windowStart = new Date(Date.UTC(2026, 10, 1))) {
    const usage = platform.subgraphs.usage!;
    await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
      organizationId,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent,
      used: thresholdPercent * 10,
      limit: 1000,
      windowStart,
      resetsAt: new Date(Date.UTC(2026, 11, 1)),
    });
  }

  /** Waits until the subscription is registered upstream: a probe warning (in a window of its own) arrives. */
  let probeWindow = Date.UTC(2020, 0, 1);
  async function ready(sub: ReturnType<typeof subscribe>, organizationId: string) {
    await waitFor(
      async () => {
        if (sub.probes.length > 0) return true;
        probeWindow += 60_000;
        await raise(organizationId, PROBE_THRESHOLD, new Date(probeWindow));
        return sub.probes.length > 0;
      },
      { intervalMs: 100, what: 'the subscription to be live' },
    );
  }

  beforeAll(async () => {
    platform = await startPlatform();
    const seed = new Seed(platform.gatewayUrl, admin);
    orgA = await seed.organization(alice.sub);
    orgB = await seed.organization(bob.sub);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
  });

  it('delivers an organization’s warnings to its member, joined with the developers subgraph, and nothing of other organizations', async () => {
    const sub = subscribe(client(alice), orgA);
    await ready(sub, orgA);
    await raise(orgB, 95);
    await raise(orgA, 90);
    await waitFor(() => sub.events.length >= 1, { what: 'the warning of org A' });
    expect(sub.events[0].quotaWarnings).toEqual({
      kind: 'SOFT',
      thresholdPercent: 90,
      used: 900,
      limit: 1000,
      resetsAt: '2026-12-01T00:00:00.000Z',
      organization: { id: orgA, name: expect.any(String) },
    });
    expect(sub.errors).toEqual([]);
  });

  it('accepts the token as connectionParams.token too, and lets portal admins watch any organization', async () => {
    const viaToken = subscribe(client(bob, 'token'), orgB);
    await ready(viaToken, orgB);
    const asAdmin = subscribe(client(admin), orgB);
    await ready(asAdmin, orgB);
    await raise(orgB, 99);
    await waitFor(
      () =>
        viaToken.events.some((e) => e.quotaWarnings.thresholdPercent === 99) &&
        asAdmin.events.some((e) => e.quotaWarnings.thresholdPercent === 99),
      {
        what: 'both subscribers to get the warning',
      },
    );
  });

  it('refuses outsiders and anonymous subscribers before delivering anything', async () => {
    const outsider = subscribe(client(bob), orgA);
    const anonymous = subscribe(client(null), orgA);
    await waitFor(() => outsider.errors.length > 0 && anonymous.errors.length > 0, { what: 'both refusals' });
    expect(outsider.errors[0].extensions?.code).toBe('FORBIDDEN');
    expect(anonymous.errors[0].extensions?.code).toBe('UNAUTHENTICATED');
    await raise(orgA, 97);
    const member = subscribe(client(alice), orgA);
    await ready(member, orgA);
    expect(outsider.events).toEqual([]);
    expect(anonymous.events).toEqual([]);
  });

  it('serves a fresh gateway whose first operation is a subscription, and keeps it open past the upstream timeout', async () => {
    // Long enough for the subscription's own set-up on a loaded machine, short enough to pass three times over.
    const gateway = await platform.extraGateway({ ...process.env, GRAPHQL_UPSTREAM_TIMEOUT_MS: '1500' });
    const sub = subscribe(client(alice, 'authorization', gateway.url.replace(/^http/, 'ws')), orgA);
    await ready(sub, orgA);
    const since = Date.now();
    await waitFor(() => Date.now() - since > 4500, { what: 'the upstream timeout to pass three times over', timeoutMs: 20_000 });
    await raise(orgA, 98);
    await waitFor(() => sub.events.some((e) => e.quotaWarnings.thresholdPercent === 98), { what: 'a warning after the timeout' });
    expect(sub.errors).toEqual([]);
    expect(sub.isComplete()).toBe(false);
  });
});
