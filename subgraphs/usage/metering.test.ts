/**
 * Unit tests of the metering rules, without a database: record parsing and identity, Tyk quota
 * windows, the latency histogram, the spike rule, and quota status at a given "now" (ManualClock).
 */
import { ManualClock } from '../../test/kit/clock';
import { bucketOf, emptyHistogram, HISTOGRAM_SIZE, LATENCY_BOUNDS_MS, percentile } from './services/histogram';
import { parseBatch } from './services/ingest';
import { microsToIso, parseRecord, parseTimestamp, policyIdsOf } from './services/records';
import { quotaStatusOf, type Counter } from './services/quota-status';
import { parseBody } from './routes/ingest';
import { spikeOf } from './services/spike';
import { QuotaScope } from './resolvers/usage.types';
import { classify, crossedThresholds, projectedUse, QuotaCounter } from './services/windows';

const NOW = new Date('2026-03-01T12:00:00Z');
const S = 1e6; // microseconds per second
const at = (iso: string) => parseTimestamp(iso)!;

function record(overrides: Record<string, unknown> = {}) {
  return {
    method: 'GET',
    path: '/forecast',
    raw_path: '/weather/forecast',
    response_code: 200,
    api_key: 'abc123',
    timestamp: '2026-03-01T11:00:00.123456Z',
    api_id: 'weather',
    org_id: 'org1',
    request_time: 12,
    ip_address: '10.0.0.1',
    tags: ['pol-pg-plan-1', 'key-abc123'],
    ...overrides,
  };
}

describe('analytics records', () => {
  it('reads gateway JSON and SQL pump column names alike, to the same identity', () => {
    const json = parseRecord(record(), 0, NOW);
    const sql = parseRecord(
      {
        method: 'GET',
        path: '/forecast',
        rawpath: '/weather/forecast',
        responsecode: 200,
        apikey: 'abc123',
        timestamp: '2026-03-01 11:00:00.123456+00',
        apiid: 'weather',
        orgid: 'org1',
        requesttime: 12,
        ipaddress: '10.0.0.1',
        tags: '{pol-pg-plan-1,key-abc123}',
      },
      1,
      NOW,
    );
    expect(json.ok && sql.ok).toBe(true);
    if (!json.ok || !sql.ok) return;
    expect(json.record.id).toBe(sql.record.id);
    expect(json.record).toMatchObject({
      keyHash: 'abc123',
      responseCode: 200,
      latencyMs: 12,
      apiId: 'weather',
      method: 'GET',
      tags: ['pol-pg-plan-1', 'key-abc123'],
    });
    expect(microsToIso(json.record.micros)).toBe('2026-03-01T11:00:00.123456Z');
    expect(json.record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('gives different records different identities (a microsecond apart, another status)', () => {
    const a = parseRecord(record(), 0, NOW);
    const b = parseRecord(record({ timestamp: '2026-03-01T11:00:00.123457Z' }), 0, NOW);
    const c = parseRecord(record({ response_code: 500 }), 0, NOW);
    const ids = [a, b, c].map((r) => (r.ok ? r.record.id : null));
    expect(new Set(ids).size).toBe(3);
  });

  it('parses time zones, fractions and refuses impossible dates', () => {
    expect(parseTimestamp('2026-03-01T13:00:00+01:00')).toBe(Date.parse('2026-03-01T12:00:00Z') * 1000);
    expect(parseTimestamp('2026-03-01T12:00:00.5Z')).toBe(Date.parse('2026-03-01T12:00:00Z') * 1000 + 500_000);
    expect(parseTimestamp('2026-03-01T12:00:00.123456789Z')).toBe(Date.parse('2026-03-01T12:00:00Z') * 1000 + 123_456);
    expect(parseTimestamp('2026-02-31T12:00:00Z')).toBeNull();
    expect(parseTimestamp('yesterday')).toBeNull();
  });

  it('reads the common UTC form exactly like any other (leap days, bounds, separators, fractions)', () => {
    const utc = (iso: string) => Date.parse(iso) * 1000;
    expect(parseTimestamp('2024-02-29T00:00:00Z')).toBe(utc('2024-02-29T00:00:00Z'));
    expect(parseTimestamp('2000-02-29T23:59:59.999999Z')).toBe(utc('2000-02-29T23:59:59Z') + 999_999);
    expect(parseTimestamp('2026-03-01 12:00:00,5z')).toBe(utc('2026-03-01T12:00:00Z') + 500_000);
    expect(parseTimestamp('2026-03-01T12:00:00.000001Z')).toBe(utc('2026-03-01T12:00:00Z') + 1);
    expect(parseTimestamp('2026-03-01T12:00:00.1234567890123Z')).toBe(utc('2026-03-01T12:00:00Z') + 123_456);
    expect(parseTimestamp('  2026-03-01T12:00:00.5Z  ')).toBe(utc('2026-03-01T12:00:00Z') + 500_000);
    expect(parseTimestamp('2026-03-01T12:00:00.5 Z')).toBe(utc('2026-03-01T12:00:00Z') + 500_000);
    expect(parseTimestamp('1969-12-31T23:59:59.5Z')).toBe(utc('1969-12-31T23:59:59Z') + 500_000);
    for (const impossible of [
      '2025-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T23:60:00Z',
      '2026-03-01T23:00:60Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '0050-01-01T00:00:00Z',
      '2026-03-01T12:00:00.Z',
      '2026-03-01T12:00:00.12aZ',
      '2026-03-01T12:00:00.1234567xZ',
      '2026-03-01T1a:00:00Z',
      '2026-3-01T12:00:00Z',
    ]) {
      expect([impossible, parseTimestamp(impossible)]).toEqual([impossible, null]);
    }
  });

  it('keeps record identities stable (a stored record must be recognised when it comes again)', () => {
    const parsed = parseRecord(record(), 0, NOW);
    expect(parsed.ok && parsed.record.id).toBe('407d7630-aaec-6e90-d71c-7905c0b72d57');
  });

  it('rejects malformed records one by one with a reason', () => {
    const { records, rejected, duplicates } = parseBatch(
      [
        record(),
        'not an object',
        record({ timestamp: 'soon' }),
        record({ api_key: '' }),
        record({ response_code: 999 }),
        record({ method: 42 }),
        record({ request_time: -1 }),
        record({ tags: [1, 2] }),
        record({ timestamp: '2026-03-03T12:00:00Z' }),
        record({ timestamp: '2024-12-01T12:00:00Z' }),
        record({ path: '/a\u0000b' }),
        record({ api_key: 'k\u0000' }),
        record(), // same natural fields: a duplicate, not a rejection
      ],
      NOW,
    );
    expect(records).toHaveLength(1);
    expect(duplicates).toBe(1);
    expect(rejected).toEqual([
      { index: 1, reason: 'not a JSON object' },
      { index: 2, reason: 'timestamp is missing or not an RFC 3339 date-time' },
      { index: 3, reason: 'api_key is missing (unauthenticated requests carry 00000000)' },
      { index: 4, reason: 'response_code must be an HTTP status (an integer from 100 to 599)' },
      { index: 5, reason: 'method must be an HTTP method' },
      { index: 6, reason: 'request_time must be a non-negative number of milliseconds' },
      { index: 7, reason: 'tags must be a list of strings' },
      { index: 8, reason: 'timestamp is more than a day in the future' },
      { index: 9, reason: 'timestamp is more than 400 days in the past' },
      { index: 10, reason: 'path contains a NUL character (U+0000), which cannot be stored' },
      { index: 11, reason: 'api_key contains a NUL character (U+0000), which cannot be stored' },
    ]);
  });

  it('reads a 403’s reason from the recorded raw response', () => {
    const raw = (body: string) => Buffer.from(`HTTP/1.1 403 Forbidden\r\n\r\n${body}`).toString('base64');
    const quota = parseRecord(record({ response_code: 403, raw_response: raw('{"error":"Quota exceeded"}') }), 0, NOW);
    const denied = parseRecord(
      record({ response_code: 403, raw_response: raw('{"error":"Access to this API has been disallowed"}') }),
      0,
      NOW,
    );
    expect(quota.ok && quota.record.denial).toBe('QUOTA');
    expect(denied.ok && denied.record.denial).toBe('DENIED');
  });

  it('takes policy ids from pol- tags only', () => {
    expect(policyIdsOf(['pol-a', 'key-x', 'pol-', 'org-1', 'pol-pg-plan-1'])).toEqual(['a', 'pg-plan-1']);
  });

  it('reads JSON arrays and NDJSON bodies (bad lines become per-record rejections)', () => {
    expect(parseBody('[{"a":1},{"b":2}]')).toEqual([{ a: 1 }, { b: 2 }]);
    const ndjson = parseBody('{"a":1}\n\n{oops\r\n{"b":2}\n') as unknown[];
    expect(ndjson).toHaveLength(3);
    expect(parseBatch(ndjson, NOW).rejected[1]).toEqual({ index: 1, reason: 'this line is not valid JSON' });
    expect(parseBody('[{"a":1}')).toHaveProperty('error');
    expect(parseBody('')).toEqual([]);
  });
});

describe('quota windows (Tyk semantics)', () => {
  const HOUR = 3600 * S;

  it('starts a window at the first counted request and a new one at the first request after it expired', () => {
    const counter = new QuotaCounter(null, HOUR, 3);
    const t0 = at('2026-03-01T10:17:00Z');
    counter.record(t0, 200, null);
    counter.record(t0 + 10 * S, 429, null); // rate limited: not counted, no window change
    counter.record(t0 + 20 * S, 200, null);
    counter.record(t0 + 30 * S, 200, null);
    const rejected = counter.record(t0 + 40 * S, 403, null); // over the limit: a quota rejection, counted
    expect(rejected).toMatchObject({ outcome: 'QUOTA_EXCEEDED', counted: true });
    const later = t0 + HOUR + 5 * 60 * S; // 5 minutes after the window expired
    counter.record(later, 200, null);
    expect(counter.windows.map((w) => [microsToIso(w.start), microsToIso(w.resetsAt), w.used])).toEqual([
      ['2026-03-01T10:17:00.000000Z', '2026-03-01T11:17:00.000000Z', 4],
      ['2026-03-01T11:22:00.000000Z', '2026-03-01T12:22:00.000000Z', 1],
    ]);
  });

  it('continues the latest stored window, opens the next one at the first request after it expired, and refuses to go back in time', () => {
    const t0 = at('2026-03-01T10:00:00Z');
    const stored = {
      start: t0,
      resetsAt: t0 + HOUR,
      used: 2,
      usedBefore: 2,
      lastAt: t0 + 60 * S,
      isNew: false,
      dirty: false,
      projected: null,
    };
    const counter = new QuotaCounter(stored, HOUR, 10);
    counter.record(t0 + 30 * 60 * S, 200, null); // inside the stored window
    counter.record(t0 + 2.5 * HOUR, 200, null); // after it expired: a full window of its own
    expect(counter.windows.map((w) => [w.used, w.usedBefore, w.dirty, (w.start - t0) / S, (w.resetsAt - w.start) / S])).toEqual([
      [3, 2, true, 0, 3600],
      [1, 0, true, 9000, 3600],
    ]);
    expect(() => counter.record(t0 + 2 * HOUR, 200, null)).toThrow(RangeError);
    expect(counter.record(t0 + 2 * HOUR, 429, null)).toMatchObject({ counted: false, window: null }); // not counted: no order needed
  });

  it('notes the first request after which the window is projected to run out', () => {
    const counter = new QuotaCounter(null, HOUR, 100);
    const t0 = at('2026-03-01T10:00:00Z');
    for (let i = 0; i < 20; i++) counter.record(t0 + i * 22 * S, 200, null);
    // 6 minutes (10 % of the hour) have passed first at the 18th request (374 s): 18 in 374 s is 173 by the reset.
    expect(Math.round(counter.windows[0].projected!)).toBe(173);
    expect(counter.windows[0].projected).toBeCloseTo(18 + (18 / (374 * S)) * (HOUR - 374 * S), 6);
  });

  it('classifies responses: what counts towards the quota and what is a rejection', () => {
    expect(classify(200, null, false)).toEqual({ outcome: 'OK', counted: true });
    expect(classify(404, null, false)).toEqual({ outcome: 'CLIENT_ERROR', counted: true });
    expect(classify(503, null, false)).toEqual({ outcome: 'SERVER_ERROR', counted: true });
    expect(classify(429, null, true)).toEqual({ outcome: 'RATE_LIMITED', counted: false });
    expect(classify(401, null, false)).toEqual({ outcome: 'CLIENT_ERROR', counted: false });
    expect(classify(403, null, true)).toEqual({ outcome: 'QUOTA_EXCEEDED', counted: true });
    expect(classify(403, null, false)).toEqual({ outcome: 'CLIENT_ERROR', counted: true });
    expect(classify(403, 'QUOTA', false)).toEqual({ outcome: 'QUOTA_EXCEEDED', counted: true });
    expect(classify(403, 'DENIED', true)).toEqual({ outcome: 'CLIENT_ERROR', counted: false });
  });

  it('crosses each threshold once, even when one batch jumps over several', () => {
    expect(crossedThresholds([80, 90, 100], 0, 7, 10)).toEqual([]);
    expect(crossedThresholds([80, 90, 100], 7, 8, 10)).toEqual([80]);
    expect(crossedThresholds([80, 90, 100], 8, 12, 10)).toEqual([90, 100]);
    expect(crossedThresholds([80, 90, 100], 10, 11, 10)).toEqual([]);
    expect(crossedThresholds([50], 0, 1, 3)).toEqual([]);
    expect(crossedThresholds([50], 1, 2, 3)).toEqual([50]);
  });

  it('projects use at reset only with enough evidence (10 % of the window, at least a minute)', () => {
    const start = at('2026-03-01T00:00:00Z');
    const window = { start, resetsAt: start + 10 * HOUR, used: 30 };
    expect(projectedUse(window, start + 30 * 60 * S)).toBeNull(); // 5 % of the window
    expect(projectedUse(window, start + HOUR)).toBe(300); // 30/h for 10 h
    expect(projectedUse({ start, resetsAt: start + 120 * S, used: 5 }, start + 30 * S)).toBeNull(); // under a minute
  });
});

describe('quota status at a given time (ManualClock)', () => {
  const counter: Counter = {
    scope: QuotaScope.CREDENTIAL,
    subjectId: 'c',
    planId: 'p',
    appId: 'a',
    credentialId: 'c',
    limit: 100,
    periodSeconds: 3600,
  };
  const window = { window_start: new Date('2026-03-01T10:00:00Z'), resets_at: new Date('2026-03-01T11:00:00Z'), used: 40 };

  it('reports used, remaining, burn rate and projected exhaustion in the open window', () => {
    const clock = new ManualClock('2026-03-01T10:20:00Z');
    const status = quotaStatusOf(counter, window, clock.now());
    expect(status).toMatchObject({ limit: 100, used: 40, remaining: 60, percentUsed: 40, burnRatePerHour: 120, periodSeconds: 3600 });
    expect(status.windowStart?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(status.resetsAt?.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    // 60 left at 120/h: 30 minutes from 10:20 = 10:50, before the reset.
    expect(status.projectedExhaustionAt?.toISOString()).toBe('2026-03-01T10:50:00.000Z');
    clock.advance(60);
    expect(quotaStatusOf(counter, { ...window, used: 10 }, clock.now()).projectedExhaustionAt).toBeNull(); // 10 in 21 min: runs out after the reset
  });

  it('shows a fresh allowance once the window expired, and nothing to count for unlimited plans', () => {
    const clock = new ManualClock('2026-03-01T11:00:00Z');
    expect(quotaStatusOf(counter, window, clock.now())).toMatchObject({
      used: 0,
      remaining: 100,
      percentUsed: 0,
      windowStart: null,
      resetsAt: null,
      burnRatePerHour: 0,
    });
    expect(quotaStatusOf({ ...counter, limit: null, periodSeconds: null }, window, clock.now())).toMatchObject({
      limit: null,
      remaining: null,
      percentUsed: null,
      used: 0,
    });
  });

  it('never reports a negative remainder (rejected requests count too)', () => {
    const status = quotaStatusOf(counter, { ...window, used: 104 }, new Date('2026-03-01T10:30:00Z'));
    expect(status).toMatchObject({ used: 104, remaining: 0, percentUsed: 104, projectedExhaustionAt: null });
  });
});

describe('latency histogram', () => {
  it('buckets by upper bound and estimates percentiles within one bucket', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(1);
    expect(bucketOf(99)).toBe(LATENCY_BOUNDS_MS.indexOf(100));
    expect(bucketOf(1e9)).toBe(HISTOGRAM_SIZE - 1);
    const h = emptyHistogram();
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
    for (const ms of latencies) h[bucketOf(ms)] += 1;
    const p50 = percentile(h, 0.5)!;
    const p95 = percentile(h, 0.95)!;
    expect(Math.abs(p50 - 50) / 50).toBeLessThanOrEqual(0.25);
    expect(Math.abs(p95 - 95) / 95).toBeLessThanOrEqual(0.25);
    expect(percentile(emptyHistogram(), 0.5)).toBeNull();
  });
});

describe('spike rule', () => {
  it('flags the latest bucket far above its own baseline, not ordinary noise or low volume', () => {
    const steady = Array.from({ length: 24 }, (_, i) => 10 + (i % 3));
    expect(spikeOf(80, steady)).toMatchObject({ spike: true, factor: 7.27 });
    expect(spikeOf(25, steady).spike).toBe(false); // 2.3×
    expect(spikeOf(15, Array(24).fill(0)).spike).toBe(false); // too few requests
    expect(spikeOf(30, Array(24).fill(0))).toEqual({ spike: true, factor: null, baselineMean: 0 });
    const noisy = Array.from({ length: 24 }, (_, i) => (i % 2 ? 0 : 40)); // mean 20, sd 20
    expect(spikeOf(70, noisy).spike).toBe(false); // 3.5× but within 3 sd
  });
});
