import http from 'node:http';
import net from 'node:net';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { SUBGRAPH_NAMES } from '../common/config';
import { CLOSE_SERVICE_RESTART } from '../common/drain';
import { SUBSCRIPTION_INTERRUPTED } from '../gateway/upstream-subscriptions';
import { planPolicyId } from '../subgraphs/provider/tyk/bodies';
import { startReplicas, type PlatformProcess, type ProcessName, type Replicas } from './helpers/replicas';
import { TcpBalancer } from './helpers/balancer';
import { describeWithRedis } from './helpers/services';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { Seed } from './kit/seed';
import { TykTestServer } from './tyk/server';

/**
 * Two replicas of every process — two gateways and two of each subgraph — on one database, as
 * production runs them: real `start-one.js` processes, each pair behind a round-robin TCP
 * balancer (test/helpers/balancer.ts), the gateways reaching the subgraphs through the
 * subgraphs' balancers. One topology for the whole file (twelve processes are heavy).
 */
describe('two replicas of every process on one database', () => {
  const LOCK_TIMEOUT_SECONDS = 5;
  const GRACE_SECONDS = 20;
  let r: Replicas;
  let tyk: TykTestServer;
  let db: pg.Client;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();
  const opened: Array<{ stop(): Promise<void> }> = [];
  let orgId: string;
  let productId: string;
  /** Manual approval: each request stays PENDING and is one REQUESTED event. */
  let manualPlanId: string;
  /** Auto-approve: each request issues a credential, and its key in Tyk through a provider job. */
  let keyPlanId: string;

  const direct = (p: PlatformProcess) => `http://127.0.0.1:${p.port}/graphql`;

  async function gql(url: string, query: string, variables: Record<string, unknown>, identity: Identity | null = admin) {
    const response = await gatewayRequest(url, query, variables, identity);
    if (response.status !== 200 || response.errors) throw new Error(`HTTP ${response.status}: ${JSON.stringify(response.errors)}`);
    return response.data;
  }

  async function mutate(url: string, name: string, inputType: string, input: Record<string, unknown>, select: string, identity = dave) {
    const data = await gql(
      url,
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

  const createApp = async (url: string, name = unique('app')): Promise<string> =>
    (await mutate(url, 'createApp', 'CreateAppInput', { organizationId: orgId, name }, 'app { id }')).app.id;

  /** An access request for `appId` on `planId`; its id and status. */
  const requestAccess = async (url: string, appId: string, planId: string) =>
    (
      await mutate(
        url,
        'requestAccess',
        'RequestAccessInput',
        { appId, planId, productIds: [productId] },
        'accessRequest { id status credential { id } }',
      )
    ).accessRequest as { id: string; status: string; credential: { id: string } | null };

  /** POSTs that create a Tyk key (`/tyk/keys/{id}`, not `/tyk/keys/policy/…`). */
  const keyWrites = () => tyk.requests.filter((q) => q.method === 'POST' && /^\/tyk\/keys\/[^/]+$/.test(q.path)).length;

  const keyInTyk = async (credentialId: string) => {
    const data = await gql(r.gateway.url, `query($id: ID!) { credential(id: $id) { sync { status externalId } } }`, { id: credentialId });
    const sync = data.credential.sync;
    return sync.status === 'SYNCED' && sync.externalId !== null && [...tyk.keys.keys()].some((hash) => hash.startsWith(sync.externalId));
  };

  /** Ids of the stored access-request events of the organization after `afterId`, in order. */
  async function storedEvents(afterId: string): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `select e.id::text as id from platform.event e
        where e.topic = 'accessRequestEvents' and e.payload->>'organizationId' = $1 and e.id > $2::bigint order by e.id`,
      [orgId, afterId],
    );
    return rows.map((row) => row.id);
  }

  async function lastEventId(): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `select coalesce(max(id), 0)::text as id from platform.event where topic = 'accessRequestEvents'`,
    );
    return rows[0]!.id;
  }

  /**
   * A client of the organization's access-request events, written as docs/CLIENTS.md advises: it
   * keeps the cursor of the last event as `after` in the subscription it sends, so graphql-ws's
   * own reconnect (after a 1012) resumes where it stopped; and when the gateway ends the
   * subscription because the subgraph behind it restarted, it subscribes again from that cursor.
   */
  function subscriber(url: string, after: string | null) {
    const closes: number[] = [];
    const interruptions: unknown[] = [];
    const problems: unknown[] = [];
    const events: { id: string; cursor: string; accessRequestId: string }[] = [];
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokenFor(dave)}` },
      lazyCloseTimeout: 5000,
      retryAttempts: 20,
      shouldRetry: () => true,
      retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    const payload = {
      query: `subscription($org: ID, $after: String) { accessRequestEvents(organizationId: $org, after: $after) { id cursor type accessRequest { id status } } }`,
      variables: { org: orgId, after },
    };
    let stopped = false;
    const subscribe = () =>
      client.subscribe(payload, {
        next: (result) => {
          const [error, ...more] = result.errors ?? [];
          const extensions = error?.extensions as { code?: string; subgraph?: string } | undefined;
          if (error && !more.length && error.message === SUBSCRIPTION_INTERRUPTED && extensions?.code === 'SERVICE_UNAVAILABLE') {
            interruptions.push(extensions.subgraph);
            return;
          }
          if (result.errors) return void problems.push(result.errors);
          const event = (result.data as any).accessRequestEvents;
          events.push({ id: event.id, cursor: event.cursor, accessRequestId: event.accessRequest?.id });
          payload.variables.after = event.cursor;
        },
        error: (error) => problems.push(error),
        // The subscription ended: after an interruption that is expected, and the client resumes.
        complete: () => {
          if (!stopped) subscribe();
        },
      });
    subscribe();
    const stop = async () => {
      stopped = true;
      // A client still trying to reach a gateway that is gone rejects its dispose with that failure.
      await Promise.resolve(client.dispose()).catch(() => undefined);
    };
    opened.push({ stop });
    return { events, closes, interruptions, problems, stop };
  }

  /** A subscription to the organization's events over HTTP (server-sent events). */
  function sse(url: string) {
    const events: unknown[] = [];
    let ended = false;
    const controller = new AbortController();
    void fetch(url, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${tokenFor(dave)}` },
      body: JSON.stringify({
        query: `subscription($org: ID) { accessRequestEvents(organizationId: $org) { id } }`,
        variables: { org: orgId },
      }),
    })
      .then(async (response) => {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
          if (/^event: next$/m.test(Buffer.from(chunk).toString('utf8'))) events.push(chunk);
      })
      .catch(() => undefined)
      .finally(() => (ended = true));
    return { events, isEnded: () => ended, stop: () => controller.abort() };
  }

  /** `/readyz` of a process through `through`, an agent that keeps its connection open (as a balancer's prober may). */
  const readyzOf = (p: PlatformProcess, through: http.Agent) =>
    new Promise<number>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${p.port}/readyz`, { agent: through }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        })
        .on('error', reject);
    });

  const refused = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });

  /**
   * A client of the gateway as HTTP wants one: it keeps connections open between requests, but
   * never longer than the server's keep-alive timeout (Node's agent takes the server's
   * `Keep-Alive: timeout=5` hint into account, and here closes idle ones after 2 s at the latest),
   * so a server closing an idle connection never races a request on it.
   */
  const agent = new http.Agent({ keepAlive: true, timeout: 2000 });
  const tokens = new Map<Identity, string>();
  function post(url: string, query: string, variables: Record<string, unknown>, identity: Identity) {
    if (!tokens.has(identity)) tokens.set(identity, tokenFor(identity));
    const body = JSON.stringify({ query, variables });
    return new Promise<{ status: number; errors?: unknown[]; data?: any }>((resolve, reject) => {
      const request = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${tokens.get(identity)}`,
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => {
            try {
              resolve({ status: response.statusCode ?? 0, ...JSON.parse(text) });
            } catch {
              resolve({ status: response.statusCode ?? 0, errors: [text] });
            }
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  beforeAll(async () => {
    tyk = await TykTestServer.start();
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    r = await startReplicas({
      env: {
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
        JOB_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS),
        // One caller sends the whole steady stream.
        PLATFORM_RATE_LIMIT: '100000/60',
      },
    });
    const seed = new Seed(r.gateway.url, admin);
    await seed.provider(tyk);
    const catalogId = await seed.catalog();
    productId = await seed.product({ catalogIds: [catalogId] });
    manualPlanId = await seed.plan({ catalogIds: [catalogId] });
    keyPlanId = await seed.plan({ catalogIds: [catalogId], autoApprove: true });
    await mutate(r.gateway.url, 'registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dave' }, 'developer { subject }');
    orgId = await seed.organization(dave.sub);
    // The plan's and the product's policies are in Tyk before any key needs them.
    await waitFor(
      async () => {
        const data = await gql(
          r.gateway.url,
          `query($plan: ID!, $product: ID!) { plan(id: $plan) { sync { status } } product(id: $product) { sync { status } } }`,
          { plan: keyPlanId, product: productId },
        );
        return data.plan.sync?.status === 'SYNCED' && data.product.sync?.status === 'SYNCED';
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the plan and product policies in Tyk' },
    );
  }, 240_000);

  afterAll(async () => {
    agent.destroy();
    for (const subscription of opened) await subscription.stop();
    await r?.stop();
    await tyk?.stop();
    await db?.end();
  }, 60_000);

  it('delivers an event caused through gateway B, exactly once, to a subscription opened on gateway A', async () => {
    const [a, b] = r.processes.gateway as [PlatformProcess, PlatformProcess];
    const sub = subscriber(direct(a), null);
    // Live from here on: a request through B has been seen on A.
    await waitFor(
      async () => {
        await requestAccess(direct(b), await createApp(direct(b)), manualPlanId);
        return sub.events.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription on gateway A to be live' },
    );
    const apps = [];
    for (let i = 0; i < 6; i++) apps.push(await createApp(direct(b)));
    // Six requests at once through B: its connections to the developers balancer are new ones, so
    // both developers replicas serve some, whichever holds A's subscription.
    const routed = r.subgraphs.developers.routes.length;
    const requests = await Promise.all(apps.map((app) => requestAccess(direct(b), app, manualPlanId)));
    const servedBy = new Set(
      r.subgraphs.developers.routes
        .slice(routed)
        .filter((route) => route.first.startsWith('POST'))
        .map((route) => route.port),
    );
    const holder = r.processes.developers.find((p) => r.subgraphs.developers.webSockets(p.port) > 0)!;
    expect(holder).toBeDefined();
    expect([...servedBy].some((port) => port !== holder.port)).toBe(true);

    await waitFor(() => requests.every((q) => sub.events.some((e) => e.accessRequestId === q.id)), {
      timeoutMs: 20_000,
      what: 'every event on gateway A',
    });
    // One more, so a late duplicate would show up before the assertion.
    const marker = await requestAccess(direct(b), await createApp(direct(b)), manualPlanId);
    await waitFor(() => sub.events.some((e) => e.accessRequestId === marker.id), { what: 'the marker event' });
    for (const q of requests) expect(sub.events.filter((e) => e.accessRequestId === q.id)).toHaveLength(1);
    const first = BigInt(sub.events[0]!.cursor) - 1n;
    expect(sub.events.map((e) => e.cursor)).toEqual(await storedEvents(first.toString()));
    expect(sub.problems).toEqual([]);
    await sub.stop();
  }, 60_000);

  it('issues each key in Tyk once, though both provider replicas run job workers', async () => {
    const before = keyWrites();
    const credentials = await Promise.all(
      Array.from({ length: 4 }, async () => (await requestAccess(r.gateway.url, await createApp(r.gateway.url), keyPlanId)).credential!.id),
    );
    for (const id of credentials)
      await waitFor(() => keyInTyk(id), { timeoutMs: 60_000, intervalMs: 200, what: `the key of credential ${id} in Tyk` });
    expect(keyWrites() - before).toBe(credentials.length);
    // Both replicas run workers: each has a live heartbeat.
    const { rows } = await db.query<{ pid: number }>(
      `select distinct pid from platform.job_worker where owner = 'provider' and heartbeat_at > now() - make_interval(secs => $1)`,
      [LOCK_TIMEOUT_SECONDS],
    );
    expect(rows.map((row) => row.pid).sort()).toEqual(r.processes.provider.map((p) => p.child.pid).sort());
  }, 120_000);

  describeWithRedis('with REDIS_URL', (redisUrl) => {
    // This topology's gateways run without a limit that matters; two more, counting in Redis under
    // a prefix of their own, get a balancer of their own.
    it('holds PLATFORM_RATE_LIMIT across two gateway processes: N operations of a caller in all, then RATE_LIMITED from either', async () => {
      const N = 6;
      const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `${unique('replicas')}:`, PLATFORM_RATE_LIMIT: `${N}/60` };
      const gateways = [await r.spawn('gateway', env), await r.spawn('gateway', env)];
      const balancer = await TcpBalancer.start(gateways.map((g) => g.port));
      try {
        const caller = developer();
        const viewer = async (url: string) => gatewayRequest(url, '{ viewer { subject } }', {}, caller);
        const served: number[] = [];
        for (let i = 0; i < N; i++) served.push((await viewer(balancer.url)).status);
        expect(served).toEqual(Array(N).fill(200));
        for (const gateway of gateways) {
          const refused = await viewer(direct(gateway));
          expect(refused.status).toBe(429);
          expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
        }
        // Another caller has a window of its own.
        expect((await gatewayRequest(balancer.url, '{ viewer { subject } }', {}, developer())).status).toBe(200);
      } finally {
        await balancer.stop();
        for (const gateway of gateways) {
          gateway.child.kill('SIGTERM');
          await gateway.exited;
        }
      }
    }, 120_000);
  });

  it('restarts every process, one at a time, under traffic: no request fails, each mutation applies once, subscribers miss nothing', async () => {
    const start = await lastEventId();
    // Whichever gateway each one reaches, both are restarted: each client is moved at least once.
    const subscribers = Array.from({ length: 2 }, () => subscriber(r.gateway.url, start));
    // Each subscriber is live: it has seen an event raised after it connected.
    await waitFor(
      async () => {
        await requestAccess(r.gateway.url, await createApp(r.gateway.url), manualPlanId);
        return subscribers.every((s) => s.events.length > 0);
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'every subscriber to be live' },
    );

    const failures: string[] = [];
    const applied = { apps: [] as string[], requests: [] as string[] };
    let running = true;
    let operations = 0;
    /** What the rolling restart is doing (for a failure's message). */
    let phase = 'warming up';
    let phaseSince = performance.now();
    const setPhase = (what: string) => {
      phase = what;
      phaseSince = performance.now();
    };
    const fail = (what: string) => failures.push(`${phase} +${Math.round(performance.now() - phaseSince)} ms: ${what}`);
    const call = async (query: string, variables: Record<string, unknown>, identity: Identity) => {
      operations += 1;
      try {
        const response = await post(r.gateway.url, query, variables, identity);
        if (response.status !== 200 || response.errors) fail(`HTTP ${response.status}: ${JSON.stringify(response.errors)}`);
        return response.data;
      } catch (error) {
        fail(String((error as Error).cause ?? error));
        return null;
      }
    };
    const stream = async (worker: number) => {
      for (let i = 0; running; i++) {
        // A query across all five subgraphs.
        await call(
          `query($org: ID!, $plan: ID!) { products(first: 2) { totalCount } plan(id: $plan) { id name sync { status } } organization(id: $org) { id quota { used } apps(first: 1) { totalCount } } }`,
          { org: orgId, plan: keyPlanId },
          admin,
        );
        const name = `rolling-${worker}-${i}-${unique()}`;
        const app = await call(
          `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id } errors { code } } }`,
          { i: { organizationId: orgId, name } },
          dave,
        );
        if (!app?.createApp?.app) continue;
        applied.apps.push(name);
        const request = await call(
          `mutation($i: RequestAccessInput!) { requestAccess(input: $i) { accessRequest { id } errors { code } } }`,
          { i: { appId: app.createApp.app.id, planId: manualPlanId, productIds: [productId] } },
          dave,
        );
        if (request?.requestAccess?.accessRequest) applied.requests.push(request.requestAccess.accessRequest.id);
      }
    };
    const streams = Promise.all([0, 1].map(stream));

    // The rolling restart, as Kubernetes rolls out several Deployments at once, each with maxSurge
    // 1 and maxUnavailable 0: per kind of process, a new replica starts (while the previous old one
    // drains) and joins the balancer, the old one leaves it and gets SIGTERM; the next old one of
    // that kind gets its SIGTERM once this one has exited. The subgraphs roll out side by side.
    const exits: { name: ProcessName; code: number | null; signal: string | null; drainMs: number; output: string }[] = [];
    const count1012 = () => subscribers.reduce((n, s) => n + s.closes.filter((c) => c === CLOSE_SERVICE_RESTART).length, 0);
    const rollOut = async (name: ProcessName) => {
      const balancer = name === 'gateway' ? r.gateway : r.subgraphs[name];
      let draining: Promise<void> = Promise.resolve();
      for (const old of [...r.processes[name]]) {
        setPhase(`starting a new ${name}`);
        const [fresh] = await Promise.all([r.spawn(name), draining]);
        balancer.setUpstreams([...balancer.ports.filter((port) => port !== old.port), fresh.port]);
        const list = r.processes[name];
        list[list.indexOf(old)] = fresh;
        const clientsOnIt = name === 'gateway' ? r.gateway.webSockets(old.port) : 0;
        const closed = count1012();
        setPhase(`${name} on ${old.port} draining`);
        const signalled = performance.now();
        old.child.kill('SIGTERM');
        draining = old.exited.then(({ code, signal }) => {
          exits.push({ name, code, signal, drainMs: Math.round(performance.now() - signalled), output: old.output() });
        });
        // Every client of a stopping gateway is told to reconnect: 1012.
        if (name === 'gateway')
          await waitFor(() => count1012() - closed >= clientsOnIt, { what: `1012 for the ${clientsOnIt} clients of the stopping gateway` });
      }
      await draining;
    };
    // The subgraphs first, then the gateways: subscribers then live through a restart of the
    // developers replica behind them (interrupted, resumed) before their own gateway's (1012).
    await Promise.all(SUBGRAPH_NAMES.map((name) => rollOut(name)));
    await rollOut('gateway');
    setPhase('done');
    running = false;
    await streams;

    expect(failures).toEqual([]);
    expect(operations).toBeGreaterThan(100);
    for (const exit of exits) {
      if (exit.code !== 0) throw new Error(`${exit.name} exited with ${exit.code ?? exit.signal}:\n${exit.output.slice(-3000)}`);
      expect(exit.drainMs).toBeLessThan(GRACE_SECONDS * 1000);
    }
    expect(exits).toHaveLength(12);
    // Each mutation applied once.
    const apps = await db.query<{ name: string; n: number }>(
      `select name, count(*)::int as n from developers.app where organization_id = $1 and name like 'rolling-%' group by name`,
      [orgId],
    );
    expect(apps.rows.map((row) => row.name).sort()).toEqual([...applied.apps].sort());
    expect(apps.rows.every((row) => row.n === 1)).toBe(true);
    const requests = await db.query<{ n: number }>(
      `select count(*)::int as n from developers.access_request q join developers.app a on a.id = q.app_id where a.organization_id = $1 and a.name like 'rolling-%'`,
      [orgId],
    );
    expect(requests.rows[0]!.n).toBe(applied.requests.length);

    // Every subscriber got every event since it subscribed, exactly once and in order, through
    // gateway restarts (1012, reconnect) and developers restarts (interrupted, resumed).
    const expected = await storedEvents(start);
    for (const s of subscribers) {
      await waitFor(() => s.events.length >= expected.length, { timeoutMs: 30_000, what: 'a subscriber to catch up' });
      expect(s.events.map((e) => e.cursor)).toEqual(expected);
      expect(s.problems).toEqual([]);
      expect(s.interruptions.length).toBeGreaterThan(0);
      expect(new Set(s.interruptions)).toEqual(new Set(['developers']));
    }
    // Each was told to reconnect (its gateway restarted) and kept receiving events.
    for (const s of subscribers) expect(s.closes).toContain(CLOSE_SERVICE_RESTART);
  }, 300_000);

  // The tests below take a process away for good (the balancers pass over it): keep them last.

  it('issues the key of a job whose replica is killed mid-job once, on the other replica', async () => {
    // The job's first call to Tyk (reading the plan's policy) is held: its replica is in the middle of the job.
    const held = tyk.hold((q) => q.method === 'GET' && q.path === `/tyk/policies/${planPolicyId(keyPlanId)}`);
    const before = keyWrites();
    const credentialId = (await requestAccess(r.gateway.url, await createApp(r.gateway.url), keyPlanId)).credential!.id;
    await held.arrived;
    const holder = await waitFor(
      async () =>
        (
          await db.query<{ pid: number }>(
            `select w.pid from graphile_worker.jobs j join platform.job_worker w on w.worker_id = j.locked_by where j.key = $1`,
            [`key:${credentialId}`],
          )
        ).rows[0]?.pid,
      { what: 'the replica holding the key job' },
    );
    const victim = r.processes.provider.find((p) => p.child.pid === holder)!;
    expect(victim).toBeDefined();
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    held.release();
    expect(keyWrites()).toBe(before);

    await waitFor(() => keyInTyk(credentialId), { timeoutMs: 60_000, intervalMs: 200, what: 'the other replica to issue the key' });
    expect(performance.now() - killedAt).toBeLessThan(LOCK_TIMEOUT_SECONDS * 1000 + 20_000);
    expect(keyWrites() - before).toBe(1);
  }, 120_000);

  it('drains a gateway on SIGTERM: not ready, new connections refused, the request in flight answered, WebSockets closed with 1012, event streams cut', async () => {
    const gateway = r.processes.gateway[0]!;
    const sub = subscriber(direct(gateway), null);
    const overHttp = sse(direct(gateway));
    await waitFor(
      async () => {
        await requestAccess(direct(gateway), await createApp(direct(gateway)), manualPlanId);
        return sub.events.length > 0 && overHttp.events.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscriptions to be live' },
    );
    // A request kept in flight: its insert waits for a lock the test holds.
    const lock = new pg.Client({ connectionString: testDatabaseUrl() });
    await lock.connect();
    try {
      await lock.query('begin');
      await lock.query('lock table developers.app in exclusive mode');
      const name = unique('in-flight');
      const inFlight = gatewayRequest(
        direct(gateway),
        `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id name } errors { code } } }`,
        { i: { organizationId: orgId, name } },
        dave,
      );
      await waitFor(
        async () => (await lock.query(`select 1 from pg_locks where relation = 'developers.app'::regclass and not granted`)).rowCount! > 0,
        { what: 'the request to wait for the lock' },
      );
      const prober = new http.Agent({ keepAlive: true, maxSockets: 1 });
      expect(await readyzOf(gateway, prober)).toBe(200);
      gateway.child.kill('SIGTERM');
      // Not ready from the first moment (asked on the connection the prober keeps), and no new connection.
      await waitFor(async () => (await readyzOf(gateway, prober)) === 503, { what: '/readyz to answer 503' });
      prober.destroy();
      expect(await refused(gateway.port)).toBe(true);
      await waitFor(() => sub.closes.includes(CLOSE_SERVICE_RESTART), { what: 'the WebSocket to be closed with 1012' });
      // The subscription over HTTP never ends by itself: it is cut at once, not at the deadline.
      await waitFor(() => overHttp.isEnded(), { what: 'the server-sent events stream to end' });
      let exited = false;
      void gateway.exited.then(() => (exited = true));
      expect(exited).toBe(false);
      await lock.query('commit');
      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.errors).toBeUndefined();
      expect(answer.data.createApp).toEqual({ app: { id: expect.any(String), name }, errors: [] });
      expect(await gateway.exited).toEqual({ code: 0, signal: null });
      await sub.stop();
      overHttp.stop();
    } finally {
      await lock.query('rollback').catch(() => undefined);
      await lock.end();
    }
  }, 120_000);
});
