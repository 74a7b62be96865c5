/**
 * Quota windows, `Credential.quota` and warnings are a function of the SET of analytics records,
 * not of the order, batching or concurrency in which they arrive (issue "Exact under disorder").
 *
 * Property-style: for several seeds, one schedule of requests (bursts, gaps, ties, 429s and 403s)
 * is ingested for fresh credentials in time order, reversed in chunks, and shuffled in random
 * batches posted concurrently to two usage subgraph instances on one database, with some batches
 * replayed. Every variant must give the windows of Tyk's counter (replayed by a reference model
 * below, written independently of `windows.ts`), the same `Credential.quota`, and the same stored
 * warnings, each published once.
 */
import pg from 'pg';
import { ManualClock } from '../../test/kit/clock';
import { createLogger } from '../../common/logger';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl } from '../../test/helpers/db';
import { portalAdmin, subgraphRequest, tokenFor } from '../../test/helpers/graphql';
import { usageSubgraph } from '.';
import { analytics, Fixtures, migrateOwners, type FixtureCredential } from '../../test/kit/usage';
import { projectedUse } from './services/windows';

const S = 1000;
const HOUR = 3600 * S;
const service = { sub: 'svc-usage-order-test', roles: ['service'] };

/** mulberry32: a small seeded PRNG, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Cuts a list into consecutive batches of random sizes 1..max. */
function batches<T>(items: T[], random: () => number, max: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const size = 1 + Math.floor(random() * max);
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

interface Request {
  at: number; // ms
  status: number;
}

/** A schedule of requests: bursts separated by gaps of random length, with ties, 429s and 403s. */
function schedule(random: () => number, start: number, n: number): Request[] {
  const out: Request[] = [];
  let t = start;
  while (out.length < n) {
    const burst = 5 + Math.floor(random() * 60);
    for (let i = 0; i < burst && out.length < n; i++) {
      t += random() < 0.1 ? 0 : Math.floor(random() * 20 * S); // ties now and then
      const roll = random();
      out.push({ at: t, status: roll < 0.06 ? 429 : roll < 0.1 ? 403 : roll < 0.13 ? 500 : 200 });
    }
    t += Math.floor(random() * 2 * HOUR); // gaps up to two windows
  }
  return out;
}

interface Expected {
  windows: [string, string, number][];
  warnings: [string, number, string, number][];
}

/**
 * Tyk's counter, replayed: every request but 429s counts; a window starts at the first counted
 * request after the previous one expired and lasts the period. Warnings: 80/90/100 % once per
 * window (reporting the request that crossed), and a projection at the first counted request
 * after which the window's average rate would exhaust it before the reset.
 */
function reference(requests: Request[], limit: number, periodMs: number): Expected {
  const counted = requests
    .filter((r) => r.status !== 429)
    .map((r) => r.at)
    .sort((a, b) => a - b);
  const windows: { start: number; used: number; projected: number | null }[] = [];
  for (const at of counted) {
    let w = windows[windows.length - 1];
    if (!w || at >= w.start + periodMs) windows.push((w = { start: at, used: 0, projected: null }));
    w.used += 1;
    if (w.projected === null && w.used < limit) {
      const p = projectedUse({ start: w.start * 1000, resetsAt: (w.start + periodMs) * 1000, used: w.used }, at * 1000);
      if (p !== null && p >= limit) w.projected = p;
    }
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const warnings: Expected['warnings'] = [];
  for (const w of windows) {
    for (const t of [80, 90, 100])
      if (w.used * 100 >= t * limit) warnings.push([t === 100 ? 'HARD' : 'SOFT', t, iso(w.start), Math.ceil((t * limit) / 100)]);
    if (w.projected !== null) warnings.push(['PROJECTED', 100, iso(w.start), Math.round(w.projected)]);
  }
  return { windows: windows.map((w) => [iso(w.start), iso(w.start + periodMs), w.used]), warnings: warnings.sort(byJson) };
}

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

describe('quota windows and warnings are a function of the set of records (order, batching, concurrency, replays)', () => {
  let usageA: RunningSubgraph;
  let usageB: RunningSubgraph;
  let db: pg.Client;
  let fx: Fixtures;
  const clock = new ManualClock('2026-07-01T00:00:00Z');

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    await migrateOwners(databaseUrl);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    fx = new Fixtures(db);
    const env = { ...process.env, USAGE_TAIL_INTERVAL_SECONDS: '0' };
    // Two replicas of the usage subgraph on one database.
    usageA = await startSubgraph(usageSubgraph, { databaseUrl, port: 0, clock, env, log: createLogger('usage-a', 'fatal') });
    usageB = await startSubgraph(usageSubgraph, { databaseUrl, port: 0, clock, env, log: createLogger('usage-b', 'fatal') });
  }, 120_000);

  afterAll(async () => {
    await usageA?.stop();
    await usageB?.stop();
    await db?.end();
  });

  async function post(subgraph: RunningSubgraph, records: unknown[]) {
    const response = await fetch(subgraph.url.replace(/\/graphql$/, '/ingest/tyk'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor(service)}` },
      body: JSON.stringify(records),
    });
    const body = (await response.json()) as { accepted: number; rejected: unknown[] };
    expect({ status: response.status, rejected: body.rejected }).toEqual({ status: 200, rejected: [] });
    return body;
  }

  async function credentialOn(plan: { requests: number; periodSeconds: number }): Promise<FixtureCredential> {
    const org = await fx.organization();
    const appId = await fx.app(org.id);
    const fixturePlan = await fx.plan(plan);
    const product = await fx.product(['weather']);
    return fx.credential(org.id, appId, fixturePlan, [product]);
  }

  // Latency varies per request: two requests in the same millisecond stay two records.
  const recordsOf = (credential: FixtureCredential, requests: Request[]) =>
    requests.map((r, i) => analytics(credential, new Date(r.at), { response_code: r.status, request_time: 10 + i }));

  /** What the database and the API say about a credential's counter. */
  async function observed(credential: FixtureCredential, now: number) {
    const windows = await db.query(
      `select to_char(window_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as s,
              to_char(resets_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as r, used
         from usage.quota_window where scope = 'CREDENTIAL' and subject_id = $1 order by window_start`,
      [credential.id],
    );
    const warnings = await db.query(
      `select id, kind, threshold_percent, to_char(window_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as s, used
         from usage.quota_warning where credential_id = $1`,
      [credential.id],
    );
    const published = await db.query(
      `select payload->>'id' as id, count(*)::int as n from platform.event where topic = 'quotaWarnings' and payload->>'credentialId' = $1 group by 1`,
      [credential.id],
    );
    const rollup = await db.query(
      `select coalesce(sum(requests), 0)::int as requests from usage.usage_rollup where scope = 'CREDENTIAL' and scope_id = $1 and granularity = 'DAY'`,
      [credential.id],
    );
    clock.set(new Date(now));
    const response = await subgraphRequest(
      usageA.url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Credential { quota { used remaining windowStart resetsAt } } } }`,
      { r: [{ __typename: 'Credential', id: credential.id }] },
      portalAdmin(),
    );
    expect(response.errors).toBeUndefined();
    const publishedCount = new Map(published.rows.map((row) => [row.id as string, row.n as number]));
    return {
      windows: windows.rows.map((w) => [w.s, w.r, w.used] as [string, string, number]),
      warnings: warnings.rows.map((w) => [w.kind, w.threshold_percent, w.s, w.used] as [string, number, string, number]).sort(byJson),
      /** How often each stored warning was published (must be 1 each). */
      publishedPerWarning: warnings.rows.map((w) => publishedCount.get(w.id) ?? 0),
      requests: rollup.rows[0].requests as number,
      quota: response.data._entities[0].quota,
    };
  }

  const expectedQuota = (expected: Expected, limit: number) => {
    const [start, resets, used] = expected.windows[expected.windows.length - 1];
    return { used, remaining: Math.max(0, limit - used), windowStart: start, resetsAt: resets };
  };

  it.each([1, 2, 3, 4])(
    'seed %i: in order, reversed chunks, and shuffled concurrent batches to two replicas (with replays) agree with Tyk’s counter',
    async (seed) => {
      const random = prng(seed);
      const limit = 40 + Math.floor(random() * 60);
      const period = HOUR;
      const start = Date.UTC(2026, 5, 1 + seed * 3);
      const requests = schedule(random, start, 600);
      const expected = reference(requests, limit, period);
      expect(expected.windows.length).toBeGreaterThan(3); // the schedule does span several windows
      const now = requests[requests.length - 1].at + S;
      const plan = { requests: limit, periodSeconds: period / S };
      clock.set(new Date('2026-07-01T00:00:00Z'));

      // 1. Random batches in time order.
      const inOrder = await credentialOn(plan);
      const ordered = recordsOf(inOrder, requests);
      for (const batch of batches(ordered, random, 40)) await post(usageA, batch);

      // 2. Reversed: 9 chunks, the newest first, each also reversed.
      const reversed = await credentialOn(plan);
      const reversedRecords = recordsOf(reversed, requests).reverse();
      const chunk = Math.ceil(reversedRecords.length / 9);
      for (let i = 0; i < reversedRecords.length; i += chunk) await post(i % 2 ? usageB : usageA, reversedRecords.slice(i, i + chunk));

      // 3. Shuffled into random batches, four senders at once over two replicas, a fifth of the batches sent twice.
      const shuffled = await credentialOn(plan);
      const shuffledBatches = batches(shuffle(recordsOf(shuffled, requests), random), random, 80);
      const replays = shuffledBatches.filter(() => random() < 0.2);
      const queue = [...shuffledBatches, ...replays];
      let sent = 0;
      await Promise.all(
        [0, 1, 2, 3].map(async (sender) => {
          for (let next = sent++; next < queue.length; next = sent++) await post(sender % 2 ? usageB : usageA, queue[next]);
        }),
      );

      for (const credential of [inOrder, reversed, shuffled]) {
        const got = await observed(credential, now);
        expect(got.windows).toEqual(expected.windows);
        expect(got.warnings).toEqual(expected.warnings);
        expect(got.publishedPerWarning.every((n) => n === 1)).toBe(true);
        expect(got.requests).toBe(requests.length);
        expect(got.quota).toEqual(expectedQuota(expected, limit));
      }
    },
    180_000,
  );

  it('10,000 records in shuffled chunks from four senders to two replicas: one window, used 10,000, each warning once (and again when replayed)', async () => {
    const random = prng(10_000);
    const limit = 10_000;
    const start = Date.UTC(2026, 6, 1, 6);
    // 10,000 requests within 10 hours of a day's window.
    const requests: Request[] = Array.from({ length: 10_000 }, (_, i) => ({
      at: start + Math.floor((i * 10 * HOUR) / 10_000),
      status: 200,
    }));
    const expected = reference(requests, limit, 24 * HOUR);
    expect(expected.windows).toEqual([[new Date(start).toISOString(), new Date(start + 24 * HOUR).toISOString(), 10_000]]);
    const credential = await credentialOn({ requests: limit, periodSeconds: 86_400 });
    clock.set(new Date('2026-07-01T00:00:00Z'));
    const records = shuffle(recordsOf(credential, requests), random);
    const chunks = batches(records, random, 1000);
    for (let round = 0; round < 2; round++) {
      let next = 0;
      await Promise.all(
        [0, 1, 2, 3].map(async (sender) => {
          for (let i = next++; i < chunks.length; i = next++) await post(sender % 2 ? usageB : usageA, chunks[i]);
        }),
      );
    }
    const got = await observed(credential, start + 11 * HOUR);
    expect(got.windows).toEqual(expected.windows);
    expect(got.warnings).toEqual(expected.warnings);
    expect(got.warnings.map((w) => w.slice(0, 2))).toEqual(
      expect.arrayContaining([
        ['SOFT', 80],
        ['SOFT', 90],
        ['HARD', 100],
      ]),
    );
    expect(got.publishedPerWarning.every((n) => n === 1)).toBe(true);
    expect(got.requests).toBe(10_000);
    expect(got.quota).toEqual(expectedQuota(expected, limit));
  }, 180_000);
});
