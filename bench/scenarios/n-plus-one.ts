import fs from 'node:fs';
import { createLogger } from '../../common/logger';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import type { SubgraphName } from '../../common/config';
import { startGateway } from '../../gateway';
import { SUPERGRAPH_FILE } from '../../scripts/paths';
import { SUBGRAPHS } from '../../scripts/subgraphs';
import { createNPlusOneData, measureNPlusOne, quotaWarningRaiser, type SqlCounter } from '../n-plus-one/cases';
import { BENCH_ENV } from '../lib/platform';
import { table } from '../lib/stats';
import { targetCheck, type BenchContext, type Scenario, type ScenarioResult } from '../lib/types';

/**
 * SQL statements cannot be counted from outside a subgraph process, so this scenario starts a
 * second, in-process copy of every subgraph (each statement reported through `onQuery`) and a
 * gateway in front of them, on the benchmark's database. Process layout does not change how
 * many statements a request costs.
 */
export const nPlusOne: Scenario = {
  name: 'n-plus-one',
  description:
    'SQL statements one gateway request costs (all subgraphs together) for every list field that resolves entities, at 1 and at 100 items. test/n-plus-one.e2e.test.ts fails when a count grows.',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const size = ctx.options.quick ? 20 : 100;
    const env = { ...process.env, ...BENCH_ENV };
    const queries: Record<string, number> = {};
    const subgraphs: RunningSubgraph[] = [];
    try {
      for (const module of Object.values(SUBGRAPHS)) {
        queries[module.name] = 0;
        subgraphs.push(
          await startSubgraph(module, {
            databaseUrl: ctx.platform.databaseUrl,
            port: 0,
            env,
            log: createLogger(module.name, 'warn'),
            onQuery: () => queries[module.name]++,
          }),
        );
      }
      const subgraphUrls = Object.fromEntries(subgraphs.map((s) => [s.name, s.url])) as Partial<Record<SubgraphName, string>>;
      const gateway = await startGateway({
        supergraph: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
        subgraphUrls,
        port: 0,
        env,
        log: createLogger('gateway', 'warn'),
      });
      try {
        const usage = subgraphs.find((s) => s.name === 'usage')!;
        const began = Date.now();
        const data = await createNPlusOneData(gateway.url, { size, raiseWarning: quotaWarningRaiser(usage) });
        ctx.log(`  created ${size} items of every list in ${((Date.now() - began) / 1000).toFixed(1)} s`);
        const counter: SqlCounter = {
          reset: () => Object.keys(queries).forEach((name) => (queries[name] = 0)),
          counts: () => ({ ...queries }),
        };
        const figures = await measureNPlusOne(gateway.url, data, counter);
        const growing = figures.filter((f) => f.grows);
        const markdown = [
          table(
            ['list field', 'caller', 'statements at 1 item', `statements at ${size} items`, `by subgraph at ${size}`],
            figures.map((f) => [
              f.field,
              f.as,
              f.at1,
              f.grows ? `**${f.atSize}**` : f.atSize,
              Object.entries(f.bySubgraph)
                .map(([name, count]) => `${name} ${count}`)
                .join(', '),
            ]),
          ),
          '',
          growing.length ? `**${growing.length} field(s) grow with the list.**` : `No count grows between 1 and ${size} items.`,
        ].join('\n');
        return {
          figures: { size, cases: figures },
          markdown,
          warnings: growing.map((f) => `${f.field} (${f.as}): ${f.at1} statements at 1 item, ${f.atSize} at ${size}`),
          targets: [targetCheck(`list fields whose SQL statements grow from 1 to ${size} items`, growing.length, { atMost: 0 }, '')],
        };
      } finally {
        await gateway.stop();
      }
    } finally {
      for (const subgraph of subgraphs) await subgraph.stop().catch(() => undefined);
    }
  },
};
