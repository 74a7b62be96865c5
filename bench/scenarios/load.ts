import { performance } from 'node:perf_hooks';
import { SUBGRAPH_NAMES } from '../../common/config';
import { bearer, post, type GraphQLResult } from '../lib/graphql';
import { mib, MiB } from '../lib/proc';
import { median, percentile, round, sleep, table } from '../lib/stats';
import { SubscriptionPool, type SubscriptionHandle } from '../lib/subscriptions';
import { targetCheck, type BenchContext, type Scenario, type ScenarioResult } from '../lib/types';
import { WarningRaiser } from '../lib/warnings';
import { CATALOG_PAGE_QUERY, ENTITLEMENTS_QUERY } from './gateway-catalog';
import { WARNINGS_SUBSCRIPTION_JOINED } from './subscriptions';

const CONNECTIONS = 10;
const SAMPLE_EVERY_MS = 5000;
/** Growth of the last third's median over the middle third's that counts as growing. */
const GROWTH_RATIO = 1.1;
const GROWTH_BYTES = 8 * MiB;

const APPS_QUERY = `query($org: ID!) { apps(first: 20, filter: { organizationId: $org }) { totalCount edges { node { id name team { id } organization { id name } } } } }`;
const PLANS_QUERY = `query { plans(first: 20) { totalCount edges { node { id name tier quota { requests period } catalogs { id name } } } } }`;
const CREATE_APP = `mutation($i: CreateAppInput!) { createApp(input: $i) { app { id name } errors { code field message } } }`;
const UPDATE_APP = `mutation($i: UpdateAppInput!) { updateApp(input: $i) { app { id description } errors { code field message } } }`;
const DELETE_APP = `mutation($i: DeleteAppInput!) { deleteApp(input: $i) { deletedAppId errors { code field message } } }`;
const UPDATE_PLAN = `mutation($i: UpdatePlanInput!) { updatePlan(input: $i) { plan { id version } errors { code field message } } }`;

type Operation = 'catalog page' | 'entitlements' | 'apps' | 'plans' | 'createApp' | 'updateApp' | 'deleteApp' | 'updatePlan';

interface OperationStats {
  count: number;
  failed: number;
  latencies: number[];
  samples: string[];
}

/** Failure text of a GraphQL answer (transport, GraphQL or payload errors), or null when it succeeded. */
function failure(result: GraphQLResult, payloadField?: string): string | null {
  if (result.status !== 200) return `HTTP ${result.status}: ${JSON.stringify(result.errors ?? []).slice(0, 200)}`;
  if (result.errors?.length) return JSON.stringify(result.errors).slice(0, 300);
  if (!result.data) return 'no data';
  if (payloadField) {
    const errors = (result.data as Record<string, { errors?: unknown[] }>)[payloadField]?.errors;
    if (errors?.length) return `${payloadField}: ${JSON.stringify(errors).slice(0, 300)}`;
  }
  return null;
}

export const load: Scenario = {
  name: 'load',
  description:
    'Mixed load through the gateway (60 s unless `--load-duration` says otherwise; 10 concurrent clients: catalog page, entitlements, apps and plans reads; createApp → updateApp → deleteApp as an ORG_ADMIN; updatePlan as a portal admin) with 200 open subscriptions receiving a warning every 2 s, on freshly restarted processes: failures, and the memory of every process sampled every 5 s.',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { platform, seed } = ctx;
    const seconds = ctx.options.loadSeconds;
    const subscriptionCount = ctx.options.quick ? 50 : 200;
    const url = platform.gatewayUrl;
    const viewer = { authorization: seed.viewerAuth };
    const admin = { authorization: seed.adminAuth };
    const warnings: string[] = [];
    const stats = new Map<Operation, OperationStats>();
    const record = (op: Operation, ms: number, problem: string | null) => {
      const s = stats.get(op) ?? { count: 0, failed: 0, latencies: [], samples: [] };
      stats.set(op, s);
      s.count++;
      s.latencies.push(ms);
      if (problem) {
        s.failed++;
        if (s.samples.length < 3) s.samples.push(problem);
      }
    };
    const timed = async (op: Operation, run: () => Promise<GraphQLResult>, payloadField?: string): Promise<GraphQLResult | null> => {
      const began = performance.now();
      try {
        const result = await run();
        const problem = failure(result, payloadField);
        record(op, performance.now() - began, problem);
        return problem ? null : result;
      } catch (error) {
        record(op, performance.now() - began, (error as Error).message);
        return null;
      }
    };

    // Fresh processes: the memory trend starts from a clean heap, not from the scenarios before.
    const heap = ctx.options.loadHeapMiB;
    const heapEnv: NodeJS.ProcessEnv = heap
      ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${heap}`.trim() }
      : {};
    for (const name of [...SUBGRAPH_NAMES, 'gateway']) await platform.restartProcess(name, heapEnv);

    // Subscribers: members watching their organization's warnings, 50 per socket.
    const raiser = await WarningRaiser.connect(platform.databaseUrl);
    const pool = new SubscriptionPool(platform.wsUrl);
    const authorization = bearer(seed.viewer);
    const handles: SubscriptionHandle[] = [];
    try {
      for (let s = 0; handles.length < subscriptionCount; s++) {
        const client = pool.socket(authorization);
        for (let k = 0; k < 50 && handles.length < subscriptionCount; k++) {
          handles.push(pool.subscribe(client, WARNINGS_SUBSCRIPTION_JOINED, { org: seed.organizationId }));
        }
      }
      const deadline = Date.now() + 60_000;
      while (!handles.every((h) => h.events > 0 || h.errorEvents > 0 || h.failure !== null)) {
        if (Date.now() > deadline) throw new Error('the load scenario’s subscriptions did not become live');
        await raiser.raise(seed.organizationId, 1);
        await sleep(1000);
      }
      const eventsBefore = handles.map((h) => h.events);

      // Memory sampler.
      const samples: { t: number; memory: Record<string, number | null> }[] = [];
      const began = Date.now();
      const sample = () => samples.push({ t: round((Date.now() - began) / 1000, 1), memory: platform.memory() });
      sample();
      const sampler = setInterval(sample, SAMPLE_EVERY_MS);

      // Warnings to the subscribers every 2 s.
      let raised = 0;
      let raiseFailures = 0;
      let stopped = false;
      const raising = (async () => {
        while (!stopped) {
          await sleep(2000);
          if (stopped) break;
          try {
            await raiser.raise(seed.organizationId, 50);
            raised++;
          } catch {
            raiseFailures++;
          }
        }
      })();

      // Clients.
      const end = Date.now() + seconds * 1000;
      let serial = 0;
      const client = async (index: number) => {
        let app: string | null = null;
        let updated = false;
        let step = 0;
        while (Date.now() < end) {
          const roll = (index * 7 + step++ * 13) % 20;
          if (roll < 8) {
            await timed('catalog page', () => post(url, CATALOG_PAGE_QUERY, { catalog: seed.catalogId }, viewer));
          } else if (roll < 11) {
            await timed('entitlements', () => post(url, ENTITLEMENTS_QUERY, {}, viewer));
          } else if (roll < 13) {
            await timed('apps', () => post(url, APPS_QUERY, { org: seed.organizationId }, viewer));
          } else if (roll < 15) {
            await timed('plans', () => post(url, PLANS_QUERY, {}, viewer));
          } else if (roll < 19) {
            // Each client walks its own app through create → update → delete.
            if (!app) {
              const r = await timed(
                'createApp',
                () => post(url, CREATE_APP, { i: { organizationId: seed.organizationId, name: `load-${index}-${serial++}` } }, viewer),
                'createApp',
              );
              app = (r?.data as { createApp?: { app?: { id: string } } } | undefined)?.createApp?.app?.id ?? null;
              updated = false;
            } else if (!updated) {
              updated = true;
              await timed(
                'updateApp',
                () => post(url, UPDATE_APP, { i: { id: app, description: `changed at ${Date.now()}` } }, viewer),
                'updateApp',
              );
            } else {
              const id = app;
              app = null;
              await timed('deleteApp', () => post(url, DELETE_APP, { i: { id } }, viewer), 'deleteApp');
            }
          } else {
            const plan = seed.planIds[index % seed.planIds.length];
            await timed(
              'updatePlan',
              () => post(url, UPDATE_PLAN, { i: { id: plan, description: `Tier of the benchmark catalog (load ${serial++}).` } }, admin),
              'updatePlan',
            );
          }
        }
      };
      ctx.log(`  ${CONNECTIONS} clients for ${seconds} s with ${handles.length} subscriptions open`);
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => client(i)));
      const elapsed = (Date.now() - began) / 1000;
      stopped = true;
      await raising;
      clearInterval(sampler);
      sample();

      // Every warning raised during the run must reach every subscriber.
      await sleep(3000);
      const missingEvents = handles.reduce((sum, h, i) => sum + Math.max(0, raised - (h.events - eventsBefore[i])), 0);
      const subscriptionErrors = pool.failures() + pool.errorEvents() + handles.filter((h) => h.completed).length + pool.unexpectedCloses;

      const operations = [...stats.entries()].map(([op, s]) => ({
        operation: op,
        count: s.count,
        failed: s.failed,
        p50Ms: round(percentile(s.latencies, 50), 1),
        p99Ms: round(percentile(s.latencies, 99), 1),
        samples: s.samples,
      }));
      const requests = operations.reduce((sum, o) => sum + o.count, 0);
      const failed = operations.reduce((sum, o) => sum + o.failed, 0);

      // Memory trend: the last third's median against the middle third's (the first third is warm-up).
      const processes = Object.keys(samples[0].memory);
      const third = Math.max(1, Math.floor(samples.length / 3));
      const trend = processes.map((name) => {
        const values = samples.map((s) => s.memory[name]).filter((v): v is number => v !== null);
        const middle = median(values.slice(third, values.length - third));
        const last = median(values.slice(values.length - third));
        const grows = last > middle * GROWTH_RATIO && last - middle > GROWTH_BYTES;
        return {
          process: name,
          start: values[0],
          max: Math.max(...values),
          middleMedian: middle,
          lastMedian: last,
          ratio: round(last / middle, 3),
          grows,
        };
      });

      if (failed) warnings.push(`${failed} of ${requests} requests failed`);
      if (raiseFailures) warnings.push(`${raiseFailures} warnings could not be raised`);
      if (missingEvents) warnings.push(`${missingEvents} subscription events did not arrive`);
      if (subscriptionErrors) warnings.push(`${subscriptionErrors} subscription errors or closes: ${pool.problems().join(' | ')}`);
      for (const t of trend.filter((t) => t.grows))
        warnings.push(`${t.process} memory grew after warm-up: ${mib(t.middleMedian)} → ${mib(t.lastMedian)} MiB`);

      const markdown = [
        `${requests} requests in ${elapsed.toFixed(0)} s (${round(requests / elapsed, 1)} req/s) from ${CONNECTIONS} clients, ${handles.length} subscriptions open, ${raised} warnings fanned out to all of them` +
          `${heap ? `; every platform process limited to a ${heap} MiB V8 old space` : ''}. ` +
          `**Failed requests: ${failed}; missing subscription events: ${missingEvents}; subscription errors: ${subscriptionErrors}.**`,
        '',
        table(
          ['operation', 'requests', 'failed', 'p50 ms', 'p99 ms'],
          operations.map((o) => [o.operation, o.count, o.failed, o.p50Ms, o.p99Ms]),
        ),
        '',
        ...operations
          .filter((o) => o.samples.length)
          .map((o) => `- ${o.operation} failed with: ${o.samples.map((t) => `\`${t.slice(0, 200)}\``).join('; ')}`),
        ...(failed ? [''] : []),
        `Memory (MiB) sampled every ${SAMPLE_EVERY_MS / 1000} s (${samples.length} samples); “grows” when the last third’s median exceeds the middle third’s by more than ${Math.round((GROWTH_RATIO - 1) * 100)} % and ${GROWTH_BYTES / MiB} MiB:`,
        '',
        table(
          ['process', 'start', 'max', 'middle-third median', 'last-third median', 'last ÷ middle', 'grows'],
          trend.map((t) => [
            t.process,
            mib(t.start),
            mib(t.max),
            mib(t.middleMedian),
            mib(t.lastMedian),
            t.ratio,
            t.grows ? '**yes**' : 'no',
          ]),
        ),
      ].join('\n');
      return {
        figures: {
          seconds: round(elapsed, 1),
          connections: CONNECTIONS,
          heapLimitMiB: heap,
          requests,
          requestsPerSecond: round(requests / elapsed, 1),
          failed,
          operations,
          subscriptions: handles.length,
          warningsRaised: raised,
          missingEvents,
          subscriptionErrors,
          subscriptionProblems: pool.problems(),
          failedSamples: Object.fromEntries(operations.filter((o) => o.samples.length).map((o) => [o.operation, o.samples])),
          memoryTrend: trend,
          memorySamples: samples,
        },
        markdown,
        warnings,
        targets: [
          targetCheck('failed requests', failed, { atMost: 0 }, ''),
          targetCheck('missing subscription events and subscription errors', missingEvents + subscriptionErrors, { atMost: 0 }, ''),
        ],
      };
    } finally {
      await pool.dispose().catch(() => undefined);
      await raiser.close();
    }
  },
};
