import { startSubgraph, type RunningSubgraph } from '../../common/server';
import type { Clock } from '../../common/clock';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../gateway';
import type { SubgraphName } from '../../common/config';
import { compose } from '../../scripts/compose';
import { SUBGRAPHS } from '../../scripts/subgraphs';
import { createLogger, type Logger } from '../../common/logger';
import { testDatabaseUrl } from './db';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The supergraph the code composes, composed once per test run: composition is deterministic and
 * the code does not change during a run, so the first platform of the run writes it to the run's
 * scratch directory (`PLANGRAPH_TEST_RUN_DIR`, test/global-setup.mjs) and the others read it
 * (composing took 1.5–2.5 s of every platform's start on a busy machine).
 */
async function supergraphOfThisRun(): Promise<string> {
  const dir = process.env.PLANGRAPH_TEST_RUN_DIR;
  const file = dir ? path.join(dir, 'supergraph.graphql') : null;
  if (file) {
    const cached = await fs.readFile(file, 'utf8').catch(() => null);
    if (cached) return cached;
  }
  const { supergraph } = await compose();
  if (file) {
    // Written whole under another name, then renamed: a reader never sees half a file.
    const partial = `${file}.${process.pid}.${Date.now()}`;
    await fs.writeFile(partial, supergraph);
    await fs.rename(partial, file);
  }
  return supergraph;
}

export interface TestPlatform {
  gatewayUrl: string;
  wsUrl: string;
  subgraphs: Partial<Record<SubgraphName, RunningSubgraph>>;
  gateway: RunningGateway;
  /** SQL statements run by each subgraph since the last reset (N+1 checks). */
  queries: Record<string, string[]>;
  /** Another gateway in front of the same subgraphs, with its own environment (limits, modes) and options (a signing clock). */
  extraGateway(
    env: NodeJS.ProcessEnv,
    subgraphUrlOverrides?: Partial<Record<SubgraphName, string>>,
    options?: Pick<GatewayOptions, 'signingClock'>,
  ): Promise<RunningGateway>;
  stop(): Promise<void>;
}

/** Starts every subgraph on a free port and the real gateway in front of them. */
export async function startPlatform(
  options: {
    gatewayEnv?: NodeJS.ProcessEnv;
    databaseUrl?: string;
    /** Settings for every subgraph, over the test process's environment. */
    subgraphEnv?: NodeJS.ProcessEnv;
    /** Settings for one subgraph, over `subgraphEnv`. */
    envOf?: Partial<Record<SubgraphName, NodeJS.ProcessEnv>>;
    /** The clock of one subgraph (default: the system clock); tests pass a `ManualClock` to move time by hand. */
    clockOf?: Partial<Record<SubgraphName, Clock>>;
    /** The logger of each service (default: JSON on stdout); tests pass one to read the log lines. */
    logger?: (name: string) => Logger;
  } = {},
): Promise<TestPlatform> {
  const databaseUrl = options.databaseUrl ?? testDatabaseUrl();
  const logger = options.logger ?? ((name: string) => createLogger(name));
  const queries: Record<string, string[]> = {};
  const subgraphs: Partial<Record<SubgraphName, RunningSubgraph>> = {};
  // Composed before any subgraph starts: on a loaded machine composition keeps the event loop busy
  // for many seconds, and a job runner whose first connection waits that long gives up after 10 s
  // (its pool's connect timeout); graphile-worker then never fetches a job in that runner.
  const supergraph = await supergraphOfThisRun();
  try {
    for (const module of Object.values(SUBGRAPHS)) {
      queries[module.name] = [];
      subgraphs[module.name] = await startSubgraph(module, {
        databaseUrl,
        port: 0,
        log: logger(module.name),
        onQuery: (sql) => queries[module.name].push(sql),
        ...(options.clockOf?.[module.name] ? { clock: options.clockOf[module.name] } : {}),
        ...(options.subgraphEnv || options.envOf?.[module.name]
          ? { env: { ...process.env, ...options.subgraphEnv, ...options.envOf?.[module.name] } }
          : {}),
      });
    }
    const subgraphUrls = Object.fromEntries(Object.entries(subgraphs).map(([name, s]) => [name, s!.url]));
    const gateway = await startGateway({ supergraph, subgraphUrls, port: 0, log: logger('gateway'), env: options.gatewayEnv });
    const extras: RunningGateway[] = [];
    return {
      gatewayUrl: gateway.url,
      wsUrl: gateway.url.replace(/^http/, 'ws'),
      subgraphs,
      gateway,
      queries,
      async extraGateway(env, overrides = {}, gatewayOptions = {}) {
        const extra = await startGateway({
          ...gatewayOptions,
          supergraph,
          subgraphUrls: { ...subgraphUrls, ...overrides },
          port: 0,
          log: logger('gateway'),
          env,
        });
        extras.push(extra);
        return extra;
      },
      async stop() {
        for (const extra of extras) await extra.stop();
        await gateway.stop();
        for (const subgraph of Object.values(subgraphs)) await subgraph!.stop();
      },
    };
  } catch (error) {
    for (const subgraph of Object.values(subgraphs)) await subgraph!.stop().catch(() => undefined);
    throw error;
  }
}
