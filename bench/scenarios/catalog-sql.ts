import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { cannon, type CannonFigures, type CannonTarget } from '../lib/cannon';
import { bearer, developerIdentity, mutateId, post } from '../lib/graphql';
import { freePort } from '../lib/platform';
import { mapLimit, round, table } from '../lib/stats';
import { targetCheck, type BenchContext, type Scenario, type ScenarioResult } from '../lib/types';
import { CATALOG_PAGE_QUERY } from './gateway-catalog';

const RAW = 'raw-sql';
/**
 * Distinct signed-in viewers whose pages the runs ask for in turn, each the ORG_ADMIN of an
 * organization of their own (the catalog is PUBLIC, so every one of them sees the same page).
 * The gateway sends identical concurrent subgraph calls of one caller upstream once; with one
 * caller for every request the subgraphs would do one page's work for several requests and the
 * figure would not be the cost of a page. With 20 callers taken in turn by 10 connections, no two
 * requests in flight are the same caller's.
 */
const VIEWERS = 20;

/** CPU ms per request of `names`, over several runs (weighted by their requests). */
function cpuPerRequest(runs: CannonFigures[], names: string[]): number {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  if (!requests) return NaN;
  return runs.reduce((sum, r) => sum + names.reduce((s, name) => s + (r.cpuMsPerRequest[name] ?? 0), 0) * r.requests, 0) / requests;
}

/**
 * What the subgraphs and PostgreSQL spend on one catalog page, against the same rows fetched with
 * hand-written SQL and serialised (`bench/raw-catalog-server.ts`), in the same run. Both answer the
 * signed-in viewer's catalog page; the scenario first checks the two answers are equal.
 */
export const catalogSql: Scenario = {
  name: 'catalog-sql',
  description:
    'Catalog page (20 products × 4 plans, 20 signed-in viewers taken in turn, so nothing merges): CPU of the products, plans and developers subgraphs plus PostgreSQL per page through the gateway, against a process answering the same page with hand-written SQL and JSON.stringify (A B B A).',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { platform, seed, options } = ctx;
    const seconds = options.durationSeconds;
    const variables = { catalog: seed.catalogId };
    const port = await freePort();
    const rawUrl = `http://127.0.0.1:${port}/`;
    const rawHeaders = { 'x-bench-subject': seed.viewer.sub };
    const viewers = await mapLimit(
      Array.from({ length: VIEWERS }, (_, i) => developerIdentity(`bench-catalog-viewer-${i + 1}`)),
      4,
      async (viewer, i) => {
        await mutateId(platform.gatewayUrl, seed.adminAuth, 'createOrganization', 'CreateOrganizationInput', 'organization', {
          name: `Catalog viewer ${i + 1}`,
          slug: `bench-catalog-viewer-${i + 1}`,
          adminSubject: viewer.sub,
        });
        return viewer;
      },
    );
    await platform.spawnExtra(
      RAW,
      // Compiled by the benchmark build (tsconfig.tools.json) one folder above this scenario.
      path.join(__dirname, '..', 'raw-catalog-server.js'),
      { ...platform.gatewayEnv(port) },
      rawUrl,
      async () => (await post(rawUrl, '', variables, { headers: rawHeaders })).status === 200,
    );
    try {
      const gateway: CannonTarget = {
        label: 'gateway (ours): subgraphs + PostgreSQL',
        url: platform.gatewayUrl,
        query: CATALOG_PAGE_QUERY,
        variables,
        headers: { authorization: seed.viewerAuth },
        headerRotation: viewers.map((viewer) => ({ authorization: bearer(viewer) })),
      };
      const raw: CannonTarget = {
        label: 'hand-written SQL + JSON.stringify',
        url: rawUrl,
        query: '',
        variables,
        headers: rawHeaders,
        headerRotation: viewers.map((viewer) => ({ 'x-bench-subject': viewer.sub })),
      };

      const ours = await post(gateway.url, gateway.query, variables, { headers: gateway.headers });
      const theirs = await post(raw.url, '', variables, { headers: rawHeaders });
      if (ours.errors?.length || !isDeepStrictEqual(ours.data, theirs.data)) {
        throw new Error(
          `the hand-written page differs from the gateway's: ${JSON.stringify(ours).slice(0, 400)} … ${JSON.stringify(theirs).slice(0, 400)}`,
        );
      }

      const warmup = options.quick ? 1 : 3;
      ctx.log(`  warming up both targets (${warmup} s each)`);
      await cannon(platform, gateway, warmup);
      await cannon(platform, raw, warmup);
      const run = (target: CannonTarget) => {
        ctx.log(`  ${target.label} for ${seconds} s`);
        return cannon(platform, target, seconds);
      };
      const ours1 = await run(gateway);
      const raw1 = await run(raw);
      const raw2 = await run(raw);
      const ours2 = await run(gateway);

      const subgraphs = ['products', 'plans', 'developers'];
      const oursCpu = cpuPerRequest([ours1, ours2], [...subgraphs, 'postgres']);
      const rawCpu = cpuPerRequest([raw1, raw2], [RAW, 'postgres']);
      const row = (r: CannonFigures, names: string[]) => [
        r.label,
        r.requestsPerSecond,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.errors + r.non2xx + r.graphqlErrors,
        ...names.map((name) => round(r.cpuMsPerRequest[name] ?? 0, 2)),
      ];
      const columns = ['products', 'plans', 'developers', RAW, 'postgres'];
      const ratios = {
        subgraphsAndPostgresVsRawSql: round(oursCpu / rawCpu, 2),
        rounds: [
          round(cpuPerRequest([ours1], [...subgraphs, 'postgres']) / cpuPerRequest([raw1], [RAW, 'postgres']), 2),
          round(cpuPerRequest([ours2], [...subgraphs, 'postgres']) / cpuPerRequest([raw2], [RAW, 'postgres']), 2),
        ],
        postgresOnly: round(cpuPerRequest([ours1, ours2], ['postgres']) / cpuPerRequest([raw1, raw2], ['postgres']), 2),
      };
      const runs = { ours1, raw1, raw2, ours2 };
      const failures = Object.values(runs).reduce((sum, r) => sum + r.errors + r.non2xx + r.graphqlErrors, 0);
      const markdown = [
        table(
          ['target', 'req/s', 'p50 ms', 'p99 ms', 'failed', ...columns.map((c) => `${c} CPU ms/req`)],
          [row(ours1, columns), row(raw1, columns), row(raw2, columns), row(ours2, columns)],
        ),
        '',
        `- Subgraphs + PostgreSQL CPU per catalog page ÷ hand-written SQL + serialisation (+ PostgreSQL): **${ratios.subgraphsAndPostgresVsRawSql}×** (rounds: ${ratios.rounds.join(', ')}; ${round(oursCpu, 2)} against ${round(rawCpu, 2)} ms). PostgreSQL alone: ${ratios.postgresOnly}×.`,
      ].join('\n');
      return {
        figures: { seconds, runs, ratios, cpuMsPerPage: { subgraphsAndPostgres: oursCpu, rawSqlAndPostgres: rawCpu } },
        markdown,
        warnings: failures ? [`${failures} failed requests across the runs`] : [],
        targets: [
          targetCheck('subgraphs + PostgreSQL CPU per catalog page ÷ hand-written SQL + PostgreSQL', ratios.subgraphsAndPostgresVsRawSql, {
            atMost: 3,
          }),
        ],
      };
    } finally {
      await platform.stopProcess(RAW);
    }
  },
};
