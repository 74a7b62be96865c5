import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, portalAdmin, tokenFor } from './helpers/graphql';
import { parseMetrics, valueOf } from './helpers/prometheus';
import { TcpProxy } from './helpers/tcp-proxy';
import { waitFor } from './helpers/wait';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { Seed } from './kit/seed';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';
import { SUBSCRIPTION_INTERRUPTED } from '../gateway/upstream-subscriptions';

const JOINED = `subscription($org: ID!) { quotaWarnings(organizationId: $org) { thresholdPercent organization { id name } } }`;
const RESUMED = `subscription($org: ID!, $after: String) { quotaWarnings(organizationId: $org, after: $after) { thresholdPercent cursor } }`;

/**
 * Clients of the gateway with the same subscription key (document, variables, verified claims)
 * share one execution: one upstream subscription at the usage subgraph, one entity fetch per event
 * for the joined field, each event to each client exactly once (gateway/shared-subscriptions.ts).
 */
describe('shared subscriptions at the gateway', () => {
  let platform: TestPlatform;
  const clients: Client[] = [];
  const admin = portalAdmin();
  const alice = developer();
  const bob = developer();
  /** One token per person: the same claims, as the tabs of one signed-in session send. */
  let aliceToken: string;
  let bobToken: string;
  let orgA: string;
  let orgB: string;

  function socket(token: string | null, url = platform.wsUrl): Client {
    const c = createClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    });
    clients.push(c);
    return c;
  }

  function subscribeTo(c: Client, organizationId: string, query = JOINED, variables: Record<string, unknown> = {}) {
    const events: any[] = [];
    const errors: any[] = [];
    let completed = false;
    const stop = c.subscribe(
      { query, variables: { org: organizationId, ...variables } },
      {
        next: (result) => (result.errors ? errors.push(...result.errors) : events.push((result.data as any).quotaWarnings)),
        error: (error) => errors.push(error),
        complete: () => (completed = true),
      },
    );
    return { events, errors, stop, isComplete: () => completed };
  }
  type Sub = ReturnType<typeof subscribeTo>;

  let windowStart = Date.UTC(2021, 0, 1);
  /** Raises a warning (each in a window of its own, so none replaces another) and returns its threshold. */
  async function raise(organizationId: string, thresholdPercent: number): Promise<number> {
    const usage = platform.subgraphs.usage!;
    windowStart += 60_000;
    await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
      organizationId,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent,
      used: thresholdPercent * 10,
      limit: 1000,
      windowStart: new Date(windowStart),
      resetsAt: new Date(Date.UTC(2026, 11, 1)),
    });
    return thresholdPercent;
  }

  /** Waits until every subscription got a warning raised for the purpose (each raise a new threshold). */
  let probe = 1;
  async function live(subs: Sub[], organizationId: string): Promise<void> {
    await waitFor(
      async () => {
        if (subs.every((s) => s.events.length > 0)) return true;
        await raise(organizationId, (probe = (probe % 40) + 1));
        return subs.every((s) => s.events.length > 0);
      },
      { intervalMs: 150, what: 'the subscriptions to be live' },
    );
  }

  async function metrics(url: string) {
    return parseMetrics(await (await fetch(new URL('/metrics', url))).text());
  }
  /** Subscriptions the usage subgraph runs now: the gateway's upstream subscriptions. */
  const upstream = async () =>
    valueOf(await metrics(platform.subgraphs.usage!.url), 'plangraph_subscriptions_open', { subscription: 'quotaWarnings' });
  /** Calls the gateway made to the developers subgraph (the joined `organization { name }`). */
  const developerCalls = async (url = platform.gatewayUrl) =>
    valueOf(await metrics(url), 'graphql_gateway_subgraph_execute_duration_count', { subgraphName: 'developers' });

  beforeAll(async () => {
    platform = await startPlatform();
    const seed = new Seed(platform.gatewayUrl, admin);
    orgA = await seed.organization(alice.sub);
    orgB = await seed.organization(bob.sub);
    aliceToken = tokenFor(alice);
    bobToken = tokenFor(bob);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.dispose();
    await waitFor(async () => (await upstream()) === 0, { what: 'every upstream subscription to end' });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('runs one upstream subscription for many clients of one key, delivers each event to each once, and fetches the joined field once per event', async () => {
    const first = socket(aliceToken);
    const subs = [subscribeTo(first, orgA), subscribeTo(first, orgA), ...[1, 2, 3, 4].map(() => subscribeTo(socket(aliceToken), orgA))];
    await live(subs, orgA);
    expect(await upstream()).toBe(1);

    for (const s of subs) s.events.length = 0;
    const calls = await developerCalls();
    await raise(orgA, 91);
    await waitFor(() => subs.every((s) => s.events.some((e) => e.thresholdPercent === 91)), { what: 'the warning at every client' });
    await raise(orgA, 92);
    await waitFor(() => subs.every((s) => s.events.some((e) => e.thresholdPercent === 92)), { what: 'the second warning at every client' });
    for (const s of subs) {
      expect(s.events.filter((e) => e.thresholdPercent >= 91)).toEqual([
        { thresholdPercent: 91, organization: { id: orgA, name: expect.any(String) } },
        { thresholdPercent: 92, organization: { id: orgA, name: expect.any(String) } },
      ]);
      expect(s.errors).toEqual([]);
    }
    // Six clients, two events: two calls for the joined field, not twelve.
    expect((await developerCalls()) - calls).toBe(2);

    // One client leaving (a subscription of a socket that keeps another) leaves the others.
    subs[0].stop();
    await raise(orgA, 93);
    await waitFor(() => subs.slice(1).every((s) => s.events.some((e) => e.thresholdPercent === 93)), { what: 'the others to go on' });
    expect(subs[0].events.some((e) => e.thresholdPercent === 93)).toBe(false);
    expect(subs.slice(1).every((s) => !s.isComplete() && !s.errors.length)).toBe(true);
    expect(await upstream()).toBe(1);

    // The last client leaving ends the upstream subscription.
    for (const s of subs.slice(1)) s.stop();
    await waitFor(async () => (await upstream()) === 0, { what: 'the upstream subscription to end with its last client' });
    const metricsNow = await metrics(platform.gatewayUrl);
    expect(valueOf(metricsNow, 'plangraph_gateway_shared_subscriptions')).toBe(0);
  });

  it('never shares across callers: another organization’s member sees neither the events nor the stream, and is refused on its own', async () => {
    const member = subscribeTo(socket(aliceToken), orgA);
    await live([member], orgA);
    // Bob, of organization B, asks for A's warnings with the very same document and variables.
    const outsider = subscribeTo(socket(bobToken), orgA);
    await waitFor(() => outsider.errors.length > 0, { what: 'the refusal' });
    expect(outsider.errors[0].extensions?.code).toBe('FORBIDDEN');
    const ownB = subscribeTo(socket(bobToken), orgB);
    await live([ownB], orgB);
    expect(await upstream()).toBe(2);
    await raise(orgA, 94);
    await raise(orgB, 95);
    await waitFor(() => member.events.some((e) => e.thresholdPercent === 94) && ownB.events.some((e) => e.thresholdPercent === 95), {
      what: 'each organization’s warning at its member',
    });
    expect(member.events.every((e) => e.organization.id === orgA)).toBe(true);
    expect(ownB.events.every((e) => e.organization.id === orgB)).toBe(true);
    expect(outsider.events).toEqual([]);
    expect(member.errors).toEqual([]);
  });

  it('gives a refusal to every client of a refused key, and to one arriving after it', async () => {
    const c = socket(bobToken);
    const early = [subscribeTo(c, orgA), subscribeTo(c, orgA)];
    await waitFor(() => early.every((s) => s.errors.length > 0), { what: 'both refusals' });
    const late = subscribeTo(c, orgA);
    await waitFor(() => late.errors.length > 0, { what: 'the late refusal' });
    for (const s of [...early, late]) {
      expect(s.errors.map((e: any) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(s.events).toEqual([]);
    }
  });

  it('does not share a subscription that resumes with `after`: each replays what it missed', async () => {
    const a = socket(aliceToken);
    const head = subscribeTo(a, orgA, RESUMED, { after: null });
    await live([head], orgA);
    const cursor = head.events[head.events.length - 1].cursor as string;
    await raise(orgA, 96);
    await waitFor(() => head.events.some((e) => e.thresholdPercent === 96), { what: 'the live warning' });
    const one = subscribeTo(a, orgA, RESUMED, { after: cursor });
    await waitFor(() => one.events.some((e) => e.thresholdPercent === 96), { what: 'the first replay' });
    const two = subscribeTo(socket(aliceToken), orgA, RESUMED, { after: cursor });
    await waitFor(() => two.events.some((e) => e.thresholdPercent === 96), { what: 'the second replay' });
    expect(two.events.map((e) => e.cursor)).toEqual(one.events.map((e) => e.cursor));
    expect(await upstream()).toBe(3);
  });

  it('ends every client of a key with the resumable SERVICE_UNAVAILABLE error when the upstream is lost', async () => {
    const { proxy, url } = await TcpProxy.inFrontOf(platform.subgraphs.usage!.url, 80);
    const gateway = await platform.extraGateway({ ...process.env }, { usage: url });
    try {
      const wsUrl = gateway.url.replace(/^http/, 'ws');
      const subs = [1, 2, 3].map(() => subscribeTo(socket(aliceToken, wsUrl), orgA));
      await live(subs, orgA);
      expect(await upstream()).toBe(1);
      await proxy.down();
      await waitFor(() => subs.every((s) => s.isComplete()), { what: 'every client to be ended' });
      for (const s of subs) {
        expect(s.errors).toHaveLength(1);
        expect(s.errors[0]).toMatchObject({
          message: SUBSCRIPTION_INTERRUPTED,
          extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1 },
        });
      }
      // A new client after the loss starts afresh once the subgraph is back.
      await proxy.up();
      const again = subscribeTo(socket(aliceToken, wsUrl), orgA);
      await live([again], orgA);
      expect(again.errors).toEqual([]);
    } finally {
      for (const c of clients.splice(0)) await c.dispose();
      await proxy.stop();
    }
  });
});
