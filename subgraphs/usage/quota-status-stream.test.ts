import type { EntityManager } from '@mikro-orm/postgresql';
import { ManualClock } from '../../test/kit/clock';
import { waitFor } from '../../test/helpers/wait';
import type { CredentialRow } from './contracts/credentials';
import type { ChangedCounter } from './data/quota-windows';
import {
  COUNTERS_PER_EVENT,
  newsFor,
  publishQuotaStatuses,
  QUOTA_STATUS_TOPIC,
  quotaStatusStream,
  type QuotaCounterNews,
  type QuotaStatusEvent,
} from './services/quota-status-stream';
import { counterOf } from './services/quota-status';
import { QuotaScope } from './resolvers/usage.types';

const ORG = '0b9f4c1e-5a8d-4c3e-9f1a-2b3c4d5e6f70';
const APP = '1c0a5d2f-6b9e-4d4f-8a2b-3c4d5e6f7081';
const OTHER_APP = '2d1b6e3a-7caf-4e5a-9b3c-4d5e6f708192';
const CRED = '3e2c7f4b-8db0-4f6b-8c4d-5e6f708192a3';
const OTHER_CRED = '4f3d8a5c-9ec1-4a7c-9d5e-6f708192a3b4';
const PLAN = '5a4e9b6d-afd2-4b8d-8e6f-708192a3b4c5';
const OTHER_PLAN = '6b5fac7e-b0e3-4c9e-9f70-8192a3b4c5d6';

const credential = (scope: QuotaScope | null = QuotaScope.CREDENTIAL): CredentialRow => ({
  id: CRED,
  app_id: APP,
  organization_id: ORG,
  plan_id: PLAN,
  status: 'ACTIVE',
  expires_at: null,
  quota_scope: scope,
  quota_requests: 100,
  quota_period_seconds: 3600,
});

const news = (over: Partial<QuotaCounterNews>): QuotaCounterNews => ({
  scope: QuotaScope.CREDENTIAL,
  planId: PLAN,
  organizationId: ORG,
  appId: APP,
  credentialId: CRED,
  limit: 100,
  periodSeconds: 3600,
  windowStart: '2026-03-01T10:00:00.000Z',
  resetsAt: '2026-03-01T11:00:00.000Z',
  used: 10,
  ...over,
});

/** An event source the test feeds by hand (what `PgPubSub.subscribe` gives the subscription). */
function source() {
  const queue: unknown[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const iterator: AsyncIterableIterator<unknown> = {
    async next() {
      for (;;) {
        if (queue.length) return { done: false, value: queue.shift() };
        if (ended) return { done: true, value: undefined };
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return() {
      ended = true;
      wake?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    iterator,
    push(event: QuotaStatusEvent) {
      queue.push(event);
      wake?.();
    },
    ended: () => ended,
  };
}

/** Collects what a stream delivers, in the background. */
function collect(stream: AsyncIterableIterator<{ used: number; windowStart: Date | null; resetsAt: Date | null }>) {
  const got: { used: number; windowStart: Date | null; resetsAt: Date | null }[] = [];
  void (async () => {
    for await (const status of stream) got.push(status);
  })();
  return got;
}

describe('quota status stream', () => {
  it('announces each changed counter once, at most 20 per notification, each notification under NOTIFY’s 8000 bytes', async () => {
    const sent: { topic: string; payload: QuotaStatusEvent }[] = [];
    const pubsub = {
      notify: async (_em: EntityManager, topic: string, payload: unknown) =>
        void sent.push({ topic, payload: payload as QuotaStatusEvent }),
    };
    const changed: ChangedCounter[] = Array.from({ length: 45 }, (_, i) => ({
      scope: 'CREDENTIAL',
      planId: PLAN,
      organizationId: ORG,
      appId: APP,
      credentialId: `${CRED.slice(0, -4)}${String(i).padStart(4, '0')}`,
      limit: 2_147_483_647,
      periodSeconds: 2_592_000,
      windowStart: new Date('2026-03-01T10:00:00.123Z'),
      resetsAt: new Date('2026-03-31T10:00:00.123Z'),
      used: 2_147_483_647,
    }));
    await publishQuotaStatuses({} as EntityManager, pubsub, changed);
    expect(sent.map((s) => [s.topic, s.payload.counters.length])).toEqual([
      [QUOTA_STATUS_TOPIC, COUNTERS_PER_EVENT],
      [QUOTA_STATUS_TOPIC, COUNTERS_PER_EVENT],
      [QUOTA_STATUS_TOPIC, 5],
    ]);
    expect(new Set(sent.flatMap((s) => s.payload.counters.map((c) => c.credentialId))).size).toBe(45);
    // The notification as PgPubSub.notify sends it (with its envelope).
    for (const s of sent) expect(Buffer.byteLength(JSON.stringify({ topic: s.topic, live: true, payload: s.payload }))).toBeLessThan(8000);
    await publishQuotaStatuses({} as EntityManager, pubsub, []);
    expect(sent).toHaveLength(3);
  });

  it('picks the news of the counter a credential draws from, per the event’s quota scope', () => {
    const mine = credential();
    const pick = (n: QuotaCounterNews) => newsFor(mine, { counters: [n] }) ?? null;
    expect(pick(news({}))).not.toBeNull();
    expect(pick(news({ credentialId: OTHER_CRED }))).toBeNull();
    expect(pick(news({ planId: OTHER_PLAN }))).toBeNull();
    // APP scope: any credential of the app, under the plan.
    expect(pick(news({ scope: QuotaScope.APP, credentialId: null }))).not.toBeNull();
    expect(pick(news({ scope: QuotaScope.APP, credentialId: null, appId: OTHER_APP }))).toBeNull();
    // ORGANIZATION scope: any credential of the organization, under the plan.
    expect(pick(news({ scope: QuotaScope.ORGANIZATION, credentialId: null, appId: null }))).not.toBeNull();
    expect(pick(news({ scope: QuotaScope.ORGANIZATION, credentialId: null, appId: null, planId: OTHER_PLAN }))).toBeNull();
    // The right one among several.
    expect(newsFor(mine, { counters: [news({ credentialId: OTHER_CRED, used: 1 }), news({ used: 2 })] })?.used).toBe(2);
  });

  it('pushes a status per event about its counter (none for others), computed as Credential.quota does', async () => {
    const clock = new ManualClock('2026-03-01T10:30:00.000Z');
    const events = source();
    const stream = quotaStatusStream(credential(), events.iterator, clock, Promise.resolve(null));
    const got = collect(stream);
    events.push({ counters: [news({ credentialId: OTHER_CRED, used: 99 })] });
    events.push({ counters: [news({ used: 10 })] });
    events.push({ counters: [news({ planId: OTHER_PLAN, used: 98 })] });
    events.push({ counters: [news({ used: 25 })] });
    await waitFor(() => got.length === 2, { timeoutMs: 2000, what: 'two statuses' });
    expect(got.map((s) => s.used)).toEqual([10, 25]);
    expect(got[1]).toMatchObject({
      scope: QuotaScope.CREDENTIAL,
      limit: 100,
      remaining: 75,
      percentUsed: 25,
      windowStart: new Date('2026-03-01T10:00:00.000Z'),
      resetsAt: new Date('2026-03-01T11:00:00.000Z'),
      burnRatePerHour: 50, // 25 in half an hour
      credential: { id: CRED },
    });
    await stream.return!();
    expect(events.ended()).toBe(true);
  });

  it('pushes the reset status when the window it last saw ends, and no reset for a window replaced meanwhile', async () => {
    const clock = new ManualClock('2026-03-01T10:59:59.700Z');
    const counter = counterOf(credential())!;
    const events = source();
    // Subscribed with a window that ends in 300 ms.
    const window = { window_start: new Date('2026-03-01T10:00:00.000Z'), resets_at: new Date('2026-03-01T11:00:00.000Z'), used: 40 };
    const stream = quotaStatusStream(credential(), events.iterator, clock, Promise.resolve({ counter, window }));
    const got = collect(stream);
    await waitFor(() => got.length === 1, { timeoutMs: 3000, what: 'the reset status' });
    expect(got[0]).toMatchObject({ used: 0, remaining: 100, windowStart: null, resetsAt: null, burnRatePerHour: 0 });

    // A new window arrives (ends in 1 s), then its next count (ending 0.3 s later: a longer window
    // as the plan changed) before it ends: one reset, at the later end.
    clock.set('2026-03-01T11:10:00.000Z');
    events.push({ counters: [news({ windowStart: '2026-03-01T11:00:00.500Z', resetsAt: '2026-03-01T11:10:01.000Z', used: 5 })] });
    await waitFor(() => got.length === 2, { timeoutMs: 2000, what: 'the new window' });
    events.push({ counters: [news({ windowStart: '2026-03-01T11:00:00.500Z', resetsAt: '2026-03-01T11:10:01.300Z', used: 6 })] });
    await waitFor(() => got.length === 4, { timeoutMs: 3000, what: 'the later window and its reset' });
    expect(got.map((s) => s.used)).toEqual([0, 5, 6, 0]);
    expect(got[3].windowStart).toBeNull();
    await stream.return!();
  });

  it('ends when its source ends', async () => {
    const clock = new ManualClock('2026-03-01T10:30:00.000Z');
    const events = source();
    const stream = quotaStatusStream(credential(null), events.iterator, clock, Promise.resolve(null));
    const next = stream.next();
    await events.iterator.return!();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});
