import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../common/server';
import { createLogger } from '../common/logger';
import { SUBGRAPHS } from '../scripts/subgraphs';
import { planPolicyId } from '../subgraphs/provider/tyk/bodies';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { freePort } from './helpers/ports';
import { TcpProxy } from './helpers/tcp-proxy';
import { waitFor } from './helpers/wait';
import { buildDist } from './helpers/build';
import { TykTestServer } from './tyk/server';

/**
 * Background work survives what production does to it: the database restarting under jobs in
 * flight, and a worker process killed (`kill -9`) in the middle of a job. Every queued plan
 * change, key issue and revocation still reaches Tyk, and no process is restarted by hand.
 *
 * The subgraphs of the platform run no provider jobs here (JOB_CONCURRENCY=0 on provider, an
 * API-only replica); provider replicas that do are started beside them, in this process or as a
 * real child process, so the test decides which worker holds a job.
 */
describe('background work survives database restarts and crashes', () => {
  const LOCK_TIMEOUT_SECONDS = 2;
  const jobEnv = { JOB_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS), LOG_LEVEL: 'warn' };
  let platform: TestPlatform;
  let proxy: TcpProxy;
  let proxiedUrl: string;
  let tyk: TykTestServer;
  let db: pg.Client;
  let fixtures: Fixtures;
  let replica: RunningSubgraph | null = null;
  let child: ChildProcess | null = null;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();
  const ids: Record<string, string> = {};
  const ids_ = ids;
  const planIds: string[] = [];

  const gql = async (query: string, variables: Record<string, unknown>, identity: Identity | null = admin) => {
    const r = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity = admin) => {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  };
  const requestKey = async (appName: string): Promise<string> => {
    const app = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: appName }, 'app { id }', dave)).app.id;
    const granted = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: app, planId: ids.keyPlan, productIds: [ids.product] },
      'accessRequest { status credential { id } }',
      dave,
    );
    expect(granted.accessRequest.status).toBe('APPROVED');
    return granted.accessRequest.credential.id;
  };
  const credentialSync = async (id: string) =>
    (await gql(`query($id: ID!) { credential(id: $id) { sync { status externalId attempts pendingSince nextAttemptAt stuck } } }`, { id }))
      .credential.sync;
  const keyInTyk = async (credentialId: string) => {
    const sync = await credentialSync(credentialId);
    return sync.status === 'SYNCED' && sync.externalId !== null && [...tyk.keys.keys()].some((hash) => hash.startsWith(sync.externalId));
  };
  /**
   * This suite's provider jobs (graphile-worker) as the database sees them, read past the proxy:
   * those whose job key names one of its plans, products, credentials or its provider (other
   * suites may share the database).
   */
  const providerJobs = async () => {
    const ids = [ids_.provider, ids_.product, ids_.keyPlan, ids_.earlier, ids_.during, ...planIds].filter(Boolean);
    return (
      await db.query<{ key: string | null; attempts: number; max_attempts: number; locked_by: string | null }>(
        `select key, attempts, max_attempts, locked_by from graphile_worker.jobs
          where task_identifier like 'provider.%' and task_identifier <> 'provider.syncProvider'
            and exists (select 1 from unnest($1::text[]) as id where key like '%' || id || '%')`,
        [ids],
      )
    ).rows;
  };
  const startReplica = (url: string) =>
    startSubgraph(SUBGRAPHS.provider!, {
      databaseUrl: url,
      port: 0,
      log: createLogger('provider'),
      env: { ...process.env, ...jobEnv, JOB_CONCURRENCY: '4' },
    });

  beforeAll(async () => {
    const url = new URL(testDatabaseUrl());
    proxy = await TcpProxy.start(url.hostname, Number(url.port));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    proxiedUrl = url.toString();
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    platform = await startPlatform({ databaseUrl: proxiedUrl, subgraphEnv: jobEnv, envOf: { provider: { JOB_CONCURRENCY: '0' } } });
    replica = await startReplica(proxiedUrl);
    tyk = await TykTestServer.start();
    fixtures = new Fixtures(platform.gatewayUrl, admin);
    ids.provider = await fixtures.provider(tyk);
    ids.catalog = await fixtures.catalog();
    ids.product = await fixtures.product({ catalogIds: [ids.catalog] });
    ids.keyPlan = await fixtures.plan({ name: unique('keys'), catalogIds: [ids.catalog], autoApprove: true });
    for (let i = 0; i < 3; i++) planIds.push(await fixtures.plan({ name: unique('edited'), catalogIds: [ids.catalog] }));
    // Every plan and product is bound to this suite's provider, whatever other suites make default.
    for (const planId of [ids.keyPlan, ...planIds])
      await mutate('assignProvider', 'AssignProviderInput', { planId, providerId: ids.provider }, 'sync { status }');
    await mutate('assignProvider', 'AssignProviderInput', { productId: ids.product, providerId: ids.provider }, 'sync { status }');
    await mutate('registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dave' }, 'developer { subject }', dave);
    ids.org = await fixtures.organization(dave.sub);
    ids.earlier = await requestKey('earlier app');
    await waitFor(() => keyInTyk(ids.earlier), { timeoutMs: 60_000, intervalMs: 200, what: 'the first key in Tyk' });
  }, 180_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await proxy?.up();
    await replica?.stop();
    await platform?.stop();
    await tyk?.stop();
    await proxy?.stop();
    await db?.end();
  }, 60_000);

  it('delivers every change queued before a 10-second database outage, without restarting a process', async () => {
    tyk.slow(1500);
    // Changes queued while the provider is slow: plan edits (one edited again while its first
    // sync runs, which supersedes it), a new key and a revocation.
    const quotaOf = (planId: string) => 2000 + planIds.indexOf(planId);
    for (const planId of planIds) {
      await mutate('updatePlan', 'UpdatePlanInput', { id: planId, quota: { requests: 1500, period: 'DAY' } }, 'plan { id }');
    }
    await waitFor(async () => (await providerJobs()).some((job) => job.locked_by !== null), { what: 'a provider job to be running' });
    for (const planId of planIds) {
      await mutate('updatePlan', 'UpdatePlanInput', { id: planId, quota: { requests: quotaOf(planId), period: 'DAY' } }, 'plan { id }');
    }
    ids.during = await requestKey('queued app');
    const earlierPrefix = (await credentialSync(ids.earlier)).externalId as string;
    const earlierHash = [...tyk.keys.keys()].find((hash) => hash.startsWith(earlierPrefix))!;
    expect(earlierHash).toEqual(expect.any(String));
    await mutate('revokeCredential', 'RevokeCredentialInput', { id: ids.earlier }, 'credential { status }', dave);

    // A change not yet in the provider is never SYNCED: it shows how long it has waited.
    const pending = (await gql(`query($id: ID!) { plan(id: $id) { sync { status pendingSince stuck } } }`, { id: planIds[0] })).plan.sync;
    expect(pending.status).not.toBe('SYNCED');
    expect(pending.pendingSince).toEqual(expect.any(String));
    expect(pending.stuck).toBe(false);

    await waitFor(async () => (await providerJobs()).some((job) => job.locked_by !== null), { what: 'jobs in flight before the cut' });
    const cutAt = Date.now();
    await proxy.down();

    // During the outage: a retryable error, and nobody claims to be ready.
    const during = await gatewayRequest(platform.gatewayUrl, `{ products(first: 1) { totalCount } }`, {}, developer());
    expect(during.errors?.length).toBeGreaterThan(0);
    for (const error of during.errors!)
      expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfter: expect.any(Number) });
    const base = platform.gatewayUrl.replace(/\/graphql$/, '');
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503, { what: 'the gateway to report not ready' });
    expect((await fetch(replica!.url.replace(/\/graphql$/, '/readyz'))).status).toBe(503);
    // The usage ingest endpoint says the same to its senders: 503 with Retry-After.
    const ingest = await fetch(platform.subgraphs.usage!.url.replace(/\/graphql$/, '/ingest/tyk'), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        authorization: `Bearer ${tokenFor({ sub: 'tyk-pump-forwarder', roles: ['service'] })}`,
      },
      body: JSON.stringify({
        timestamp: new Date().toISOString(),
        api_key: 'abcdef0123456789',
        api_id: 'api',
        org_id: tyk.orgId,
        method: 'GET',
        path: '/x',
        raw_path: '/x',
        response_code: 200,
        request_time: 3,
      }),
    });
    expect(ingest.status).toBe(503);
    expect(ingest.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await ingest.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });

    await waitFor(() => Date.now() - cutAt >= 10_000, { timeoutMs: 15_000, intervalMs: 100, what: 'the 10-second outage to pass' });
    tyk.heal();
    await proxy.up();

    // Everything queued reaches Tyk within a minute of the database's return.
    await waitFor(() => planIds.every((planId) => tyk.policy(planPolicyId(planId))?.quota_max === quotaOf(planId)), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: 'every plan change to reach Tyk',
    });
    await waitFor(() => keyInTyk(ids.during), { timeoutMs: 60_000, intervalMs: 250, what: 'the queued key to be issued' });
    await waitFor(() => !tyk.keys.has(earlierHash), { timeoutMs: 60_000, intervalMs: 250, what: 'the revoked key to be deleted' });

    // The same processes did it: the job runners restarted themselves.
    expect(replica!.jobs!.restarts).toBeGreaterThanOrEqual(1);
    // No job is left behind: none locked, none failed for good (superseded ones ended cleanly).
    await waitFor(async () => (await providerJobs()).length === 0, {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'the provider queue to drain',
    });
    await waitFor(
      async () =>
        (
          await db.query(
            `select 1 from graphile_worker.jobs where key is null and attempts >= max_attempts and locked_at is null and task_identifier like 'provider.%'`,
          )
        ).rowCount === 0,
      { timeoutMs: 30_000, intervalMs: 250, what: 'no superseded job left as a failed row' },
    );
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { timeoutMs: 15_000, what: 'the gateway to be ready again' });
    for (const planId of planIds) {
      const sync = (await gql(`query($id: ID!) { plan(id: $id) { sync { status pendingSince stuck } } }`, { id: planId })).plan.sync;
      expect(sync).toEqual({ status: 'SYNCED', pendingSince: null, stuck: false });
    }
  }, 180_000);

  it('gives the job of a killed worker process to another replica within the lock timeout, never while it lives', async () => {
    await proxy.up();
    await replica!.stop();
    replica = null;
    const dist = await buildDist();
    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, [path.join(dist, 'scripts', 'start-one.js'), 'provider'], {
      // The key's call to Tyk hangs on purpose: it must outlast the observation below, however slow the machine.
      env: {
        ...process.env,
        ...jobEnv,
        DATABASE_URL: testDatabaseUrl(),
        PROVIDER_PORT: String(port),
        HOST: '127.0.0.1',
        JOB_CONCURRENCY: '4',
        PROVIDER_HTTP_TIMEOUT_MS: '600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `the child replica to be ready\n${output.slice(-2000)}`,
    });

    tyk.slow(120_000); // the child's call to create the key hangs: the job stays in flight
    const credentialId = await requestKey('killed app');
    const holder = await waitFor(
      async () => {
        const { rows } = await db.query<{ locked_by: string }>(
          `select j.locked_by from graphile_worker.jobs j join platform.job_worker w on w.worker_id = j.locked_by where j.key = $1 and w.pid = $2`,
          [`key:${credentialId}`, child!.pid],
        );
        return rows[0]?.locked_by;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the child to hold the key job' },
    );

    // A second replica runs beside it; while the child lives, its job is not taken from it.
    replica = await startReplica(testDatabaseUrl());
    const watchUntil = Date.now() + 3 * LOCK_TIMEOUT_SECONDS * 1000;
    while (Date.now() < watchUntil) {
      const { rows } = await db.query<{ locked_by: string | null }>('select locked_by from graphile_worker.jobs where key = $1', [
        `key:${credentialId}`,
      ]);
      expect(rows).toEqual([{ locked_by: holder }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Meanwhile its sync state tells the truth: pending, since when, with its attempt.
    const waiting = await credentialSync(credentialId);
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1, pendingSince: expect.any(String), nextAttemptAt: null });

    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = null;
    tyk.heal();
    await waitFor(() => keyInTyk(credentialId), { timeoutMs: 60_000, intervalMs: 100, what: 'the other replica to issue the key' });
    const recoveredInMs = Date.now() - killedAt;
    // Bound: the lock timeout, a heartbeat period, a poll and the key's own work, with room for a busy machine.
    expect(recoveredInMs).toBeLessThan(LOCK_TIMEOUT_SECONDS * 1000 + 20_000);
    expect((await db.query('select 1 from graphile_worker.jobs where key = $1', [`key:${credentialId}`])).rowCount).toBe(0);
  }, 180_000);
});
