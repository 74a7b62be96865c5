import WebSocket from 'ws';
import { Fixtures } from './helpers/fixtures';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { waitFor } from './helpers/wait';
import type { RunningGateway } from '../gateway';
import { emitAccessEvent, ACCESS_REQUEST_EVENTS_TOPIC } from '../subgraphs/developers/services/events';
import { AccessRequestEventType } from '../subgraphs/developers/entities/access-request-event';
import { QUOTA_WARNINGS_TOPIC } from '../subgraphs/usage/services/quota-warnings';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';

/**
 * Issue 21 item 2: a client that loses its gateway mid-stream reconnects through another gateway
 * with the last cursor it received and gets every event it missed, then live ones, exactly once
 * and in order — for `accessRequestEvents` and `quotaWarnings`.
 */
describe('resumable subscriptions across a gateway restart', () => {
  let platform: TestPlatform;
  /** The gateway every test reconnects through (the one each test stops is its own). */
  let second: RunningGateway;
  const clients: Client[] = [];
  const admin = portalAdmin();
  const alice = developer();
  const bob = developer();
  let orgA: string;
  let orgB: string;

  function client(identity: Identity, gateway: RunningGateway): Client {
    const c = createClient({
      url: gateway.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(c);
    return c;
  }

  function subscribe(c: Client, query: string, variables: Record<string, unknown>, field: string) {
    const events: { id: string; cursor: string; organizationId: string }[] = [];
    const errors: any[] = [];
    let ended = false;
    c.subscribe(
      { query, variables },
      {
        next: (result) => (result.errors ? errors.push(...result.errors) : events.push((result.data as any)[field])),
        error: (error) => {
          errors.push(error);
          ended = true;
        },
        complete: () => (ended = true),
      },
    );
    return { events, errors, isEnded: () => ended };
  }

  async function accessEvent(organizationId: string): Promise<void> {
    const developers = platform.subgraphs.developers!;
    await developers.orm.em
      .fork()
      .transactional((tx) =>
        emitAccessEvent(developers.pubsub, tx, { type: AccessRequestEventType.REQUESTED, organizationId, at: new Date() }),
      );
  }

  let window = Date.UTC(2021, 0, 1);
  async function warning(organizationId: string): Promise<void> {
    const usage = platform.subgraphs.usage!;
    window += 60_000;
    await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
      organizationId,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent: 80,
      used: 800,
      limit: 1000,
      windowStart: new Date(window),
      resetsAt: new Date(window + 60_000),
    });
  }

  /** The stored events of a topic for an organization, in store order: the ids a client must see. */
  async function stored(topic: string, organizationId: string): Promise<string[]> {
    const rows = await platform.subgraphs
      .developers!.orm.em.getConnection()
      .execute<{ event_id: string }[]>(
        `select e.payload->>'id' as event_id from platform.event e where e.topic = ? and e.payload->>'organizationId' = ? order by e.id`,
        [topic, organizationId],
      );
    return rows.map((r) => r.event_id);
  }

  beforeAll(async () => {
    platform = await startPlatform();
    second = await platform.extraGateway({ ...process.env });
    const fixtures = new Fixtures(platform.gatewayUrl, admin);
    orgA = await fixtures.organization(alice.sub);
    orgB = await fixtures.organization(bob.sub);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
  });

  const streams = [
    {
      name: 'accessRequestEvents',
      topic: ACCESS_REQUEST_EVENTS_TOPIC,
      query: `subscription($org: ID, $after: String) { accessRequestEvents(organizationId: $org, after: $after) { id cursor type organizationId } }`,
      history: `query($org: ID, $after: String, $since: DateTime, $first: Int) { accessRequestEventsHistory(organizationId: $org, after: $after, since: $since, first: $first) { totalCount edges { cursor node { id cursor } } pageInfo { hasNextPage endCursor } } }`,
      produce: accessEvent,
    },
    {
      name: 'quotaWarnings',
      topic: QUOTA_WARNINGS_TOPIC,
      query: `subscription($org: ID!, $after: String) { quotaWarnings(organizationId: $org, after: $after) { id cursor organizationId } }`,
      history: `query($org: ID!, $after: String, $since: DateTime, $first: Int) { quotaWarningsHistory(organizationId: $org, after: $after, since: $since, first: $first) { totalCount edges { cursor node { id cursor } } pageInfo { hasNextPage endCursor } } }`,
      produce: warning,
    },
  ] as const;

  describe.each(streams)('$name', (stream) => {
    it('delivers every event exactly once, in order, to a client that resumes through another gateway after its gateway stopped', async () => {
      const field = stream.name;
      const first = await platform.extraGateway({ ...process.env });
      // Connected through the first gateway from the start of the stream (cursor 0), so every
      // stored event of the organization must reach this client, the ones raised while the
      // subscription was being set up included.
      const before = subscribe(client(alice, first), stream.query, { org: orgA, after: '0' }, field);
      await waitFor(
        async () => {
          await stream.produce(orgA);
          return before.events.length > 0;
        },
        { intervalMs: 100, what: 'the first subscription to be live' },
      );
      for (let i = 0; i < 5; i++) await stream.produce(orgA);
      await stream.produce(orgB);
      const liveBefore = (await stored(stream.topic, orgA)).length;
      await waitFor(() => before.events.length >= liveBefore, { what: 'the events before the stop' });

      // Mid-stream: the gateway goes away while more events happen and no client is connected.
      const gatewayStopped = first.stop();
      await waitFor(() => before.isEnded(), { what: 'the client to lose its gateway' });
      await gatewayStopped;
      for (let i = 0; i < 7; i++) await stream.produce(orgA);
      await stream.produce(orgB);

      // Reconnect through the other gateway from the last cursor, while events keep coming.
      const last = before.events[before.events.length - 1].cursor;
      expect(last).toMatch(/^[0-9]+$/);
      const after = subscribe(client(alice, second), stream.query, { org: orgA, after: last }, field);
      const producing = (async () => {
        for (let i = 0; i < 6; i++) await stream.produce(orgA);
      })();
      await producing;
      const expected = await stored(stream.topic, orgA);
      await waitFor(() => before.events.length + after.events.length >= expected.length, { what: 'every event after the resume' });
      // One more, so a duplicate or a late straggler would show up before the assertion.
      await stream.produce(orgA);
      const all = await stored(stream.topic, orgA);
      await waitFor(() => before.events.length + after.events.length >= all.length, { what: 'the last event' });

      const received = [...before.events, ...after.events];
      expect(received.map((e) => e.id)).toEqual(all);
      expect(new Set(received.map((e) => e.cursor)).size).toBe(received.length);
      const cursors = received.map((e) => BigInt(e.cursor));
      expect(cursors.every((c, i) => i === 0 || c > cursors[i - 1])).toBe(true);
      expect(received.every((e) => e.organizationId === orgA)).toBe(true);
      expect(after.errors).toEqual([]);

      // History reads the same stream back: after the cursor, and since a time.
      const page = await gatewayRequest(second.url, stream.history, { org: orgA, after: last, first: 100 }, alice);
      expect(page.errors).toBeUndefined();
      const history = (page.data as any)[`${field}History`];
      expect(history.edges.map((e: any) => e.node.id)).toEqual(after.events.map((e) => e.id));
      expect(history.edges.map((e: any) => e.cursor)).toEqual(after.events.map((e) => e.cursor));
      const future = await gatewayRequest(
        second.url,
        stream.history,
        { org: orgA, since: new Date(Date.now() + 3_600_000).toISOString() },
        alice,
      );
      expect((future.data as any)[`${field}History`].edges).toEqual([]);
      const paged = await gatewayRequest(second.url, stream.history, { org: orgA, first: 2 }, admin);
      expect((paged.data as any)[`${field}History`].edges.map((e: any) => e.node.id)).toEqual(all.slice(0, 2));
      expect((paged.data as any)[`${field}History`].pageInfo.hasNextPage).toBe(true);
    });

    it('applies the live subscription’s rules to a resume and to history: another organization’s member gets FORBIDDEN and nothing', async () => {
      const field = stream.name;
      const [oldest] = (await gatewayRequest(second.url, stream.history, { org: orgA, first: 1 }, alice)).data[`${field}History`].edges;
      expect(oldest).toBeDefined();
      const outsider = subscribe(client(bob, second), stream.query, { org: orgA, after: '0' }, field);
      await waitFor(() => outsider.errors.length > 0, { what: 'the refusal' });
      expect(outsider.errors[0].extensions?.code).toBe('FORBIDDEN');
      expect(outsider.events).toEqual([]);
      const history = await gatewayRequest(second.url, stream.history, { org: orgA, after: '0' }, bob);
      expect(history.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const stranger = await gatewayRequest(second.url, stream.history, { org: orgA }, developer());
      expect(stranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const bad = await gatewayRequest(second.url, stream.history, { org: orgA, after: 'not-a-cursor' }, alice);
      expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      // Bob's own organization, resumed from the start: only its events.
      const own = subscribe(client(bob, second), stream.query, { org: orgB, after: '0' }, field);
      const expected = await stored(stream.topic, orgB);
      await waitFor(() => own.events.length >= expected.length, { what: 'B’s stored events' });
      expect(own.events.map((e) => e.id)).toEqual(expected);
      expect(own.errors).toEqual([]);
    });
  });
});
