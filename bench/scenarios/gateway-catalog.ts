import path from 'node:path';
import { cannon, type CannonFigures, type CannonTarget } from '../lib/cannon';
import { forwardedExtensions, post } from '../lib/graphql';
import { freePort } from '../lib/platform';
import { mib } from '../lib/proc';
import { SEED_PLANS, SEED_PRODUCTS } from '../lib/seed';
import { round, table } from '../lib/stats';
import { targetCheck, type BenchContext, type Scenario, type ScenarioResult } from '../lib/types';

/** The catalog page: 20 products, their catalogs and the 4 plans each offers with quota and rate limit. */
export const CATALOG_PAGE_QUERY = `query CatalogPage($catalog: ID!) {
  products(first: 20, filter: { catalogId: $catalog }) {
    totalCount
    edges { node {
      id slug name displayName
      catalogs { id name }
      availablePlans { id name displayName tier quota { unlimited requests period } rateLimit { unlimited requests perSeconds } }
    } }
  }
}`;

/** The part of the catalog page the products subgraph can answer alone (no `availablePlans`). */
export const CATALOG_PRODUCTS_QUERY = `query CatalogPageProducts($catalog: ID!) {
  products(first: 20, filter: { catalogId: $catalog }) {
    totalCount
    edges { node { id slug name displayName catalogs { id name } } }
  }
}`;

/** What a portal shows a signed-in developer about their organizations. */
export const ENTITLEMENTS_QUERY = `query Entitlements {
  viewer { subject memberships { role organization { id name } } }
}`;

const APOLLO = 'apollo-gateway';
/** Our gateway with its response cache off (`RESPONSE_CACHE_TTL_SECONDS=0`), for the anonymous page without the cache. */
const UNCACHED = 'gateway-uncached';
/** Our gateway with Hive Gateway's JavaScript query planner (`GATEWAY_QUERY_PLANNER=javascript`) instead of the default Rust one. */
const JS_PLANNER = 'gateway-js-planner';

async function check(target: CannonTarget, expect: (data: any) => boolean): Promise<void> {
  const result = await post(target.url, target.query, target.variables, { headers: target.headers, extensions: target.extensions });
  if (result.status !== 200 || result.errors?.length || !result.data || !expect(result.data)) {
    throw new Error(`${target.label}: unexpected answer (HTTP ${result.status}): ${JSON.stringify(result).slice(0, 600)}`);
  }
}

const fullPage = (data: any) =>
  data.products.edges.length === SEED_PRODUCTS &&
  data.products.edges.every((e: any) => e.node.availablePlans.length === SEED_PLANS && e.node.catalogs.length >= 1);
const productsOnly = (data: any) => data.products.edges.length === SEED_PRODUCTS;
const entitlements = (data: any) => data.viewer?.memberships?.length >= 1;

function ratio(a: number, b: number): number {
  return b > 0 ? round(a / b, 2) : NaN;
}

/** Requests per second over several runs of the same target (total requests ÷ total seconds). */
function pooled(runs: CannonFigures[]): number {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return seconds > 0 ? round(requests / seconds, 1) : NaN;
}

export const gatewayCatalog: Scenario = {
  name: 'gateway-catalog',
  description:
    'Catalog page (20 products × 4 plans) and entitlements query with autocannon (10 connections): our gateway, the subgraph alone, and @apollo/gateway on the same supergraph, and the anonymous catalog page with and without the response cache, in one run.',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { platform, seed, options } = ctx;
    const seconds = options.durationSeconds;
    const warmup = options.quick ? 1 : 3;
    const auth = { authorization: seed.viewerAuth };
    const variables = { catalog: seed.catalogId };

    const port = await freePort();
    const peer = await platform.spawnExtra(
      APOLLO,
      // Compiled by the benchmark build (tsconfig.bench.json) one folder above this scenario.
      path.join(__dirname, '..', 'apollo-gateway.js'),
      platform.gatewayEnv(port),
      `http://127.0.0.1:${port}/`,
      async () => (await post(`http://127.0.0.1:${port}/`, '{ __typename }')).status === 200,
    );
    try {
      const uncached = await platform.spawnGateway(UNCACHED, { RESPONSE_CACHE_TTL_SECONDS: '0' });
      const jsPlanner = await platform.spawnGateway(JS_PLANNER, { GATEWAY_QUERY_PLANNER: 'javascript' });
      const hive = (label: string, query: string, extra: Record<string, string> = {}): CannonTarget => ({
        label,
        url: platform.gatewayUrl,
        query,
        variables,
        headers: { ...auth, ...extra },
      });
      const apollo = (label: string, query: string): CannonTarget => ({ label, url: peer.url, query, variables, headers: auth });
      const direct = (label: string, subgraph: 'products' | 'developers', query: string): CannonTarget => ({
        label,
        url: platform.subgraphUrl(subgraph),
        query,
        variables,
        extensions: forwardedExtensions(seed.viewer, { query, variables }),
      });

      const targets = {
        hive: hive('gateway (ours)', CATALOG_PAGE_QUERY),
        apollo: apollo('@apollo/gateway', CATALOG_PAGE_QUERY),
        hiveJsPlanner: { ...hive('gateway (ours), JavaScript planner', CATALOG_PAGE_QUERY), url: jsPlanner.url },
        hiveProducts: hive('gateway (ours)', CATALOG_PRODUCTS_QUERY),
        apolloProducts: apollo('@apollo/gateway', CATALOG_PRODUCTS_QUERY),
        directProducts: direct('products subgraph alone', 'products', CATALOG_PRODUCTS_QUERY),
        hiveEntitlements: hive('gateway (ours)', ENTITLEMENTS_QUERY),
        apolloEntitlements: apollo('@apollo/gateway', ENTITLEMENTS_QUERY),
        directEntitlements: direct('developers subgraph alone', 'developers', ENTITLEMENTS_QUERY),
        // Anonymous portal visitors: the page of a PUBLIC catalog, the same answer for all of them.
        anonCached: { label: 'gateway (ours), anonymous, response cache', url: platform.gatewayUrl, query: CATALOG_PAGE_QUERY, variables },
        anonUncached: { label: 'gateway (ours), anonymous, cache off', url: uncached.url, query: CATALOG_PAGE_QUERY, variables },
      };
      await check(targets.hive, fullPage);
      await check(targets.apollo, fullPage);
      await check(targets.hiveJsPlanner, fullPage);
      await check(targets.hiveProducts, productsOnly);
      await check(targets.apolloProducts, productsOnly);
      await check(targets.directProducts, productsOnly);
      await check(targets.hiveEntitlements, entitlements);
      await check(targets.apolloEntitlements, entitlements);
      await check(targets.directEntitlements, entitlements);
      await check(targets.anonCached, fullPage);
      await check(targets.anonUncached, fullPage);

      // Signed again before each run: a subgraph refuses signatures older than GATEWAY_SIGNATURE_MAX_AGE_SECONDS (60 s).
      const fresh = (target: CannonTarget): CannonTarget =>
        target.extensions ? { ...target, extensions: forwardedExtensions(seed.viewer, { query: target.query, variables }) } : target;
      const run = async (target: CannonTarget) => {
        ctx.log(`  ${target.label}: ${/^query\s+(\w+)/.exec(target.query)?.[1] ?? 'query'} for ${seconds} s`);
        return cannon(platform, fresh(target), seconds);
      };
      ctx.log(`  warming up every target (${warmup} s each)`);
      for (const target of Object.values(targets)) await cannon(platform, fresh(target), warmup);

      // Our gateway and the peer alternate (A B B A) so drift on this shared machine hits both.
      const hive1 = await run(targets.hive);
      const apollo1 = await run(targets.apollo);
      const apollo2 = await run(targets.apollo);
      const hive2 = await run(targets.hive);
      const js1 = await run(targets.hiveJsPlanner);
      const directProducts = await run(targets.directProducts);
      const hiveProducts = await run(targets.hiveProducts);
      const apolloProducts = await run(targets.apolloProducts);
      const directEntitlements = await run(targets.directEntitlements);
      const hiveEntitlements = await run(targets.hiveEntitlements);
      const apolloEntitlements = await run(targets.apolloEntitlements);
      // With and without the response cache, alternated (A B B A) like the gateways above.
      const anonCached1 = await run(targets.anonCached);
      const anonUncached1 = await run(targets.anonUncached);
      const anonUncached2 = await run(targets.anonUncached);
      const anonCached2 = await run(targets.anonCached);

      const hiveRps = pooled([hive1, hive2]);
      const apolloRps = pooled([apollo1, apollo2]);
      const ratios = {
        oursVsApolloCatalog: ratio(hiveRps, apolloRps),
        oursVsApolloCatalogRounds: [
          ratio(hive1.requestsPerSecond, apollo1.requestsPerSecond),
          ratio(hive2.requestsPerSecond, apollo2.requestsPerSecond),
        ],
        gatewayOverheadProducts: ratio(directProducts.requestsPerSecond, hiveProducts.requestsPerSecond),
        gatewayOverheadEntitlements: ratio(directEntitlements.requestsPerSecond, hiveEntitlements.requestsPerSecond),
        apolloOverheadProducts: ratio(directProducts.requestsPerSecond, apolloProducts.requestsPerSecond),
        apolloOverheadEntitlements: ratio(directEntitlements.requestsPerSecond, apolloEntitlements.requestsPerSecond),
        jsPlannerVsShipped: ratio(js1.requestsPerSecond, hiveRps),
        jsPlannerVsApollo: ratio(js1.requestsPerSecond, apolloRps),
        oursVsApolloProducts: ratio(hiveProducts.requestsPerSecond, apolloProducts.requestsPerSecond),
        oursVsApolloEntitlements: ratio(hiveEntitlements.requestsPerSecond, apolloEntitlements.requestsPerSecond),
        anonymousCachedVsUncached: ratio(pooled([anonCached1, anonCached2]), pooled([anonUncached1, anonUncached2])),
        anonymousCachedVsUncachedRounds: [
          ratio(anonCached1.requestsPerSecond, anonUncached1.requestsPerSecond),
          ratio(anonCached2.requestsPerSecond, anonUncached2.requestsPerSecond),
        ],
      };
      const runs = {
        hive1,
        apollo1,
        apollo2,
        hive2,
        js1,
        directProducts,
        hiveProducts,
        apolloProducts,
        directEntitlements,
        hiveEntitlements,
        apolloEntitlements,
        anonCached1,
        anonUncached1,
        anonUncached2,
        anonCached2,
      };
      // Gateway CPU per request is steadier than req/s when other work competes for the 2 cores.
      const cpuOf = (runs: CannonFigures[], name: string) => {
        const requests = runs.reduce((sum, r) => sum + r.requests, 0);
        return requests ? runs.reduce((sum, r) => sum + (r.cpuMsPerRequest[name] ?? 0) * r.requests, 0) / requests : NaN;
      };
      const cpuRatios = {
        catalogPage: ratio(cpuOf([hive1, hive2], 'gateway'), cpuOf([apollo1, apollo2], APOLLO)),
        jsPlannerVsApollo: ratio(cpuOf([js1], JS_PLANNER), cpuOf([apollo1, apollo2], APOLLO)),
        catalogProducts: ratio(cpuOf([hiveProducts], 'gateway'), cpuOf([apolloProducts], APOLLO)),
        entitlements: ratio(cpuOf([hiveEntitlements], 'gateway'), cpuOf([apolloEntitlements], APOLLO)),
        anonymousUncachedVsCached: ratio(cpuOf([anonUncached1, anonUncached2], UNCACHED), cpuOf([anonCached1, anonCached2], 'gateway')),
      };
      const memory = platform.memory();
      const gatewayMemory = { ours: memory.gateway, apollo: memory[APOLLO] };
      const failures = Object.values(runs).reduce((sum, r) => sum + r.errors + r.non2xx + r.graphqlErrors, 0);
      const warnings = failures ? [`${failures} failed requests (connection errors, non-2xx or GraphQL errors) across the runs`] : [];

      // The process that played the gateway in a run: ours, the peer, or none (subgraph alone).
      const gatewayCpu = (r: CannonFigures) =>
        r.url === platform.gatewayUrl
          ? (r.cpuMsPerRequest.gateway ?? NaN)
          : r.url === peer.url
            ? (r.cpuMsPerRequest[APOLLO] ?? NaN)
            : r.url === uncached.url
              ? (r.cpuMsPerRequest[UNCACHED] ?? NaN)
              : r.url === jsPlanner.url
                ? (r.cpuMsPerRequest[JS_PLANNER] ?? NaN)
                : NaN;
      const upstreamCpu = (r: CannonFigures) =>
        round(
          ['products', 'plans', 'developers'].reduce((sum, name) => sum + (r.cpuMsPerRequest[name] ?? 0), 0) +
            (r.cpuMsPerRequest.postgres ?? 0),
          2,
        );
      const row = (query: string, r: CannonFigures) => [
        query,
        r.label,
        r.requestsPerSecond,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.errors + r.non2xx + r.graphqlErrors,
        Number.isNaN(gatewayCpu(r)) ? '–' : round(gatewayCpu(r), 2),
        upstreamCpu(r),
      ];
      const markdown = [
        table(
          ['query', 'target', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'gateway CPU ms/req', 'subgraphs + PostgreSQL CPU ms/req'],
          [
            row('catalog page', hive1),
            row('catalog page', apollo1),
            row('catalog page', apollo2),
            row('catalog page', hive2),
            row('catalog page', js1),
            row('catalog products only', directProducts),
            row('catalog products only', hiveProducts),
            row('catalog products only', apolloProducts),
            row('entitlements', directEntitlements),
            row('entitlements', hiveEntitlements),
            row('entitlements', apolloEntitlements),
            row('catalog page, anonymous', anonCached1),
            row('catalog page, anonymous', anonUncached1),
            row('catalog page, anonymous', anonUncached2),
            row('catalog page, anonymous', anonCached2),
          ],
        ),
        '',
        `- Catalog page, ours ÷ @apollo/gateway (req/s, both rounds pooled): **${ratios.oursVsApolloCatalog}** (rounds: ${ratios.oursVsApolloCatalogRounds.join(', ')}).`,
        `- Gateway CPU per request, ours ÷ @apollo/gateway: catalog page **${cpuRatios.catalogPage}×**, products-only **${cpuRatios.catalogProducts}×**, entitlements **${cpuRatios.entitlements}×**.`,
        `- Gateway overhead (subgraph alone ÷ through the gateway, same query): products-only catalog **${ratios.gatewayOverheadProducts}×**, entitlements **${ratios.gatewayOverheadEntitlements}×** (@apollo/gateway: ${ratios.apolloOverheadProducts}×, ${ratios.apolloOverheadEntitlements}×).`,
        `- With the JavaScript query planner (\`GATEWAY_QUERY_PLANNER=javascript\`), catalog page, ÷ @apollo/gateway: **${ratios.jsPlannerVsApollo}×** in req/s, **${cpuRatios.jsPlannerVsApollo}×** in gateway CPU per request (÷ ours as shipped, Rust planner: ${ratios.jsPlannerVsShipped}× in req/s).`,
        `- Anonymous catalog page, response cache ÷ cache off (req/s, both rounds pooled): **${ratios.anonymousCachedVsUncached}×** (rounds: ${ratios.anonymousCachedVsUncachedRounds.join(', ')}); gateway CPU per request, cache off ÷ cache: **${cpuRatios.anonymousUncachedVsCached}×**.`,
        `- Gateway RSS after these runs: ours ${mib(gatewayMemory.ours)} MiB, @apollo/gateway ${mib(gatewayMemory.apollo)} MiB.`,
      ].join('\n');
      return {
        figures: { seconds, connections: 10, runs, ratios, gatewayCpuRatios: cpuRatios, gatewayMemoryBytes: gatewayMemory },
        targets: [
          targetCheck("gateway CPU per catalog page (signed in) ÷ @apollo/gateway's", cpuRatios.catalogPage, { atMost: 0.5 }),
          targetCheck("catalog page req/s (signed in) ÷ @apollo/gateway's", ratios.oursVsApolloCatalog, { atLeast: 2 }),
          targetCheck('anonymous catalog page req/s, response cache ÷ cache off', ratios.anonymousCachedVsUncached, { atLeast: 10 }),
          targetCheck('failed requests', failures, { atMost: 0 }, ''),
        ],
        markdown,
        warnings,
      };
    } finally {
      await platform.stopProcess(APOLLO);
      await platform.stopProcess(UNCACHED);
      await platform.stopProcess(JS_PLANNER);
    }
  },
};
