import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { SUBGRAPH_NAMES } from '../common/config';
import { buildDist } from './helpers/build';
import { testDatabaseUrl, unique } from './helpers/db';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { OtlpReceiver, type ReceivedSpan } from './helpers/otlp';
import { freePort } from './helpers/ports';
import { parseMetrics, valueOf, type Sample } from './helpers/prometheus';
import { waitFor } from './helpers/wait';
import { Seed } from './kit/seed';
import { TykTestServer, type AnalyticsRow } from './tyk/server';

const PROCESSES = ['gateway', ...SUBGRAPH_NAMES] as const;
type ProcessName = (typeof PROCESSES)[number];
/** Started without any OTEL_* variable, as a process is by default: it must not trace. */
const UNTRACED: ProcessName = 'products';
const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

/**
 * What operators see of the platform, with every process real (`node dist/scripts/start-one.js`,
 * as production runs them) and a real OTLP/HTTP receiver (JSON encoding) in this test:
 *
 * - one `requestAccess` through the gateway is one trace across four processes — the gateway's
 *   operation, the developers subgraph's request and its SQL, the `provider.issueKey` job that
 *   request enqueued, and the provider's call to the Tyk test server — every span's parent in the
 *   trace; a subscription's trace reaches the subgraph over graphql-ws;
 * - tracing is off in a process started without an OTLP endpoint (the products subgraph here);
 * - `/metrics` answers on every process, and its numbers move with what happens: records
 *   ingested, a subscription opened and closed, the quota warning it delivers, queued jobs, the
 *   provider's sync state; neither spans nor metrics carry a subject, a token or a key.
 */
describe('operators can see inside the platform (traces across real processes, /metrics on each)', () => {
  let receiver: OtlpReceiver;
  let tyk: TykTestServer;
  let db: pg.Client;
  let seed: Seed;
  let gatewayUrl: string;
  const children = new Map<ProcessName, ChildProcess>();
  const logs = new Map<ProcessName, string>();
  const ports = {} as Record<ProcessName, number>;
  const clients: Client[] = [];
  const rows: AnalyticsRow[] = [];
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();
  const ids: Record<string, string> = {};
  const apiId = unique('api');
  let secret = '';

  const origin = (name: ProcessName) => `http://127.0.0.1:${ports[name]}`;
  const scrape = async (name: ProcessName): Promise<{ status: number; type: string | null; text: string }> => {
    const response = await fetch(`${origin(name)}/metrics`);
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const metrics = async (name: ProcessName): Promise<Sample[]> => parseMetrics((await scrape(name)).text);
  const metric = async (name: ProcessName, metricName: string, labels: Record<string, string> = {}) =>
    valueOf(await metrics(name), metricName, labels);

  async function mutate(name: string, inputType: string, select: string, input: Record<string, unknown>, identity: Identity = admin) {
    const response = await gatewayRequest(
      gatewayUrl,
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (response.errors?.length || response.data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(response)}`);
    return response.data[name];
  }

  function start(name: ProcessName, dist: string, env: NodeJS.ProcessEnv): void {
    const child = spawn(process.execPath, [path.join(dist, 'scripts', 'start-one.js'), name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => logs.set(name, `${logs.get(name) ?? ''}${chunk}`.slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.set(name, child);
  }

  async function ready(name: ProcessName, probe: string): Promise<void> {
    await waitFor(
      async () => {
        if (children.get(name)!.exitCode !== null) throw new Error(`${name} exited:\n${logs.get(name)}`);
        return (await fetch(`${origin(name)}${probe}`)).ok;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `the ${name} process to be ready` },
    );
  }

  beforeAll(async () => {
    const dist = await buildDist();
    receiver = await OtlpReceiver.start();
    tyk = await TykTestServer.start({ onAnalytics: (row) => void rows.push(row) });
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    for (const name of PROCESSES) ports[name] = await freePort();

    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OTEL_') && key !== 'PORT') env[key] = value;
    Object.assign(env, { DATABASE_URL: testDatabaseUrl(), HOST: '127.0.0.1', LOG_LEVEL: 'warn', USAGE_TAIL_INTERVAL_SECONDS: '0' });
    for (const name of PROCESSES) env[`${name.toUpperCase()}_PORT`] = String(ports[name]);
    for (const name of SUBGRAPH_NAMES) env[`SUBGRAPH_${name.toUpperCase()}_URL`] = `${origin(name)}/graphql`;
    const traced = {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    // The provider's periodic sync, a delayed job, runs within the test (every 5 s, the least allowed).
    for (const name of SUBGRAPH_NAMES)
      start(name, dist, name === UNTRACED ? env : name === 'provider' ? { ...traced, PROVIDER_SYNC_INTERVAL_SECONDS: '5' } : traced);
    await Promise.all(SUBGRAPH_NAMES.map((name) => ready(name, '/readyz')));
    start('gateway', dist, traced);
    await ready('gateway', '/readyz');
    gatewayUrl = `${origin('gateway')}/graphql`;

    seed = new Seed(gatewayUrl, admin);
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    ids.provider = await seed.provider(tyk);
    ids.catalog = await seed.catalog();
    ids.product = await seed.product({ tykApiIds: [apiId], catalogIds: [ids.catalog] });
    ids.plan = await seed.plan({
      catalogIds: [ids.catalog],
      quota: { requests: 10, period: 'HOUR' },
      rateLimit: null,
      autoApprove: true,
    });
    ids.org = await seed.organization(dave.sub);
    ids.app = (await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId: ids.org, name: unique('app') }, dave)).app.id;
  }, 300_000);

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
          }),
      ),
    );
    await db?.end();
    await tyk?.stop();
    await receiver?.stop();
  }, 60_000);

  /** Every span of the trace whose parent is in it, and the spans above `span` (nearest first). */
  const ancestors = (trace: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] => {
    const chain: ReceivedSpan[] = [];
    for (let current = span; current.parentSpanId;) {
      const parent = trace.find((s) => s.spanId === current.parentSpanId);
      if (!parent) break;
      chain.push(parent);
      current = parent;
    }
    return chain;
  };
  const isSql = (span: ReceivedSpan) => span.attributes['db.system'] === 'postgresql' || span.attributes['db.system.name'] === 'postgresql';

  it('follows one requestAccess as one trace: gateway → developers → SQL → job → provider → Tyk', async () => {
    const response = await gatewayRequest(
      gatewayUrl,
      `mutation ObservabilityRequestAccess($i: RequestAccessInput!) {
        requestAccess(input: $i) { accessRequest { status } credential { id } secret errors { code } }
      }`,
      { i: { appId: ids.app, planId: ids.plan, productIds: [ids.product] } },
      dave,
    );
    expect(response.data.requestAccess).toMatchObject({ accessRequest: { status: 'APPROVED' }, errors: [] });
    secret = response.data.requestAccess.secret;
    ids.credential = response.data.requestAccess.credential.id;

    const operation = await waitFor(
      () =>
        receiver.spans.find(
          (s) =>
            s.service === 'plangraph-gateway' &&
            s.name === 'mutation ObservabilityRequestAccess' &&
            s.attributes['graphql.operation.name'] === 'ObservabilityRequestAccess',
        ),
      { timeoutMs: 30_000, intervalMs: 100, what: 'the gateway’s span of the operation' },
    );
    const tykPort = String(new URL(tyk.url).port);
    const tykCall = (s: ReceivedSpan) =>
      s.service === 'plangraph-provider' && s.kind === CLIENT && String(s.attributes['url.full'] ?? '').startsWith(`${tyk.url}/tyk/keys/`);
    // Spans arrive in batches from four processes, children before their parents: wait for the whole chain.
    const trace = await waitFor(
      () => {
        const spans = receiver.trace(operation.traceId);
        const complete =
          spans.some(tykCall) &&
          spans.some((s) => s.name === 'job provider.issueKey') &&
          spans.some((s) => s.name === 'job developers.keyIssued') &&
          spans.filter((s) => !s.parentSpanId).length === 1 &&
          spans.every((s) => !s.parentSpanId || spans.some((p) => p.spanId === s.parentSpanId));
        return complete ? spans : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the whole trace of requestAccess' },
    );

    // One trace across the processes, rooted at the gateway; every other span's parent is in it.
    const services = new Set(trace.map((s) => s.service));
    for (const service of ['plangraph-gateway', 'plangraph-developers', 'plangraph-provider']) expect(services).toContain(service);
    expect(trace.some((s) => s.service === `plangraph-${UNTRACED}`)).toBe(false);
    const [root] = trace.filter((s) => !s.parentSpanId);
    expect(root!.service).toBe('plangraph-gateway');
    expect(root!.kind).toBe(SERVER);

    // The gateway's operation calls the developers subgraph, whose request span is its child.
    const subgraphCall = trace.find((s) => s.service === 'plangraph-gateway' && s.attributes['graphql.subgraph.name'] === 'developers');
    expect(subgraphCall).toBeDefined();
    expect(ancestors(trace, subgraphCall!)).toContain(operation);
    const developers = trace.find(
      (s) => s.service === 'plangraph-developers' && s.kind === SERVER && s.attributes['graphql.operation.type'] === 'mutation',
    );
    expect(developers).toBeDefined();
    expect(ancestors(trace, developers!)).toContain(subgraphCall);
    expect(developers!.attributes['plangraph.subgraph']).toBe('developers');

    // Its SQL, within its request.
    const sql = trace.filter((s) => s.service === 'plangraph-developers' && isSql(s));
    expect(sql.length).toBeGreaterThan(0);
    for (const span of sql) expect(ancestors(trace, span)).toContain(developers);
    // MikroORM inlines values into its statements: what is exported is their shape, every literal a `?`.
    const statements = sql.map((s) => String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? ''));
    expect(statements.some((text) => /\bwhere\b.*= \?/s.test(text))).toBe(true);
    for (const text of statements) expect(text).not.toMatch(/'/);
    for (const span of trace) expect(Object.keys(span.attributes).filter((key) => key.startsWith('db.query.parameter'))).toEqual([]);

    // The job the request enqueued in its transaction continues its trace in the provider process.
    const job = trace.find((s) => s.name === 'job provider.issueKey')!;
    expect(job.service).toBe('plangraph-provider');
    expect(job.kind).toBe(CONSUMER);
    expect(job.attributes['plangraph.job.task']).toBe('provider.issueKey');
    expect(ancestors(trace, job)).toContain(developers);
    expect(trace.some((s) => s.service === 'plangraph-provider' && isSql(s) && ancestors(trace, s).includes(job))).toBe(true);

    // …and calls Tyk: an HTTP client span to the test server, the key's id (its secret) not in the URL.
    const call = trace.find(tykCall)!;
    expect(ancestors(trace, call)).toContain(job);
    expect(call.attributes['url.full']).toBe(`${tyk.url}/tyk/keys/:id`);
    expect(String(call.attributes['server.port'])).toBe(tykPort);

    // Then it tells the developers subgraph the key exists: a job of its own, in the same trace.
    const issued = trace.find((s) => s.name === 'job developers.keyIssued')!;
    expect(issued.service).toBe('plangraph-developers');
    expect(ancestors(trace, issued)).toContain(job);

    // No subject, secret or token left any process in a span.
    const exported = receiver.bodies.join('\n');
    expect(secret).toMatch(/^pgk_/);
    for (const forbidden of [secret, dave.sub, admin.sub, 'Bearer ', 'eyJ']) expect(exported).not.toContain(forbidden);
  }, 120_000);

  it('traces a delayed job (the periodic provider sync) as a trace of its own, with its calls to Tyk', async () => {
    const sync = await waitFor(
      () =>
        receiver.spans.find(
          (s) =>
            s.name === 'job provider.syncProvider' &&
            receiver
              .trace(s.traceId)
              .some((c) => c.parentSpanId === s.spanId && c.kind === CLIENT && String(c.attributes['url.full']).startsWith(tyk.url)),
        ),
      { timeoutMs: 30_000, intervalMs: 200, what: 'a periodic provider sync with its calls to Tyk' },
    );
    expect(sync.parentSpanId).toBeNull();
    expect(sync.service).toBe('plangraph-provider');
  });

  it('keeps tracing off in a process started without an OTLP endpoint', async () => {
    // The gateway traced its calls to the products subgraph (seeding went through it)…
    expect(receiver.spans.some((s) => s.service === 'plangraph-gateway' && s.attributes['graphql.subgraph.name'] === UNTRACED)).toBe(true);
    // …which exported nothing, though it got their traceparent headers.
    expect(receiver.spans.filter((s) => s.service === `plangraph-${UNTRACED}` || s.resource['plangraph.process'] === UNTRACED)).toEqual([]);
  });

  it('serves /metrics on every process: default process metrics, its own, and no subject, token or key', async () => {
    for (const name of PROCESSES) {
      const { status, type, text } = await scrape(name);
      expect({ name, status }).toEqual({ name, status: 200 });
      expect(type).toMatch(/^text\/plain/);
      const samples = parseMetrics(text);
      expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // The gateway's per-operation metrics (Hive's names); each subgraph's queue of its own tasks.
      const own = name === 'gateway' ? 'graphql_envelop_request' : 'plangraph_jobs';
      expect({ name, own: samples.some((s) => s.name === own) }).toEqual({ name, own: true });
      for (const forbidden of [dave.sub, admin.sub, secret || 'pgk_', 'eyJ']) expect(text).not.toContain(forbidden);
    }
    // Rate, errors and latency per operation: the gateway per subgraph call, each subgraph its own.
    const gateway = await metrics('gateway');
    expect(valueOf(gateway, 'graphql_envelop_request', { operationName: 'ObservabilityRequestAccess' })).toBe(1);
    expect(
      valueOf(gateway, 'graphql_gateway_subgraph_execute_duration_count', { subgraphName: 'developers', operationType: 'mutation' }),
    ).toBeGreaterThanOrEqual(1);
    const developers = await metrics('developers');
    expect(
      valueOf(developers, 'plangraph_graphql_request_duration_seconds_count', { operation_type: 'mutation', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(2); // createApp, requestAccess
    // The provider's job ran, and its sync state shows the key and the plan in Tyk (once their jobs have committed).
    const provider = await waitFor(
      async () => {
        const samples = await metrics('provider');
        const synced = (kind: string) => valueOf(samples, 'plangraph_provider_sync_objects', { kind, status: 'SYNCED' });
        return synced('credential') === 1 && synced('plan') === 1 && synced('product') === 1 ? samples : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the credential, plan and product SYNCED in the provider’s metrics' },
    );
    expect(valueOf(provider, 'plangraph_job_runs_total', { task: 'provider.issueKey', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(provider, 'plangraph_provider_sync_objects', { kind: 'credential', status: 'FAILED' })).toBe(0);
  });

  it('moves with what happens: a subscription, ingested records, the quota warning it delivers, queued jobs', async () => {
    await waitFor(() => tyk.keys.size === 1, { timeoutMs: 30_000, what: 'the key in the Tyk test server' });
    const usageBefore = await metrics('usage');
    const gatewayBefore = await metrics('gateway');

    // A subscription through the gateway is open in the gateway and in the usage subgraph…
    const client = createClient({
      url: `ws://127.0.0.1:${ports.gateway}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(dave)}` },
    });
    clients.push(client);
    const events: unknown[] = [];
    client.subscribe(
      {
        query: `subscription ObservabilityWarnings($org: ID!) { quotaWarnings(organizationId: $org) { kind thresholdPercent used limit } }`,
        variables: { org: ids.org },
      },
      { next: (result) => void events.push(result), error: (error) => void events.push({ error }), complete: () => undefined },
    );
    const open = { subscription: 'quotaWarnings' };
    await waitFor(async () => (await metric('usage', 'plangraph_subscriptions_open', open)) === 1, {
      timeoutMs: 30_000,
      what: 'the subscription in usage',
    });
    expect(await metric('gateway', 'plangraph_subscriptions_open', open)).toBe(1);
    // …and its start in the subgraph continues the gateway's trace over graphql-ws.
    await waitFor(
      () => {
        const started = receiver.spans.find((s) => s.service === 'plangraph-usage' && s.name === 'subscription quotaWarnings');
        return (
          started && receiver.trace(started.traceId).some((s) => s.service === 'plangraph-gateway' && s.spanId === started.parentSpanId)
        );
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription’s span in usage, a child of the gateway’s' },
    );

    // Eight calls through Tyk with the key (80 % of the plan's 10 an hour), ingested as Tyk Pump sends them.
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${tyk.url}/${apiId}/forecast`, { headers: { authorization: secret } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const ingest = await fetch(`${origin('usage')}/ingest/tyk`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
      },
      body: rows.map((row) => JSON.stringify(row)).join('\n'),
    });
    expect(await ingest.json()).toMatchObject({ accepted: 8, rejected: [], unmatched: 0, warnings: 1 });
    await waitFor(() => events.length === 1, { timeoutMs: 10_000, what: 'the quota warning at the subscriber' });
    expect(events[0]).toEqual({ data: { quotaWarnings: { kind: 'SOFT', thresholdPercent: 80, used: 8, limit: 10 } } });

    const usage = await metrics('usage');
    const moved = (name: string, labels: Record<string, string>) => valueOf(usage, name, labels) - valueOf(usageBefore, name, labels);
    expect(moved('plangraph_usage_ingest_records_total', { source: 'http', outcome: 'accepted' })).toBe(8);
    expect(moved('plangraph_usage_ingest_records_total', { source: 'http', outcome: 'rejected' })).toBe(0);
    expect(moved('plangraph_quota_warnings_raised_total', { source: 'http' })).toBe(1);
    expect(moved('plangraph_subscription_events_delivered_total', open)).toBe(1);
    await waitFor(
      async () =>
        (await metric('gateway', 'plangraph_subscription_events_delivered_total', open)) -
          valueOf(gatewayBefore, 'plangraph_subscription_events_delivered_total', open) ===
        1,
      { timeoutMs: 30_000, what: 'the event counted at the gateway' },
    );

    // Closed by the client: gone from both gauges.
    await client.dispose();
    await waitFor(
      async () =>
        (await metric('usage', 'plangraph_subscriptions_open', open)) === 0 &&
        (await metric('gateway', 'plangraph_subscriptions_open', open)) === 0,
      { timeoutMs: 30_000, what: 'the closed subscription to leave the gauges' },
    );

    // Jobs in the queue: a plan change due in an hour, and a job due five minutes ago that no worker runs.
    const planKey = `plan:${unique('probe')}`;
    const strayKey = unique('stray');
    const jobsBefore = await metrics('provider');
    await db.query(
      `select graphile_worker.add_job('provider.syncPlan', json_build_object('planId', gen_random_uuid()), run_at := now() + interval '1 hour', job_key := $1)`,
      [planKey],
    );
    await db.query(
      `select graphile_worker.add_job('provider.observabilityProbe', '{}'::json, run_at := now() - interval '5 minutes', job_key := $1)`,
      [strayKey],
    );
    try {
      const jobs = await metrics('provider');
      const scheduled = { task: 'provider.syncPlan', state: 'scheduled' };
      expect(valueOf(jobs, 'plangraph_jobs', scheduled) - valueOf(jobsBefore, 'plangraph_jobs', scheduled)).toBe(1);
      expect(valueOf(jobs, 'plangraph_jobs', { task: 'provider.observabilityProbe', state: 'queued' })).toBe(1);
      expect(valueOf(jobs, 'plangraph_jobs_oldest_runnable_age_seconds', { task: 'provider.observabilityProbe' })).toBeGreaterThanOrEqual(
        299,
      );
      // A plan change not in the provider yet: pending, with its age.
      const pending = (samples: Sample[]) => valueOf(samples, 'plangraph_provider_sync_pending', { kind: 'plan' });
      expect(pending(jobs)).toBeGreaterThanOrEqual(pending(jobsBefore) + 1);
      expect(valueOf(jobs, 'plangraph_provider_sync_lag_seconds', { kind: 'plan' })).toBeGreaterThan(0);
      // Another subgraph reports its own tasks only.
      expect((await metrics('developers')).filter((s) => s.name === 'plangraph_jobs' && !s.labels.task!.startsWith('developers.'))).toEqual(
        [],
      );
    } finally {
      await db.query('select graphile_worker.remove_job($1), graphile_worker.remove_job($2)', [planKey, strayKey]);
    }
  }, 120_000);
});
