/**
 * The usage ingest against PostgreSQL: the authenticated HTTP endpoint (JSON array and NDJSON,
 * duplicates, per-record rejections, unknown keys), quota windows and status per quota scope with
 * a ManualClock, warnings over graphql-ws, rollups and series, the tailer of a `tyk_analytics`
 * table, and who may read every new field.
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import type { Client } from 'graphql-ws';
import { ManualClock } from '../../test/kit/clock';
import { createLogger } from '../../common/logger';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, tokenFor, type Identity } from '../../test/helpers/graphql';
import { waitFor } from '../../test/helpers/wait';
import { usageSubgraph } from '.';
import { QuotaWarningKind } from './entities/quota-warning';
import { bucketOf, emptyHistogram } from './services/histogram';
import { raiseQuotaWarning } from '../../test/kit/quota-warnings';
import { closeTailPools, tailAnalytics } from './jobs/tail-analytics';
import { QUOTA_STATUS_TOPIC, type QuotaStatusEvent } from './services/quota-status-stream';
import {
  analytics,
  Fixtures,
  migrateOwners,
  subscribeTo,
  type Collected,
  type FixtureCredential,
  type FixtureOrg,
  type FixturePlan,
} from '../../test/kit/usage';

const QUOTA =
  'scope limit used remaining percentUsed periodSeconds windowStart resetsAt burnRatePerHour projectedExhaustionAt plan { id } app { id } credential { id }';
const SERIES =
  'granularity from to spike spikeFactor baselineRequests totals { requests errors4xx errors5xx rateLimited quotaExceeded errorRate rejectionRate latencyP50Ms latencyP95Ms } points { at requests errors4xx errors5xx rateLimited quotaExceeded latencyP50Ms latencyP95Ms }';
const WARNINGS = `subscription($org: ID!, $app: ID) {
  quotaWarnings(organizationId: $org, appId: $app) { id kind thresholdPercent used limit windowStart resetsAt organizationId appId credentialId planId createdAt }
}`;

const MINUTE = 60_000;
const HOUR = 3_600_000;

describe('usage ingest, quota and series (database)', () => {
  let subgraph: RunningSubgraph;
  let db: pg.Client;
  let fx: Fixtures;
  let base: string;
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  const clients: Client[] = [];
  const tailSchema = `usage_tail_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const env = {
    ...process.env,
    USAGE_TAIL_INTERVAL_SECONDS: '0',
    USAGE_TAIL_SETTLE_SECONDS: '0',
    TYK_ANALYTICS_TABLE: `${tailSchema}.tyk_analytics`,
  };
  const service = { sub: 'svc-usage-test', roles: ['service'] };
  /** SQL statements of the subgraph's request path (N+1 checks). */
  const queries: string[] = [];
  /** Each test gets its own day of traffic, so ranges and windows never mix. */
  let dayOffset = 0;
  const day = () => new Date(Date.UTC(2026, 3, 1) + ++dayOffset * 86_400_000);

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    await migrateOwners(databaseUrl);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query(`create schema ${tailSchema}`);
    fx = new Fixtures(db);
    subgraph = await startSubgraph(usageSubgraph, {
      databaseUrl,
      port: 0,
      clock,
      env,
      log: createLogger('usage', 'fatal'),
      onQuery: (sql) => queries.push(sql),
    });
    base = subgraph.url.replace(/\/graphql$/, '');
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await subgraph?.stop();
    await closeTailPools();
    await db?.query(`drop schema if exists ${tailSchema} cascade`).catch(() => undefined);
    await db?.end();
  });

  async function post(
    path: string,
    body: string,
    authorization: string | null = `Bearer ${tokenFor(service)}`,
    contentType = 'application/json',
  ) {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
      body,
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }

  const ingest = (records: unknown[]) => post('/ingest/tyk', JSON.stringify(records));
  const ndjson = (lines: string[]) => post('/ingest/tyk', lines.join('\n'), undefined, 'application/x-ndjson');

  async function ok(records: unknown[]) {
    const result = await ingest(records);
    expect(result.status).toBe(200);
    return result.body;
  }

  async function entity(
    typename: string,
    id: string,
    selection: string,
    identity: Identity | null,
    variables: Record<string, unknown> = {},
    declared = '',
  ) {
    const response = await subgraphRequest(
      subgraph.url,
      `query($r: [_Any!]!${declared}) { _entities(representations: $r) { ... on ${typename} { ${selection} } } }`,
      { r: [{ __typename: typename, id }], ...variables },
      identity,
    );
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data._entities[0];
  }

  const quotaOf = async (credential: FixtureCredential, identity: Identity | null = portalAdmin()) =>
    (await entity('Credential', credential.id, `quota { ${QUOTA} }`, identity)).quota;

  interface World {
    org: FixtureOrg;
    appId: string;
    plan: FixturePlan;
    product: { id: string; policyId: string };
    credential: FixtureCredential;
  }

  async function world(planOptions: Parameters<Fixtures['plan']>[0] = {}): Promise<World> {
    const org = await fx.organization();
    const appId = await fx.app(org.id);
    const plan = await fx.plan(planOptions);
    const product = await fx.product(['weather']);
    const credential = await fx.credential(org.id, appId, plan, [product]);
    return { org, appId, plan, product, credential };
  }

  /** `n` records of a credential, one second apart from `start` (status per index). */
  function burst(
    credential: FixtureCredential | null,
    start: Date,
    n: number,
    status: (i: number) => number = () => 200,
    latency: (i: number) => number = () => 20,
  ) {
    return Array.from({ length: n }, (_, i) =>
      analytics(credential, new Date(start.getTime() + i * 1000), { response_code: status(i), request_time: latency(i) }),
    );
  }

  describe('POST /ingest/tyk', () => {
    it('refuses callers without a valid service token (401) and tokens without the service role (403)', async () => {
      const body = JSON.stringify([]);
      const none = await post('/ingest/tyk', body, null);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(none.body.error).toBe('UNAUTHENTICATED');
      expect((await post('/ingest/tyk', body, 'Bearer not-a-jwt')).status).toBe(401);
      const forged = jwt.sign(service, 'some-other-secret', { algorithm: 'HS256', expiresIn: 60 });
      expect((await post('/ingest/tyk', body, `Bearer ${forged}`)).status).toBe(401);
      const expired = tokenFor(service, -10);
      expect((await post('/ingest/tyk', body, `Bearer ${expired}`)).status).toBe(401);
      for (const identity of [developer(), portalAdmin()]) {
        const refused = await post('/ingest/tyk', body, `Bearer ${tokenFor(identity)}`);
        expect(refused.status).toBe(403);
        expect(refused.body.error).toBe('FORBIDDEN');
      }
      expect((await post('/ingest/tyk/tail', '', `Bearer ${tokenFor(developer())}`)).status).toBe(403);
      expect((await post('/ingest/tyk/tail', '', null)).status).toBe(401);
      const accepted = await post('/ingest/tyk', body);
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ accepted: 0, duplicates: 0, unmatched: 0, rejected: [], warnings: 0 });
    });

    it('takes a JSON array or NDJSON; the same record twice counts once; malformed records are rejected one by one', async () => {
      const w = await world({ requests: 100 });
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      const [r1, r2, r3, r4, r5] = burst(w.credential, start, 5);
      const first = await ok([r1, r2, { ...r3, response_code: 'teapot' }, r3]);
      expect(first).toMatchObject({
        accepted: 3,
        duplicates: 0,
        unmatched: 0,
        rejected: [{ index: 2, reason: 'response_code must be an HTTP status (an integer from 100 to 599)' }],
      });
      expect(Date.parse(first.committedAt)).not.toBeNaN();

      const second = await ndjson([JSON.stringify(r3), JSON.stringify(r4), '', '{oops', JSON.stringify(r5)]);
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ accepted: 2, duplicates: 1, rejected: [{ index: 2, reason: 'this line is not valid JSON' }] });

      const again = await ok([r1, r2, r3, r4, r5, r5]);
      expect(again).toMatchObject({ accepted: 0, duplicates: 6, rejected: [] });

      const stored = await db.query(`select count(*)::int as n from usage.usage_record where credential_id = $1`, [w.credential.id]);
      expect(stored.rows[0].n).toBe(5);
      expect(await quotaOf(w.credential)).toMatchObject({ used: 5, remaining: 95, limit: 100 });

      // A body that is not a batch at all.
      const broken = await post('/ingest/tyk', '[{"a":1}');
      expect(broken.status).toBe(400);
    });

    it('a retried batch, after newer batches landed, changes nothing: no record, rollup, window, warning or event', async () => {
      // Records are identified by a digest of their own fields, so the retry of a batch whose
      // response was lost is recognised record by record, without an Idempotency-Key header.
      const w = await world({ requests: 10 });
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      const records = burst(w.credential, start, 9, (i) => (i === 3 ? 500 : 200));
      const batchA = records.slice(0, 8); // 80 %: the first warning
      const batchB = records.slice(8); // a newer record: 90 %
      const bodyA = JSON.stringify(batchA);
      const first = await post('/ingest/tyk', bodyA);
      expect(first.body).toMatchObject({ accepted: 8, duplicates: 0, warnings: 1 });
      expect(await ok(batchB)).toMatchObject({ accepted: 1, duplicates: 0, warnings: 1 });

      const ids = [w.credential.id, w.appId, w.org.id, w.plan.id, w.product.id];
      const state = async () => ({
        records: (await db.query(`select record_id from usage.usage_record where credential_id = $1 order by 1`, [w.credential.id])).rows,
        rollups: (
          await db.query(
            `select scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms,
                    latency_histogram from usage.usage_rollup where scope_id = any($1::uuid[]) order by 1, 2, 3, 4`,
            [ids],
          )
        ).rows,
        windows: (
          await db.query(
            `select scope, subject_id, plan_id, window_start, resets_at, used, quota_limit, last_request_at
               from usage.quota_window where organization_id = $1 order by 1, 2, 3, 4`,
            [w.org.id],
          )
        ).rows,
        warnings: (await db.query(`select * from usage.quota_warning where organization_id = $1 order by id`, [w.org.id])).rows,
        events: (
          await db.query(`select id from platform.event where topic = 'quotaWarnings' and payload->>'organizationId' = $1 order by id`, [
            w.org.id,
          ])
        ).rows,
      });
      const before = await state();
      expect(before.records).toHaveLength(9);
      expect(before.warnings.map((row: { threshold_percent: number }) => row.threshold_percent)).toEqual(expect.arrayContaining([80, 90]));

      const retry = await post('/ingest/tyk', bodyA);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ accepted: 0, duplicates: 8, unmatched: 0, rejected: [], warnings: 0 });
      expect(await state()).toEqual(before);
      expect(await quotaOf(w.credential)).toMatchObject({ used: 9, remaining: 1, limit: 10 });
    });

    it('tells stored from new records anywhere in time: between, before and after what is stored, on two days', async () => {
      const w = await world({ requests: 1000 });
      const start = day();
      clock.set(new Date(start.getTime() + 2 * 86_400_000));
      const all = burst(w.credential, new Date(start.getTime() + 86_400_000 - 3000), 9); // 3 s before midnight to 6 s after
      const stored = [all[1], all[3], all[6]];
      expect(await ok(stored)).toMatchObject({ accepted: 3, duplicates: 0 });
      // New records before the first stored one, between stored ones, on both days and after the last.
      const result = await ok(all);
      expect(result).toMatchObject({ accepted: 6, duplicates: 3 });
      const rows = await db.query(
        `select count(*)::int as n, count(distinct record_id)::int as ids from usage.usage_record where credential_id = $1`,
        [w.credential.id],
      );
      expect(rows.rows[0]).toEqual({ n: 9, ids: 9 });
      expect(await ok([...all].reverse())).toMatchObject({ accepted: 0, duplicates: 9 });
    });

    it('a batch whose earliest record was stored before counts its new ones from the window they fall in, late ones too', async () => {
      // The counter's state is read before the check for stored records, for the batch's earliest
      // record; when that record turns out to be stored, the state is read again for the new ones.
      const w = await world({ requests: 10, periodSeconds: 60 });
      const start = day();
      clock.set(new Date(start.getTime() + 80_000));
      const at = (seconds: number) => analytics(w.credential, new Date(start.getTime() + seconds * 1000));
      expect(await ok([at(0), at(70), at(75)])).toMatchObject({ accepted: 3, duplicates: 0 });
      // 72 s is late (after the window of 70 s began, before its last record): it belongs to that window.
      expect(await ok([at(0), at(72)])).toMatchObject({ accepted: 1, duplicates: 1 });
      const windows = await db.query(
        `select extract(epoch from window_start - $2::timestamptz)::int as start, used from usage.quota_window
          where subject_id = $1 order by window_start`,
        [w.credential.id, start.toISOString()],
      );
      expect(windows.rows).toEqual([
        { start: 0, used: 1 },
        { start: 70, used: 3 },
      ]);
      expect(await quotaOf(w.credential)).toMatchObject({ used: 3, limit: 10 });
    });

    it('takes five statements and a COPY per batch of new traffic, whatever its size and number of credentials', async () => {
      const org = await fx.organization();
      const plan = await fx.plan({ requests: 1_000_000 });
      const product = await fx.product(['weather']);
      const credentials: FixtureCredential[] = [];
      for (let i = 0; i < 5; i++) credentials.push(await fx.credential(org.id, await fx.app(org.id), plan, [product]));
      const start = day();
      clock.set(new Date(start.getTime() + HOUR));
      const knex = subgraph.orm.em.getConnection().getKnex();
      const statements = async (records: unknown[]) => {
        const seen: string[] = [];
        const listener = (query: { sql: string }) => seen.push(query.sql);
        knex.on('query', listener);
        try {
          expect(await ok(records)).toMatchObject({ accepted: records.length, duplicates: 0, rejected: [] });
        } finally {
          knex.off('query', listener);
        }
        return seen;
      };
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => analytics(credentials[i % credentials.length], new Date(start.getTime() + (from + i) * 10)));
      await ok(batch(0, 5)); // the day's partition
      const small = await statements(batch(100, 5));
      const large = await statements(batch(1000, 500));
      // BEGIN; lock + keys, links, products, plans, alert rules; newest stored + windows; the
      // windows' and rollups' upsert; COMMIT (the COPY runs on the same connection, outside knex).
      expect(small).toHaveLength(5);
      expect(large.map((sql) => sql.slice(0, 12))).toEqual(small.map((sql) => sql.slice(0, 12)));
      expect(small[1]).toMatch(/pg_advisory_xact_lock/);
      expect(small[3]).toMatch(/insert into usage\.quota_window[\s\S]*insert into usage\.usage_rollup/);
    });

    it('counts records with unknown keys as unmatched (and for their plan, when a pol- tag names it)', async () => {
      const w = await world();
      const start = day();
      clock.set(new Date(start.getTime() + HOUR));
      const stranger = { keyHash: `ffff${randomUUID().replace(/-/g, '').slice(0, 12)}`, policyIds: [w.plan.policyId] };
      const result = await ok([
        ...burst(stranger as FixtureCredential, start, 3),
        analytics(null, new Date(start.getTime() + 5000), { response_code: 401 }),
      ]);
      expect(result).toMatchObject({ accepted: 4, unmatched: 4 });
      const range = { from: start.toISOString(), to: new Date(start.getTime() + HOUR).toISOString() };
      const unmatched = await subgraphRequest(
        subgraph.url,
        `query($from: DateTime!, $to: DateTime!) { unmatchedUsage(from: $from, to: $to) { requests distinctKeys topKeys { keyHashPrefix requests lastSeenAt } } }`,
        range,
        portalAdmin(),
      );
      expect(unmatched.errors).toBeUndefined();
      expect(unmatched.data.unmatchedUsage).toMatchObject({ requests: 4, distinctKeys: 2 });
      expect(unmatched.data.unmatchedUsage.topKeys[0]).toMatchObject({ keyHashPrefix: stranger.keyHash.slice(0, 8), requests: 3 });
      expect(unmatched.data.unmatchedUsage.topKeys[1]).toMatchObject({ keyHashPrefix: '00000000', requests: 1 });
      // The plan tag still attributes the stranger's traffic to the plan.
      const plan = await entity(
        'Plan',
        w.plan.id,
        `usage(from: $from, to: $to, granularity: HOUR) { totals { requests errors4xx } }`,
        portalAdmin(),
        range,
        ', $from: DateTime!, $to: DateTime!',
      );
      expect(plan.usage.totals).toMatchObject({ requests: 3 });
    });

    it('stores attacker-controlled text byte for byte (tabs, newlines, backslashes, \\N, \\., quotes, unicode): nothing becomes a delimiter, an escape or NULL', async () => {
      const w = await world({ requests: 1000 });
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      const nasty = [
        'tab\there',
        'new\nline',
        'carriage\rreturn',
        'back\\slash',
        '\\N',
        '\\\\N',
        '\\.',
        '\n\\.\n',
        'ends with a backslash\\',
        '\\t is not a tab',
        '"quoted" \'single\' {"a","b"} (1,2)',
        "'); drop table usage.usage_record; --",
        'é中文😀 \u202e rtl',
        '\u0001\u001f control',
      ];
      const records = nasty.map((text, i) =>
        analytics(w.credential, new Date(start.getTime() + i * 1000), {
          method: 'POST',
          path: `/${text}`,
          api_id: text,
          ip_address: text,
          response_code: 201,
          request_time: 100 + i,
        }),
      );
      // An unknown key full of separators: its NULL columns must stay NULL, its text stays text.
      const oddKey = 'key\twith\\N\nlines';
      records.push(
        analytics({ keyHash: oddKey, policyIds: [] }, new Date(start.getTime() + 60_000), { path: '\\N', api_id: '', ip_address: '' }),
      );
      records.push(analytics(w.credential, new Date(start.getTime() + 61_000), { path: '/nul\u0000byte' }));
      expect(await ok(records)).toMatchObject({
        accepted: nasty.length + 1,
        unmatched: 1,
        rejected: [{ index: nasty.length + 1, reason: 'path contains a NUL character (U+0000), which cannot be stored' }],
      });
      const stored = await db.query(
        `select path, api_id, ip_address, method, response_code, latency_ms, credential_id::text as credential_id, app_id::text as app_id,
                key_hash, octet_length(path) as path_bytes
           from usage.usage_record where occurred_at >= $1 and occurred_at < $2 order by occurred_at`,
        [start, new Date(start.getTime() + HOUR)],
      );
      expect(stored.rows).toEqual([
        ...nasty.map((text, i) => ({
          path: `/${text}`,
          api_id: text,
          ip_address: text,
          method: 'POST',
          response_code: 201,
          latency_ms: 100 + i,
          credential_id: w.credential.id,
          app_id: w.appId,
          key_hash: w.credential.keyHash,
          path_bytes: Buffer.byteLength(`/${text}`),
        })),
        {
          path: '\\N',
          api_id: '',
          ip_address: '',
          method: 'GET',
          response_code: 200,
          latency_ms: 20,
          credential_id: null,
          app_id: null,
          key_hash: oddKey,
          path_bytes: 2,
        },
      ]);
      // The same batch again is recognised record by record.
      expect(await ok(records)).toMatchObject({ accepted: 0, duplicates: nasty.length + 1 });
      expect(await quotaOf(w.credential)).toMatchObject({ used: nasty.length });
    });

    it('attributes every record of a key seen with many tag sets and APIs alike (past the variants compared one by one)', async () => {
      const w = await world({ requests: 1000 });
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      // 12 variants of one key, each twice: the first 8 are compared, the rest found by a text key.
      const records = Array.from({ length: 24 }, (_, i) => {
        const base = analytics(w.credential, new Date(start.getTime() + i * 1000));
        const variant = i % 12;
        return { ...base, api_id: variant % 2 ? 'weather' : `other-${variant}`, tags: [...(base.tags as string[]), `variant-${variant}`] };
      });
      expect(await ok(records)).toMatchObject({ accepted: 24, unmatched: 0 });
      const rollups = await db.query(
        `select scope, sum(requests)::int as requests from usage.usage_rollup
          where granularity = 'DAY' and bucket = $1 and scope_id = any($2::uuid[]) group by scope order by scope`,
        [
          new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())),
          [w.credential.id, w.appId, w.org.id, w.plan.id, w.product.id],
        ],
      );
      expect(rollups.rows).toEqual(['APP', 'CREDENTIAL', 'ORGANIZATION', 'PLAN', 'PRODUCT'].map((scope) => ({ scope, requests: 24 })));
      expect(await quotaOf(w.credential)).toMatchObject({ used: 24 });
    });

    it('creates day partitions on demand, and when one was dropped behind its back, retries the batch once and stores it whole', async () => {
      const w = await world({ requests: 1000 });
      const start = day();
      clock.set(new Date(start.getTime() + HOUR));
      const partition = `usage.usage_record_p${start.toISOString().slice(0, 10).replace(/-/g, '')}`;
      const exists = async () => (await db.query(`select to_regclass($1) is not null as present`, [partition])).rows[0].present;
      expect(await exists()).toBe(false);
      expect(await ok(burst(w.credential, start, 2))).toMatchObject({ accepted: 2 });
      expect(await exists()).toBe(true);
      // Retention drops the day while this process still believes it exists: the COPY fails with
      // "no partition", the ingest forgets what it knew, creates the partition and runs the batch again.
      await db.query(`drop table ${partition}`);
      expect(await ok(burst(w.credential, new Date(start.getTime() + 10_000), 3))).toMatchObject({ accepted: 3, duplicates: 0 });
      expect(await exists()).toBe(true);
      const rows = await db.query(`select count(*)::int as n from ${partition}`);
      expect(rows.rows[0].n).toBe(3);
    });

    it('accepts the SQL pump’s column names too', async () => {
      const w = await world({ requests: 100 });
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      const row = {
        method: 'POST',
        path: '/x',
        rawpath: '/weather/x',
        responsecode: 201,
        apikey: w.credential.keyHash,
        timestamp: start.toISOString(),
        apiid: 'weather',
        orgid: 'o',
        requesttime: 7,
        ipaddress: '::1',
        tags: w.credential.policyIds.map((id) => `pol-${id}`),
      };
      expect(await ok([row])).toMatchObject({ accepted: 1, unmatched: 0 });
      expect(await quotaOf(w.credential)).toMatchObject({ used: 1 });
    });
  });

  describe('quota status', () => {
    it('follows Tyk windows: starts at the first counted request, counts quota rejections, not 429s, and resets with the clock', async () => {
      const w = await world({ requests: 10, periodSeconds: 3600 });
      const start = day();
      clock.set(new Date(start.getTime() + 30 * MINUTE));
      const records = burst(w.credential, start, 13, (i) => (i < 10 ? 200 : i === 10 ? 429 : 403));
      await ok(records);
      const status = await quotaOf(w.credential);
      expect(status).toMatchObject({
        scope: 'CREDENTIAL',
        limit: 10,
        used: 12,
        remaining: 0,
        percentUsed: 120,
        periodSeconds: 3600,
        projectedExhaustionAt: null,
      });
      expect(status.windowStart).toBe(start.toISOString());
      expect(status.resetsAt).toBe(new Date(start.getTime() + HOUR).toISOString());
      expect(status.burnRatePerHour).toBe(24); // 12 in 30 minutes
      expect(status.plan.id).toBe(w.plan.id);
      expect(status.credential.id).toBe(w.credential.id);
      expect(status.app.id).toBe(w.appId);

      const usage = await entity(
        'App',
        w.appId,
        `usage(from: $from, to: $to, granularity: MINUTE) { totals { requests rateLimited quotaExceeded errors4xx } }`,
        w.org.member,
        { from: start.toISOString(), to: new Date(start.getTime() + MINUTE).toISOString() },
        ', $from: DateTime!, $to: DateTime!',
      );
      expect(usage.usage.totals).toEqual({ requests: 13, rateLimited: 1, quotaExceeded: 2, errors4xx: 0 });

      // Past the reset: a fresh allowance, no window until the next request.
      clock.set(new Date(start.getTime() + HOUR + 1000));
      expect(await quotaOf(w.credential)).toMatchObject({ used: 0, remaining: 10, windowStart: null, resetsAt: null, burnRatePerHour: 0 });
      const next = new Date(start.getTime() + HOUR + 10 * MINUTE);
      await ok([analytics(w.credential, next)]);
      clock.set(new Date(next.getTime() + MINUTE));
      expect(await quotaOf(w.credential)).toMatchObject({
        used: 1,
        windowStart: next.toISOString(),
        resetsAt: new Date(next.getTime() + HOUR).toISOString(),
      });
    });

    it('projects exhaustion from the burn rate', async () => {
      const w = await world({ requests: 100, periodSeconds: 3600 });
      const start = day();
      await ok(burst(w.credential, start, 40).map((r, i) => ({ ...r, timestamp: new Date(start.getTime() + i * 15_000).toISOString() })));
      clock.set(new Date(start.getTime() + 20 * MINUTE)); // 40 in 20 minutes = 120/h: 60 left → 30 minutes
      const status = await quotaOf(w.credential);
      expect(status.burnRatePerHour).toBe(120);
      expect(status.projectedExhaustionAt).toBe(new Date(start.getTime() + 50 * MINUTE).toISOString());
    });

    it('shares one counter per app or organization when the plan says so', async () => {
      const org = await fx.organization();
      const [appA, appB] = [await fx.app(org.id), await fx.app(org.id)];
      const product = await fx.product(['weather']);
      const appPlan = await fx.plan({ requests: 50, scope: 'APP' });
      const orgPlan = await fx.plan({ requests: 500, scope: 'ORGANIZATION' });
      const a1 = await fx.credential(org.id, appA, appPlan, [product]);
      const a2 = await fx.credential(org.id, appA, appPlan, [product]);
      const b1 = await fx.credential(org.id, appB, appPlan, [product]);
      const oa = await fx.credential(org.id, appA, orgPlan, [product]);
      const ob = await fx.credential(org.id, appB, orgPlan, [product]);
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      // The quota status stream hears of each shared counter once for the batch (a pubsub
      // subscription listens from its first `next`).
      const news = subgraph.pubsub.subscribe(QUOTA_STATUS_TOPIC)[Symbol.asyncIterator]();
      const first = news.next();
      await ok([...burst(a1, start, 3), ...burst(a2, start, 4), ...burst(b1, start, 2), ...burst(oa, start, 5), ...burst(ob, start, 6)]);
      const announced = ((await first).value as QuotaStatusEvent).counters;
      await news.return?.();
      expect(announced.map((c) => [c.scope, c.planId, c.appId, c.credentialId, c.used, c.limit]).sort()).toEqual(
        [
          ['APP', appPlan.id, appA, null, 7, 50],
          ['APP', appPlan.id, appB, null, 2, 50],
          ['ORGANIZATION', orgPlan.id, null, null, 11, 500],
        ].sort(),
      );
      // Live only: nothing of it is stored.
      expect((await db.query(`select count(*)::int as n from platform.event where topic = $1`, [QUOTA_STATUS_TOPIC])).rows[0].n).toBe(0);

      expect(await quotaOf(a1)).toMatchObject({ scope: 'APP', used: 7, limit: 50, credential: null, app: { id: appA } });
      expect(await quotaOf(a2)).toMatchObject({ scope: 'APP', used: 7 });
      expect(await quotaOf(b1)).toMatchObject({ scope: 'APP', used: 2, app: { id: appB } });
      expect(await quotaOf(oa)).toMatchObject({ scope: 'ORGANIZATION', used: 11, app: null, limit: 500 });

      const app = await entity('App', appA, `quota { ${QUOTA} }`, org.member);
      expect(app.quota.map((q: any) => [q.scope, q.plan.id, q.used])).toEqual(
        [
          ['APP', appPlan.id, 7],
          ['ORGANIZATION', orgPlan.id, 11],
        ].sort((x, y) => (`${x[1]}${x[0]}` < `${y[1]}${y[0]}` ? -1 : 1)),
      );
      const organization = await entity('Organization', org.id, `quota { ${QUOTA} }`, org.member);
      expect(organization.quota.map((q: any) => [q.scope, q.app?.id ?? null, q.used]).sort()).toEqual(
        [
          ['APP', appA, 7],
          ['APP', appB, 2],
          ['ORGANIZATION', null, 11],
        ].sort(),
      );
    });
  });

  describe('warnings', () => {
    /** Subscribes and waits until the subscription is live (a probe warning in a window of its own arrives). */
    let probe = Date.UTC(2019, 0, 1);
    async function live(org: FixtureOrg, identity: Identity, appId?: string): Promise<Collected> {
      const sub = subscribeTo(subgraph.url, clients, WARNINGS, { org: org.id, app: appId ?? null }, identity, 'quotaWarnings');
      await waitFor(
        async () => {
          if (sub.data.length) return true;
          probe += HOUR;
          await raiseQuotaWarning(subgraph.orm.em.fork(), subgraph.pubsub, {
            organizationId: org.id,
            appId: appId ?? null,
            kind: QuotaWarningKind.SOFT,
            thresholdPercent: 1,
            used: 1,
            limit: 100,
            windowStart: new Date(probe),
            resetsAt: new Date(probe + HOUR),
          });
          return false;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: 'a live quotaWarnings subscription' },
      );
      return sub;
    }
    const real = (sub: Collected) => sub.data.filter((w) => w.thresholdPercent !== 1);

    it('raises 80, 90 and 100 once each per window, within a second, to that organization only', async () => {
      const w = await world({ requests: 10 });
      const other = await world({ requests: 10 });
      const mine = await live(w.org, w.org.member);
      const theirs = await live(other.org, other.org.member);
      const start = day();
      clock.set(new Date(start.getTime() + 5 * MINUTE));
      const records = burst(w.credential, start, 13, (i) => (i < 10 ? 200 : 403));

      const expectWarnings = async (count: number) => {
        clock.advance(1); // warnings are stamped with the (manual) clock: keep them in order
        const sent = Date.now();
        await waitFor(() => real(mine).length >= count, { timeoutMs: 5000, what: `${count} warnings` });
        return Date.now() - sent;
      };
      expect((await ok(records.slice(0, 7))).warnings).toBe(0);
      const first = await ok(records.slice(0, 8)); // one new record: 8 of 10
      expect(first).toMatchObject({ accepted: 1, duplicates: 7, warnings: 1 });
      expect(await expectWarnings(1)).toBeLessThan(1000);
      await ok(records.slice(8, 9));
      expect(await expectWarnings(2)).toBeLessThan(1000);
      expect((await ok(records.slice(9))).warnings).toBe(1); // 10..13: 100 % once
      expect(await expectWarnings(3)).toBeLessThan(1000);
      expect((await ok(records)).warnings).toBe(0); // all duplicates
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(real(mine).map((x) => [x.kind, x.thresholdPercent, x.used, x.limit])).toEqual([
        ['SOFT', 80, 8, 10],
        ['SOFT', 90, 9, 10],
        ['HARD', 100, 10, 10], // the 10th request crossed it (the batch carried 13)
      ]);
      expect(real(mine)[0]).toMatchObject({
        organizationId: w.org.id,
        appId: w.appId,
        credentialId: w.credential.id,
        planId: w.plan.id,
        windowStart: start.toISOString(),
      });
      expect(mine.errors).toEqual([]);
      expect(real(theirs)).toEqual([]);

      // The next window warns again; the history holds all of them.
      const next = new Date(start.getTime() + 2 * HOUR);
      await ok(burst(w.credential, next, 8));
      await expectWarnings(4);
      const history = await subgraphRequest(
        subgraph.url,
        `query($org: ID!) { quotaWarningsHistory(organizationId: $org, first: 100) { edges { node { kind thresholdPercent windowStart } } } }`,
        { org: w.org.id },
        w.org.admin,
      );
      const stored = history.data.quotaWarningsHistory.edges.map((e: any) => e.node).filter((n: any) => n.thresholdPercent !== 1);
      expect(stored.map((n: any) => [n.kind, n.thresholdPercent, n.windowStart])).toEqual([
        ['SOFT', 80, start.toISOString()],
        ['SOFT', 90, start.toISOString()],
        ['HARD', 100, start.toISOString()],
        ['SOFT', 80, next.toISOString()],
      ]);
    });

    it('uses the app’s own alert rules, and warns when the burn rate will exhaust the quota before the reset', async () => {
      const w = await world({ requests: 100 });
      const set = await subgraphRequest(
        subgraph.url,
        `mutation($input: SetQuotaAlertRulesInput!) { setQuotaAlertRules(input: $input) { errors { code } } }`,
        { input: { organizationId: w.org.id, appId: w.appId, thresholds: [50] } },
        w.org.admin,
      );
      expect(set.data.setQuotaAlertRules.errors).toEqual([]);
      const sub = await live(w.org, w.org.member, w.appId);
      const start = day();
      clock.set(new Date(start.getTime() + HOUR));
      // 20 requests in the first 7 minutes (≥ 10 % of the window): 171/h, so 100 before the reset.
      await ok(burst(w.credential, start, 20).map((r, i) => ({ ...r, timestamp: new Date(start.getTime() + i * 22_000).toISOString() })));
      await waitFor(() => real(sub).length >= 1, { what: 'the projection warning' });
      // 30 more in the same minutes: the app's 50 % threshold (not 80/90).
      await ok(burst(w.credential, new Date(start.getTime() + 8 * MINUTE), 30));
      await waitFor(() => real(sub).length >= 2, { what: 'the 50 % warning' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const got = real(sub);
      expect(got.map((x) => [x.kind, x.thresholdPercent])).toEqual([
        ['PROJECTED', 100],
        ['SOFT', 50],
      ]);
      expect(got[0].used).toBeGreaterThanOrEqual(100);
      // The projection also asks the developers subgraph to offer the next tier (a job in the ingest's
      // transaction; one queued per counter, with the latest projection).
      const { rows: offers } = await db.query(
        `select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = 'developers.offerUpgrade' and j.key = $1`,
        [`upgrade-check:${w.credential.id}:${w.credential.planId}`],
      );
      expect(offers.map((r) => r.payload)).toEqual([
        {
          organizationId: w.org.id,
          appId: w.appId,
          credentialId: w.credential.id,
          planId: w.credential.planId,
          projectedUsed: expect.any(Number),
          limit: 100,
          resetsAt: new Date(start.getTime() + HOUR).toISOString(),
        },
      ]);
      expect(offers[0].payload.projectedUsed).toBeGreaterThanOrEqual(100);
    });
  });

  describe('rollups and series', () => {
    it('adds a later batch’s latency histogram to the stored one bucket by bucket (a stored shorter one padded with zeros)', async () => {
      const w = await world({ requests: 100_000, periodSeconds: 86_400 });
      const start = day();
      clock.set(new Date(start.getTime() + HOUR));
      const histogram = async () =>
        (
          await db.query(
            `select requests::int, latency_histogram from usage.usage_rollup
              where scope = 'CREDENTIAL' and scope_id = $1 and granularity = 'MINUTE' and bucket = $2`,
            [w.credential.id, start],
          )
        ).rows[0];
      const expected = (counts: [number, number][]) => {
        const out = emptyHistogram();
        for (const [ms, n] of counts) out[bucketOf(ms)] += n;
        return out;
      };
      await ok(
        burst(
          w.credential,
          start,
          3,
          () => 200,
          () => 7,
        ),
      );
      expect(await histogram()).toEqual({ requests: 3, latency_histogram: expected([[7, 3]]) });
      await ok(
        burst(
          w.credential,
          new Date(start.getTime() + 10_000),
          4,
          () => 200,
          (i) => (i < 2 ? 7 : 900),
        ),
      );
      expect(await histogram()).toEqual({
        requests: 7,
        latency_histogram: expected([
          [7, 5],
          [900, 2],
        ]),
      });
      // A row written when histograms had fewer buckets.
      await db.query(
        `update usage.usage_rollup set latency_histogram = latency_histogram[1:10]
          where scope = 'CREDENTIAL' and scope_id = $1 and granularity = 'MINUTE' and bucket = $2`,
        [w.credential.id, start],
      );
      await ok(
        burst(
          w.credential,
          new Date(start.getTime() + 20_000),
          1,
          () => 200,
          () => 900,
        ),
      );
      expect(await histogram()).toEqual({
        requests: 8,
        latency_histogram: expected([
          [7, 5],
          [900, 1],
        ]),
      });
    });

    it('rolls up per minute, hour and day with outcomes and latency, and flags a spike', async () => {
      const w = await world({ requests: 100_000, periodSeconds: 86_400 });
      const start = day();
      // 24 minutes of 5 requests, then a minute of 60 with errors of every kind.
      const records: Record<string, unknown>[] = [];
      for (let m = 0; m < 24; m++)
        records.push(
          ...burst(
            w.credential,
            new Date(start.getTime() + m * MINUTE),
            5,
            () => 200,
            () => 10,
          ),
        );
      const last = new Date(start.getTime() + 24 * MINUTE);
      const codes = (i: number) => (i < 40 ? 200 : i < 45 ? 404 : i < 50 ? 502 : i < 55 ? 429 : 200);
      records.push(...burst(w.credential, last, 60, codes, (i) => (i < 50 ? 100 : 1000)));
      clock.set(new Date(start.getTime() + HOUR));
      expect(await ok(records)).toMatchObject({ accepted: 180 });

      const range = { from: start.toISOString(), to: new Date(last.getTime() + MINUTE).toISOString() };
      const result = await entity(
        'Credential',
        w.credential.id,
        `usage(from: $from, to: $to, granularity: MINUTE) { ${SERIES} }`,
        w.org.member,
        range,
        ', $from: DateTime!, $to: DateTime!',
      );
      const series = result.usage;
      expect(series.points).toHaveLength(25);
      expect(series.points[0]).toMatchObject({ at: start.toISOString(), requests: 5, errors4xx: 0, latencyP50Ms: expect.any(Number) });
      expect(series.points[24]).toMatchObject({ requests: 60, errors4xx: 5, errors5xx: 5, rateLimited: 5, quotaExceeded: 0 });
      expect(series.points[24].latencyP50Ms).toBeGreaterThanOrEqual(80);
      expect(series.points[24].latencyP50Ms).toBeLessThanOrEqual(125);
      expect(series.points[24].latencyP95Ms).toBeGreaterThanOrEqual(800);
      expect(series.totals).toMatchObject({
        requests: 180,
        errors4xx: 5,
        errors5xx: 5,
        rateLimited: 5,
        errorRate: 0.0556,
        rejectionRate: 0.0278,
      });
      expect(series).toMatchObject({ spike: true, spikeFactor: 12, baselineRequests: 5 });

      // Hour and day buckets hold the same totals; app, organization, product and plan too.
      for (const granularity of ['HOUR', 'DAY']) {
        const coarse = await entity(
          'Credential',
          w.credential.id,
          `usage(from: $from, to: $to, granularity: ${granularity}) { spike spikeFactor totals { requests } }`,
          w.org.member,
          range,
          ', $from: DateTime!, $to: DateTime!',
        );
        // One bucket after an empty baseline: any 20 requests are a spike (factor unknown).
        expect(coarse.usage).toMatchObject({ spike: true, spikeFactor: null, totals: { requests: 180 } });
      }
      const app = await entity(
        'App',
        w.appId,
        `usage(from: $from, to: $to, granularity: HOUR) { totals { requests } }`,
        w.org.member,
        range,
        ', $from: DateTime!, $to: DateTime!',
      );
      const org = await entity(
        'Organization',
        w.org.id,
        `usage(from: $from, to: $to, granularity: DAY) { totals { requests } }`,
        w.org.member,
        range,
        ', $from: DateTime!, $to: DateTime!',
      );
      const plan = await entity(
        'Plan',
        w.plan.id,
        `usage(from: $from, to: $to) { granularity totals { requests } }`,
        portalAdmin(),
        range,
        ', $from: DateTime!, $to: DateTime!',
      );
      expect([app.usage.totals.requests, org.usage.totals.requests, plan.usage.totals.requests, plan.usage.granularity]).toEqual([
        180,
        180,
        180,
        'HOUR',
      ]);
      const product = await db.query(
        `select sum(requests)::int as n from usage.usage_rollup where scope = 'PRODUCT' and scope_id = $1 and granularity = 'DAY'`,
        [w.product.id],
      );
      expect(product.rows[0].n).toBe(180);

      // Too many buckets, or an empty range: BAD_USER_INPUT.
      const tooLong = await subgraphRequest(
        subgraph.url,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on App { usage(from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z", granularity: MINUTE) { totals { requests } } } } }`,
        { r: [{ __typename: 'App', id: w.appId }] },
        w.org.member,
      );
      expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('reports usage and error rates by plan and tier (portal admins)', async () => {
      const start = day();
      clock.set(new Date(start.getTime() + 2 * HOUR));
      const gold = await world({ requests: 1000, tier: 7 });
      const silver = await world({ requests: 1000, tier: 3 });
      const org = await fx.organization();
      const silver2 = await fx.credential(org.id, await fx.app(org.id), silver.plan, [silver.product]);
      await ok([
        ...burst(gold.credential, start, 10, (i) => (i < 2 ? 500 : 200)),
        ...burst(silver.credential, start, 4),
        ...burst(silver2, start, 6, (i) => (i < 3 ? 404 : 200)),
      ]);
      const report = await subgraphRequest(
        subgraph.url,
        `query($from: DateTime!, $to: DateTime!) { planUsageReport(from: $from, to: $to) { from to plans { plan { id } tier totals { requests errors4xx errors5xx errorRate } } tiers { tier plans totals { requests errorRate } } } }`,
        { from: start.toISOString(), to: new Date(start.getTime() + HOUR).toISOString() },
        portalAdmin(),
      );
      expect(report.errors).toBeUndefined();
      const rows = report.data.planUsageReport.plans.filter((p: any) => [gold.plan.id, silver.plan.id].includes(p.plan.id));
      expect(rows).toEqual([
        { plan: { id: gold.plan.id }, tier: 7, totals: { requests: 10, errors4xx: 0, errors5xx: 2, errorRate: 0.2 } },
        { plan: { id: silver.plan.id }, tier: 3, totals: { requests: 10, errors4xx: 3, errors5xx: 0, errorRate: 0.3 } },
      ]);
      const tiers = report.data.planUsageReport.tiers.filter((t: any) => [7, 3].includes(t.tier));
      expect(tiers.map((t: any) => [t.tier, t.totals.requests])).toEqual([
        [7, 10],
        [3, 10],
      ]);
    });
  });

  describe('authorization', () => {
    it('shows quota and usage to members and portal admins only; reports to portal admins only', async () => {
      const w = await world();
      const start = day();
      clock.set(new Date(start.getTime() + MINUTE));
      await ok(burst(w.credential, start, 2));
      const range = { from: start.toISOString(), to: new Date(start.getTime() + HOUR).toISOString() };
      const outsider = (await fx.organization()).member;
      const fields: [string, string, string][] = [
        ['Credential', w.credential.id, 'quota { used }'],
        ['Credential', w.credential.id, 'usage(from: $from, to: $to) { totals { requests } }'],
        ['App', w.appId, 'quota { used }'],
        ['App', w.appId, 'usage(from: $from, to: $to) { totals { requests } }'],
        ['Organization', w.org.id, 'quota { used }'],
        ['Organization', w.org.id, 'usage(from: $from, to: $to) { totals { requests } }'],
      ];
      for (const [typename, id, selection] of fields) {
        const field = selection.split(/[ (]/)[0];
        const ranged = selection.includes('$from');
        const read = (who: Identity | null) =>
          entity(typename, id, selection, who, ranged ? range : {}, ranged ? ', $from: DateTime!, $to: DateTime!' : '');
        expect([typename, field, (await read(outsider))[field]]).toEqual([typename, field, null]);
        expect([typename, field, (await read(null))[field]]).toEqual([typename, field, null]);
        expect((await read(w.org.member))[field]).not.toBeNull();
        expect((await read(portalAdmin()))[field]).not.toBeNull();
      }
      const planUsage = (who: Identity | null) =>
        entity('Plan', w.plan.id, 'usage(from: $from, to: $to) { totals { requests } }', who, range, ', $from: DateTime!, $to: DateTime!');
      expect((await planUsage(w.org.admin)).usage).toBeNull();
      expect((await planUsage(null)).usage).toBeNull();
      expect((await planUsage(portalAdmin())).usage.totals.requests).toBe(2);

      for (const root of ['planUsageReport(from: $from, to: $to) { from }', 'unmatchedUsage(from: $from, to: $to) { requests }']) {
        const q = `query($from: DateTime!, $to: DateTime!) { ${root} }`;
        expect((await subgraphRequest(subgraph.url, q, range, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
        expect((await subgraphRequest(subgraph.url, q, range, w.org.admin)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect((await subgraphRequest(subgraph.url, q, range, portalAdmin())).errors).toBeUndefined();
      }
    });
  });

  describe('batching', () => {
    it('reads quota and usage of many apps and credentials with one SELECT per kind of read', async () => {
      const org = await fx.organization();
      const plan = await fx.plan({ requests: 100 });
      const product = await fx.product(['weather']);
      const apps: string[] = [];
      const credentials: FixtureCredential[] = [];
      for (let i = 0; i < 4; i++) {
        const appId = await fx.app(org.id);
        apps.push(appId);
        credentials.push(await fx.credential(org.id, appId, plan, [product]));
      }
      const start = day();
      clock.set(new Date(start.getTime() + 10 * MINUTE));
      await ok(credentials.flatMap((c, i) => burst(c, start, i + 1)));
      const range = { from: start.toISOString(), to: new Date(start.getTime() + HOUR).toISOString() };
      const reps = [...apps.map((id) => ({ __typename: 'App', id })), ...credentials.map((c) => ({ __typename: 'Credential', id: c.id }))];
      queries.length = 0;
      const result = await subgraphRequest(
        subgraph.url,
        `query($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) {
           ... on App { quotas: quota { used } usage(from: $from, to: $to) { totals { requests } } }
           ... on Credential { quota { used } usage(from: $from, to: $to) { totals { requests } } } } }`,
        { r: reps, ...range },
        org.member,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data._entities.map((e: any) => (e.quotas ? e.quotas[0].used : e.quota.used))).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
      expect(result.data._entities.map((e: any) => e.usage.totals.requests)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
      const count = (pattern: RegExp) => queries.filter((sql) => pattern.test(sql)).length;
      expect({
        windows: count(/from usage\.quota_window/),
        rollups: count(/from usage\.usage_rollup/),
        apps: count(/developers\.app_contract/),
        membership: count(/membership_contract/),
      }).toEqual({ windows: 1, rollups: 2, apps: 1, membership: 1 });
      // Credentials by id and by app: one SELECT each.
      expect(count(/developers\.credential_contract/)).toBe(2);
    });
  });

  describe('tailer of a tyk_analytics table', () => {
    const table = `${tailSchema}.tyk_analytics`;
    const deps = () => ({
      orm: subgraph.orm,
      pubsub: subgraph.pubsub,
      clock,
      log: createLogger('usage', 'fatal'),
      env,
      databaseUrl: testDatabaseUrl(),
    });

    /** Rows as Tyk Pump's sql pump writes them (its column names). */
    async function pump(credential: FixtureCredential, times: Date[], status = 200) {
      for (const at of times) {
        await db.query(
          `insert into ${table} (method, host, path, rawpath, contentlength, useragent, responsecode, apikey, timestamp, apiversion, apiid, orgid, oauthid,
                                 requesttime, rawrequest, rawresponse, ipaddress, tags, alias, trackpath, expireat)
           values ('GET', 'up', '/f', '/weather/f', 0, 'ua', $1, $2, $3, 'Default', 'weather', 'o', '', 15, '', '', '10.1.1.1', $4, '', false, $3)`,
          [status, credential.keyHash, at.toISOString(), credential.policyIds.map((id) => `pol-${id}`)],
        );
      }
    }

    it('reads incrementally from its stored position, whole instants at once, and leaves rows younger than the settle delay', async () => {
      await db.query(`
        create table ${table} (
          method text, host text, path text, rawpath text, contentlength bigint, useragent text,
          day integer, month integer, year integer, hour integer, responsecode bigint, apikey text,
          timestamp timestamptz, apiversion text, apiname text, apiid text, orgid text, oauthid text,
          requesttime bigint, rawrequest text, rawresponse text, ipaddress text, tags text[], alias text,
          trackpath boolean, expireat timestamptz)`);
      const w = await world({ requests: 1000 });
      const start = day();
      clock.set(new Date(start.getTime() + 30 * MINUTE));
      await pump(
        w.credential,
        [0, 1, 2, 3, 4].map((s) => new Date(start.getTime() + s * 1000)),
      );
      // Three rows in the same microsecond (different paths): a "full batch at one instant".
      const instant = new Date(start.getTime() + 10_000);
      for (const path of ['/a', '/b', '/c']) {
        await db.query(
          `insert into ${table} (method, path, responsecode, apikey, timestamp, requesttime, tags) values ('GET', $1, 200, $2, $3, 1, $4)`,
          [path, w.credential.keyHash, instant.toISOString(), w.credential.policyIds.map((id) => `pol-${id}`)],
        );
      }
      const first = await tailAnalytics(deps(), { batchSize: 2 });
      expect(first).toMatchObject({ table, accepted: 8, rejected: 0, position: `${instant.toISOString().slice(0, 23)}000Z` });
      expect(await quotaOf(w.credential)).toMatchObject({ used: 8 });

      // Nothing new: rows at the position itself may be read again, but count once.
      const idle = await tailAnalytics(deps(), { batchSize: 2 });
      expect(idle.accepted).toBe(0);

      // New rows, one of them too young for the settle delay.
      clock.set(new Date(start.getTime() + 2 * MINUTE));
      await pump(w.credential, [new Date(start.getTime() + 30_000), new Date(start.getTime() + 90_000)]);
      const settled = await tailAnalytics(deps(), { settleSeconds: 60 });
      expect(settled.accepted).toBe(1);
      clock.set(new Date(start.getTime() + 30 * MINUTE));
      // Also on demand over HTTP (service token), for the table the subgraph is configured with.
      const viaHttp = await post('/ingest/tyk/tail', '');
      expect(viaHttp.status).toBe(200);
      expect(viaHttp.body).toMatchObject({ table, accepted: 1 });
      expect(await quotaOf(w.credential)).toMatchObject({ used: 10 });
      const cursor = await db.query(`select rows_read::int as rows_read from usage.ingest_cursor where source = $1`, [`tyk:${table}`]);
      expect(cursor.rows[0].rows_read).toBeGreaterThanOrEqual(10);
    });
  });
});
