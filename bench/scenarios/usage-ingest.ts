import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { systemClock } from '../../common/clock';
import { initOrm } from '../../common/db';
import { createLogger } from '../../common/logger';
import { PgPubSub } from '../../common/pubsub';
import { usageSubgraph } from '../../subgraphs/usage';
import { ingestAnalytics } from '../../subgraphs/usage/services/ingest';
import { bearer, developerIdentity, must, mutateId, type BenchIdentity } from '../lib/graphql';
import { mapLimit, median, round, table } from '../lib/stats';
import { targetCheck, type BenchContext, type Scenario, type ScenarioResult } from '../lib/types';

/** The usage subgraph's ingest endpoint (`POST /ingest/tyk`) of the benchmark platform. */
export function ingestUrl(ctx: BenchContext): string {
  return ctx.platform.subgraphUrl('usage').replace(/\/graphql$/, '/ingest/tyk');
}

/** A service token, as a Tyk Pump forwarder would send it. */
export const SERVICE_AUTH = () => bearer({ sub: 'bench-pump-forwarder', roles: ['service'] } as BenchIdentity);

export interface MeteredCredential {
  id: string;
  appId: string;
  keyHash: string;
}

/**
 * A plan (auto-approve, the given quota) in the seed catalog, `count` apps of `organizationId`
 * created by `member`, and one credential per app through `requestAccess` — all through the
 * gateway. No Tyk runs in the benchmark, so the step a provider would take next (issuing the key
 * and recording its hash in `provider.credential_key`) is done here with SQL: a random 16-hex key
 * hash per credential, ACTIVE, as the provider subgraph records it.
 */
export async function meteredCredentials(
  ctx: BenchContext,
  options: { label: string; count: number; quota: { requests: number; period: string }; organizationId: string; member: BenchIdentity },
): Promise<{ planId: string; credentials: MeteredCredential[] }> {
  const { platform, seed } = ctx;
  const stamp = Date.now().toString(36);
  const planId = await mutateId(platform.gatewayUrl, seed.adminAuth, 'createPlan', 'CreatePlanInput', 'plan', {
    name: `bench-${options.label}-${stamp}`,
    displayName: `Bench ${options.label}`,
    catalogIds: [seed.catalogId],
    status: 'PUBLISHED',
    tier: 9,
    quota: options.quota,
    autoApprove: true,
  });
  const memberAuth = bearer(options.member);
  const credentials = await mapLimit(
    Array.from({ length: options.count }, (_, i) => i),
    4,
    async (i) => {
      const appId = await mutateId(platform.gatewayUrl, memberAuth, 'createApp', 'CreateAppInput', 'app', {
        organizationId: options.organizationId,
        name: `bench ${options.label} ${stamp} ${i}`,
      });
      const data = await must<any>(
        platform.gatewayUrl,
        `mutation($i: RequestAccessInput!) { requestAccess(input: $i) { credential { id } errors { code message } } }`,
        { i: { appId, planId, productIds: [seed.productIds[i % seed.productIds.length]] } },
        memberAuth,
      );
      if (data.requestAccess.errors.length || !data.requestAccess.credential)
        throw new Error(`requestAccess: ${JSON.stringify(data.requestAccess.errors)}`);
      return { id: data.requestAccess.credential.id as string, appId, keyHash: randomBytes(8).toString('hex') };
    },
  );
  const db = new pg.Client({ connectionString: platform.databaseUrl });
  await db.connect();
  try {
    for (const c of credentials) {
      await db.query(
        `insert into provider.credential_key (credential_id, key_hash, status, sync_status, plan_id, product_ids, policy_ids, issued_at)
         values ($1, $2, 'ACTIVE', 'SYNCED', $3, '{}', $4, now())
         on conflict (credential_id) do update set key_hash = excluded.key_hash, status = 'ACTIVE', plan_id = excluded.plan_id, policy_ids = excluded.policy_ids`,
        [c.id, c.keyHash, planId, [`pg-plan-${planId.replace(/-/g, '')}`]],
      );
    }
  } finally {
    await db.end();
  }
  return { planId, credentials };
}

const CODES = [...Array(95).fill(200), 404, 404, 500, 429, 201];

/** Tyk analytics records (the gateway's JSON field names) of the credentials, one microsecond apart from `startMicros`. */
export function analyticsRecords(
  credentials: MeteredCredential[],
  count: number,
  startMicros: number,
  planId: string,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const c = credentials[i % credentials.length];
    const micros = startMicros + i;
    const ms = Math.floor(micros / 1000);
    const timestamp = `${new Date(ms).toISOString().slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
    const at = new Date(ms);
    out.push({
      method: 'GET',
      host: 'upstream.bench',
      path: `/items/${i % 50}`,
      raw_path: `/bench/items/${i % 50}`,
      content_length: 0,
      user_agent: 'bench/1.0',
      day: at.getUTCDate(),
      month: at.getUTCMonth() + 1,
      year: at.getUTCFullYear(),
      hour: at.getUTCHours(),
      response_code: CODES[i % CODES.length],
      api_key: c.keyHash,
      timestamp,
      api_version: 'Default',
      api_name: 'Bench',
      api_id: 'bench-api-1',
      org_id: 'bench-org',
      oauth_id: '',
      request_time: 5 + ((i * 7919) % 300),
      raw_request: '',
      raw_response: '',
      ip_address: `10.0.${(i >> 8) & 255}.${i & 255}`,
      tags: [`pol-pg-plan-${planId.replace(/-/g, '')}`, `key-${c.keyHash}`, 'org-bench-org', 'api-bench-api-1'],
      alias: '',
      track_path: false,
    });
  }
  return out;
}

// ---------------------------------------------------------------- COPY FROM STDIN (baseline)

const COPY_COLUMNS = [
  'method',
  'host',
  'path',
  'rawpath',
  'contentlength',
  'useragent',
  'day',
  'month',
  'year',
  'hour',
  'responsecode',
  'apikey',
  'timestamp',
  'apiversion',
  'apiname',
  'apiid',
  'orgid',
  'oauthid',
  'requesttime',
  'rawrequest',
  'rawresponse',
  'ipaddress',
  'tags',
  'alias',
  'trackpath',
];
const JSON_NAMES = [
  'method',
  'host',
  'path',
  'raw_path',
  'content_length',
  'user_agent',
  'day',
  'month',
  'year',
  'hour',
  'response_code',
  'api_key',
  'timestamp',
  'api_version',
  'api_name',
  'api_id',
  'org_id',
  'oauth_id',
  'request_time',
  'raw_request',
  'raw_response',
  'ip_address',
  'tags',
  'alias',
  'track_path',
];

const TABLE_DDL = (name: string) => `create table ${name} (
  method text, host text, path text, rawpath text, contentlength bigint, useragent text, day integer, month integer, year integer, hour integer,
  responsecode bigint, apikey text, timestamp timestamptz, apiversion text, apiname text, apiid text, orgid text, oauthid text, requesttime bigint,
  rawrequest text, rawresponse text, ipaddress text, tags text[], alias text, trackpath boolean)`;

const escapeCopy = (value: string) => value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** The records in COPY's text format (tab-separated columns, one line per record). */
function copyText(records: Record<string, unknown>[]): Buffer {
  const lines: string[] = [];
  for (const r of records) {
    lines.push(
      JSON_NAMES.map((name) => {
        const value = r[name];
        if (value === null || value === undefined) return '\\N';
        if (Array.isArray(value)) return escapeCopy(`{${value.map((v) => `"${String(v)}"`).join(',')}}`);
        return escapeCopy(String(value));
      }).join('\t'),
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/**
 * `COPY … FROM STDIN` over node-postgres' own protocol messages: the whole batch as one CopyData
 * message. Written before pg-copy-streams came in (the usage ingest now writes with it) and kept as
 * it was, so the baseline stays the one earlier figures were measured against.
 */
class CopyFromStdin {
  private finished = false;
  readonly done: Promise<void>;
  private settle!: (error?: Error) => void;

  constructor(
    readonly text: string,
    private readonly data: Buffer,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}

  handleError(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.settle(error);
  }

  handleReadyForQuery(): void {
    if (this.finished) return;
    this.finished = true;
    this.settle();
  }
}

async function copyInto(db: pg.Client, table: string, records: Record<string, unknown>[]): Promise<number> {
  const started = performance.now();
  const copy = new CopyFromStdin(`copy ${table} (${COPY_COLUMNS.join(', ')}) from stdin`, copyText(records));
  db.query(copy as unknown as pg.QueryConfig);
  await copy.done;
  return performance.now() - started;
}

async function postBatch(ctx: BenchContext, records: Record<string, unknown>[]): Promise<{ ms: number; body: any }> {
  const started = performance.now();
  const response = await fetch(ingestUrl(ctx), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: SERVICE_AUTH() },
    body: JSON.stringify(records),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await response.json()) as any;
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`ingest answered HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { ms, body };
}

const PHASES = [
  'receive',
  'json',
  'parse',
  'partitions',
  'begin',
  'lock',
  'match',
  'check',
  'raw',
  'windows',
  'rollups',
  'warnings',
  'commit',
];

const perSecond = (records: number, ms: number) => Math.round((records / ms) * 1000);

export const usageIngest: Scenario = {
  name: 'usage-ingest',
  description:
    'Ingest throughput of Tyk analytics records into the usage subgraph (raw rows, rollups per credential/app/organization/product/plan × minute/hour/day, quota windows) for batches of 1,000 and 10,000 records, next to a raw `COPY … FROM STDIN` of the same rows into a `tyk_analytics`-shaped table in the same PostgreSQL.',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const warnings: string[] = [];
    const quick = ctx.options.quick;
    const member = developerIdentity('bench-ingest-member');
    const organizationId = await mutateId(
      ctx.platform.gatewayUrl,
      ctx.seed.adminAuth,
      'createOrganization',
      'CreateOrganizationInput',
      'organization',
      {
        name: 'Bench ingest',
        slug: `bench-ingest-${Date.now().toString(36)}`,
        adminSubject: member.sub,
      },
    );
    const { planId, credentials } = await meteredCredentials(ctx, {
      label: 'ingest',
      count: quick ? 20 : 50,
      quota: { requests: 1_000_000_000, period: 'MONTH' },
      organizationId,
      member,
    });
    ctx.log(`  ${credentials.length} credentials with keys`);

    const db = new pg.Client({ connectionString: ctx.platform.databaseUrl });
    await db.connect();
    const schema = `bench_copy_${Date.now().toString(36)}`;
    await db.query(`create schema ${schema}`);
    await db.query(TABLE_DDL(`${schema}.plain`));
    await db.query(TABLE_DDL(`${schema}.pump`));
    // The indexes Tyk Pump's GORM model declares (responsecode, apikey, timestamp, apiid, orgid, oauthid).
    for (const column of ['responsecode', 'apikey', 'timestamp', 'apiid', 'orgid', 'oauthid'])
      await db.query(`create index on ${schema}.pump (${column})`);

    // The same pipeline in this process (no HTTP, no JSON): what the ingest itself costs.
    const orm = await initOrm({
      schema: 'usage',
      databaseUrl: ctx.platform.databaseUrl,
      entities: usageSubgraph.entities,
      migrations: usageSubgraph.migrations,
      log: createLogger('bench', 'warn'),
      poolMax: 4,
    });
    const deps = { orm, pubsub: new PgPubSub(), clock: systemClock, log: createLogger('bench', 'warn') };

    // Each batch gets timestamps of its own (an hour ago, a microsecond apart): no accidental duplicates.
    let cursor = (Date.now() - 3_600_000) * 1000;
    const fresh = (n: number) => {
      const records = analyticsRecords(credentials, n, cursor, planId);
      cursor += n + 1000;
      return records;
    };

    const rows: (string | number)[][] = [];
    const phaseRows: (string | number)[][] = [];
    const figures: Record<string, unknown> = { credentials: credentials.length };
    try {
      await postBatch(ctx, fresh(1000)); // warm-up (partitions, plans, JIT)
      await ingestAnalytics(deps, fresh(1000));
      for (const size of [1000, 10_000]) {
        const runs = quick ? 2 : size === 1000 ? 7 : 4;
        const copyPlain: number[] = [];
        const copyPump: number[] = [];
        const http: number[] = [];
        const core: number[] = [];
        const duplicate: number[] = [];
        const phases: Record<string, number>[] = [];
        for (let r = 0; r < runs; r++) {
          const records = fresh(size);
          copyPlain.push(await copyInto(db, `${schema}.plain`, records));
          copyPump.push(await copyInto(db, `${schema}.pump`, records));
          const sent = await postBatch(ctx, records);
          if (sent.body.accepted !== size)
            warnings.push(`batch of ${size}: ${sent.body.accepted} accepted, ${sent.body.rejected?.length} rejected`);
          http.push(sent.ms);
          phases.push(sent.body.timingsMs ?? {});
          const again = await postBatch(ctx, records);
          if (again.body.duplicates !== size) warnings.push(`re-sent batch of ${size}: ${again.body.duplicates} duplicates`);
          duplicate.push(again.ms);
          const inProcess = fresh(size);
          const started = performance.now();
          const result = await ingestAnalytics(deps, inProcess);
          core.push(performance.now() - started);
          if (result.accepted !== size) warnings.push(`in-process batch of ${size}: ${result.accepted} accepted`);
        }
        const m = {
          copyPlain: median(copyPlain),
          copyPump: median(copyPump),
          http: median(http),
          duplicate: median(duplicate),
          core: median(core),
        };
        const rate = (ms: number) => perSecond(size, ms);
        const serverMs = Object.fromEntries(
          Object.keys(phases[0] ?? {}).map((name) => [name, round(median(phases.map((p) => p[name] ?? 0)), 1)]),
        );
        figures[`batch${size}`] = {
          runs,
          serverPhasesMs: serverMs,
          medianMs: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v, 1)])),
          recordsPerSecond: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, rate(v)])),
          httpVsCopy: round(m.copyPlain / m.http, 2),
          coreVsCopy: round(m.copyPlain / m.core, 2),
        };
        rows.push(
          [size, 'raw COPY into a plain tyk_analytics table (no indexes)', round(m.copyPlain, 1), rate(m.copyPlain), '1.00'],
          [
            size,
            'raw COPY into a tyk_analytics table with the pump’s 6 indexes',
            round(m.copyPump, 1),
            rate(m.copyPump),
            round(m.copyPlain / m.copyPump, 2),
          ],
          [size, '**usage ingest, HTTP** (`POST /ingest/tyk`, JSON array)', round(m.http, 1), rate(m.http), round(m.copyPlain / m.http, 2)],
          [
            size,
            'usage ingest, in-process (`ingestAnalytics`, no HTTP/JSON)',
            round(m.core, 1),
            rate(m.core),
            round(m.copyPlain / m.core, 2),
          ],
          [
            size,
            'same batch again over HTTP (all duplicates)',
            round(m.duplicate, 1),
            rate(m.duplicate),
            round(m.copyPlain / m.duplicate, 2),
          ],
        );
        ctx.log(
          `  ${size}: COPY ${rate(m.copyPlain)}/s, HTTP ingest ${rate(m.http)}/s, in-process ${rate(m.core)}/s; server phases ${JSON.stringify(serverMs)}`,
        );
        phaseRows.push([size, ...PHASES.map((name) => serverMs[name] ?? '')]);
      }
    } finally {
      await orm.close(true);
      await db.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await db.end();
    }
    const ten = figures.batch10000 as { httpVsCopy: number };
    const one = figures.batch1000 as { httpVsCopy: number };
    for (const [size, f] of [
      [1000, one],
      [10_000, ten],
    ] as const) {
      if (f.httpVsCopy < 0.5) warnings.push(`batch of ${size}: HTTP ingest reaches ${f.httpVsCopy}× raw COPY (aim: ≥ 0.5×)`);
    }
    const markdown = [
      table(['batch', 'path', 'median ms', 'records/s', '× raw COPY'], rows),
      '',
      'Where the HTTP ingest’s time goes inside the usage subgraph (median ms per phase, from `timingsMs` of the answer; the rest of the request is reading the body and JSON):',
      '',
      table(['batch', ...PHASES], phaseRows),
      '',
      `Median of several runs per size, every run with fresh records (timestamps a microsecond apart) of ${credentials.length} credentials (95 % 2xx, 2 % 404, 1 % 500, 1 % 429); HTTP times include JSON encoding and the round trip, COPY times include building the COPY text. ` +
        'Each ingested record is stored once (partitioned raw table, unique on its identity hash) and counted in 15 rollup rows (credential, app, organization, product, plan × minute, hour, day) and its quota window, in one transaction per batch. COPY is `COPY … FROM STDIN` in text format over node-postgres’ protocol messages, the whole batch in one CopyData message (the ingest itself writes its raw rows with a binary COPY through pg-copy-streams).',
    ].join('\n');
    const targets = [
      targetCheck('usage ingest over HTTP ÷ raw COPY of the same rows, batches of 1,000', one.httpVsCopy, { atLeast: 0.5 }),
      targetCheck('same, batches of 10,000', ten.httpVsCopy, { atLeast: 0.5 }),
    ];
    return { figures, markdown, warnings, targets };
  },
};
