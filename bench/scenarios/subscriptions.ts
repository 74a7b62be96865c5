import { performance } from 'node:perf_hooks';
import { bearer, developerIdentity, mutateId } from '../lib/graphql';
import { MiB, mib } from '../lib/proc';
import { mapLimit, median, percentile, round, sleep, table } from '../lib/stats';
import { SubscriptionPool, type SubscriptionHandle } from '../lib/subscriptions';
import { targetCheck, type BenchContext, type Scenario, type ScenarioResult } from '../lib/types';
import { WarningRaiser } from '../lib/warnings';

/** Fields the usage subgraph answers alone. */
export const WARNINGS_SUBSCRIPTION = `subscription($org: ID!) { quotaWarnings(organizationId: $org) { id kind thresholdPercent used limit resetsAt createdAt } }`;
/** The same, plus the organization's name: the gateway fetches it from the developers subgraph for each event (once per shared execution, see gateway/shared-subscriptions.ts). */
export const WARNINGS_SUBSCRIPTION_JOINED = `subscription($org: ID!) { quotaWarnings(organizationId: $org) { id kind thresholdPercent used limit resetsAt createdAt organization { id name } } }`;

const GROUPS = 10;
const PER_SOCKET = 50;
const SOCKET_GAP_MS = 100;

/** Slope of the least-squares line through (x, y) points. */
function leastSquaresSlope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx ? sxy / sxx : NaN;
}

/** Waits until `check` holds, polling; false when `timeoutMs` passed first. */
async function until(check: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

/** Median of three memory samples a second apart, per process (evens out a GC in between). */
async function steadyMemory(ctx: BenchContext): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (let i = 0; i < 3; i++) {
    if (i) await sleep(1000);
    for (const [name, bytes] of Object.entries(ctx.platform.memory())) if (bytes !== null) (samples[name] ??= []).push(bytes);
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

export const subscriptions: Scenario = {
  name: 'subscriptions',
  description:
    'Idle `quotaWarnings` subscriptions held through the gateway over graphql-ws (10 organizations, one member each, 50 subscriptions per socket; gateway, usage and developers restarted first): memory per subscription, then the latency from raising one warning to its receipt by each of the 1,000 subscribers of that organization.',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { platform, seed } = ctx;
    const total = ctx.options.subscriptions;
    const perGroup = Math.ceil(total / GROUPS);
    const rounds = ctx.options.quick ? 1 : 3;
    const warnings: string[] = [];

    const members = Array.from({ length: GROUPS }, (_, i) => developerIdentity(`bench-subscriber-${i}`));
    const organizationIds = await mapLimit(members, 4, (member, i) =>
      mutateId(platform.gatewayUrl, seed.adminAuth, 'createOrganization', 'CreateOrganizationInput', 'organization', {
        name: `Bench subscribers ${i}`,
        slug: `bench-subscribers-${i}`,
        adminSubject: member.sub,
      }),
    );
    // Fresh processes, so the memory figures do not depend on what ran before this scenario.
    for (const name of ['usage', 'developers', 'gateway']) await platform.restartProcess(name);
    const raiser = await WarningRaiser.connect(platform.databaseUrl);
    const pool = new SubscriptionPool(platform.wsUrl);
    try {
      await sleep(2000);
      const before = await steadyMemory(ctx);

      // Subscribe organization by organization; a subscription is live once a probe warning reached it.
      const groups: SubscriptionHandle[][] = [];
      const growth: { subscriptions: number; gateway: number; usage: number }[] = [];
      const established = performance.now();
      for (let g = 0; g < GROUPS; g++) {
        const authorization = bearer(members[g]);
        const query = g === 1 ? WARNINGS_SUBSCRIPTION_JOINED : WARNINGS_SUBSCRIPTION;
        const handles: SubscriptionHandle[] = [];
        // Subscribers arrive one socket (50 subscriptions) every SOCKET_GAP_MS, not all at once.
        while (handles.length < perGroup) {
          const client = pool.socket(authorization);
          for (let k = 0; k < PER_SOCKET && handles.length < perGroup; k++) {
            // Unshared: a variable of its own (which the document does not use, so the subgraph's
            // subscription is the same text), so no two subscriptions have the same key at the gateway.
            const variables = ctx.options.unsharedSubscriptions
              ? { org: organizationIds[g], subscriber: `${g}-${handles.length}` }
              : { org: organizationIds[g] };
            handles.push(pool.subscribe(client, query, variables));
          }
          await sleep(SOCKET_GAP_MS);
        }
        groups.push(handles);
        await sleep(1000);
        // Live: an event (or an error result of one) arrived. Dead: the subscription failed as a whole.
        const settled = (h: SubscriptionHandle) => h.events > 0 || h.errorEvents > 0 || h.failure !== null || h.completed;
        const deadline = Date.now() + 180_000;
        while (!handles.every(settled) && Date.now() < deadline) {
          await raiser.raise(organizationIds[g], 1);
          await until(() => handles.every(settled), 1500);
        }
        const dead = handles.filter((h) => h.failure !== null || h.completed).length;
        const waiting = handles.filter((h) => !settled(h)).length;
        if (dead) warnings.push(`organization ${g}: ${dead} of ${handles.length} subscriptions failed while subscribing`);
        if (waiting) throw new Error(`organization ${g}: ${waiting} of ${handles.length} subscriptions got no event within 180 s`);
        ctx.log(`  ${(g + 1) * perGroup} subscriptions live (${pool.sockets} sockets)${dead ? `, ${dead} failed` : ''}`);
        const memory = ctx.platform.memory();
        growth.push({ subscriptions: (g + 1) * perGroup, gateway: memory.gateway ?? 0, usage: memory.usage ?? 0 });
      }
      const establishSeconds = (performance.now() - established) / 1000;
      const count = groups.reduce((sum, h) => sum + h.length, 0);
      const open = (h: SubscriptionHandle) => h.failure === null && !h.completed;

      // Idle: nothing is sent; memory settles.
      await sleep(ctx.options.quick ? 2000 : 5000);
      const held = await steadyMemory(ctx);
      const delta = (name: string) => (held[name] ?? 0) - (before[name] ?? 0);
      const perSubscription = (delta('gateway') + delta('usage')) / count;
      // Bytes per subscription as the slope of RSS over the number of subscriptions (one point per organization).
      const slope = (pick: (p: (typeof growth)[number]) => number) => leastSquaresSlope(growth.map((p) => [p.subscriptions, pick(p)]));
      const slopes = {
        gatewayPlusUsage: slope((p) => p.gateway + p.usage),
        gateway: slope((p) => p.gateway),
        usage: slope((p) => p.usage),
      };

      // Fan-out: one warning, every subscriber of one organization.
      const fanOut: Record<string, unknown>[] = [];
      for (const [g, label] of [
        [0, 'usage fields only'],
        [1, 'plus organization { id name } (developers subgraph)'],
      ] as const) {
        const handles = groups[g].filter(open);
        const others = groups.filter((_, i) => i !== g).flat();
        const latencies: number[] = [];
        const errorLatencies: number[] = [];
        const commits: number[] = [];
        let missing = 0;
        const delivered = (h: SubscriptionHandle) => h.events + h.errorEvents;
        for (let r = 0; r < rounds; r++) {
          const before = handles.map((h) => ({ events: h.events, errors: h.errorEvents }));
          const otherEvents = others.reduce((sum, h) => sum + delivered(h), 0);
          const t0 = performance.now();
          await raiser.raise(organizationIds[g], 90);
          commits.push(performance.now() - t0);
          await until(() => handles.every((h, i) => delivered(h) > before[i].events + before[i].errors), 60_000, 10);
          for (const [i, h] of handles.entries()) {
            if (h.events > before[i].events) latencies.push(h.lastEventAt - t0);
            else if (h.errorEvents > before[i].errors) errorLatencies.push(h.lastErrorAt - t0);
            else missing++;
          }
          const leaked = others.reduce((sum, h) => sum + delivered(h), 0) - otherEvents;
          if (leaked) warnings.push(`${leaked} events reached subscribers of other organizations`);
          await sleep(2000);
        }
        if (missing) warnings.push(`fan-out (${label}): ${missing} deliveries missing after 60 s`);
        if (errorLatencies.length)
          warnings.push(`fan-out (${label}): ${errorLatencies.length} of ${handles.length * rounds} deliveries were error results`);
        fanOut.push({
          subscribers: handles.length,
          selection: label,
          rounds,
          received: latencies.length,
          errorResults: errorLatencies.length,
          lastErrorResultMs: errorLatencies.length ? round(Math.max(...errorLatencies), 1) : null,
          missing,
          raiseMs: round(median(commits), 1),
          latencyMs: {
            p50: round(percentile(latencies, 50), 1),
            p99: round(percentile(latencies, 99), 1),
            max: latencies.length ? round(Math.max(...latencies), 1) : NaN,
            first: latencies.length ? round(Math.min(...latencies), 1) : NaN,
          },
        });
      }

      await sleep(ctx.options.quick ? 1000 : 5000);
      const failed = pool.failures();
      const completed = pool.handles.filter((h) => h.completed).length;
      const problems = pool.problems();
      if (failed) warnings.push(`${failed} subscriptions failed as a whole`);
      if (pool.errorEvents()) warnings.push(`${pool.errorEvents()} events reached subscribers as error results (probes included)`);
      if (completed) warnings.push(`${completed} subscriptions ended while they should have stayed open`);
      if (pool.unexpectedCloses) warnings.push(`${pool.unexpectedCloses} sockets closed unexpectedly`);
      if (problems.length) warnings.push(`errors seen by subscribers: ${problems.join(' | ')}`);

      const sockets = pool.sockets;
      await pool.dispose();
      await sleep(ctx.options.quick ? 2000 : 5000);
      const released = await steadyMemory(ctx);

      const processes = ['gateway', 'usage', 'developers', 'postgres'];
      const memoryRows = processes.map((name) => [
        name,
        mib(before[name]),
        mib(held[name]),
        mib(released[name]),
        round(delta(name) / count / 1024, 2),
      ]);
      const markdown = [
        `${count} subscriptions over ${sockets} sockets (${PER_SOCKET} per socket, one socket every ${SOCKET_GAP_MS} ms), all live after ${establishSeconds.toFixed(1)} s. ` +
          `**Memory per subscription (gateway + usage subgraph RSS growth ÷ subscriptions): ${round(perSubscription / 1024, 1)} KiB** ` +
          `(slope of RSS over the ${GROUPS} steps of ${perGroup}: ${round(slopes.gatewayPlusUsage / 1024, 1)} KiB — gateway ${round(slopes.gateway / 1024, 1)}, usage ${round(slopes.usage / 1024, 1)}).`,
        '',
        table(['process', 'before MiB', `holding ${count} MiB`, 'after closing MiB', 'KiB per subscription'], memoryRows),
        '',
        table(
          ['fan-out to', 'selection', 'events received', 'error results', 'p50 ms', 'p99 ms', 'max ms', 'first ms'],
          fanOut.map((f: any) => [
            f.subscribers,
            f.selection,
            `${f.received}/${f.subscribers * f.rounds}`,
            f.errorResults,
            f.latencyMs.p50,
            f.latencyMs.p99,
            f.latencyMs.max,
            f.latencyMs.first,
          ]),
        ),
        '',
        `Latency: from the call that writes the warning and notifies (\`raiseQuotaWarning\`: the usage ingest's \`insertQuotaWarnings\` in a transaction of its own; its commit took ~${(fanOut[0] as any).raiseMs} ms) to each subscriber's receipt, ${rounds} event(s) per row, over all ${GROUPS * perGroup} subscriptions being open.`,
      ].join('\n');
      return {
        figures: {
          subscriptions: count,
          sockets,
          perSocket: PER_SOCKET,
          establishSeconds: round(establishSeconds, 1),
          memoryBytes: { before, held, released },
          bytesPerSubscription: {
            gatewayPlusUsage: Math.round(perSubscription),
            ...Object.fromEntries(processes.map((name) => [name, Math.round(delta(name) / count)])),
          },
          kibPerSubscription: round(perSubscription / 1024, 2),
          kibPerSubscriptionSlope: Object.fromEntries(Object.entries(slopes).map(([name, bytes]) => [name, round(bytes / 1024, 2)])),
          growth,
          errorResults: pool.errorEvents(),
          fanOut,
          failedSubscriptions: failed,
          problems,
          heldMiB: round((delta('gateway') + delta('usage')) / MiB, 1),
        },
        markdown,
        warnings,
        targets: [
          targetCheck('memory per idle subscription, gateway + usage', round(perSubscription / 1024, 1), { atMost: 20 }, ' KiB'),
          targetCheck('one event to 1,000 subscribers, p99', (fanOut[0] as any).latencyMs.p99, { atMost: 100 }, ' ms'),
          targetCheck('same, selection joins another subgraph, p99', (fanOut[1] as any).latencyMs.p99, { atMost: 250 }, ' ms'),
          targetCheck(
            'same, error results and missing deliveries',
            (fanOut[1] as any).errorResults + (fanOut[1] as any).missing,
            { atMost: 0 },
            '',
          ),
        ],
      };
    } finally {
      await pool.dispose().catch(() => undefined);
      await raiser.close();
    }
  },
};
