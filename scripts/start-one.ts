import 'reflect-metadata';
// First: tracing starts before `http` and `pg` are loaded (when an OTLP endpoint is set).
import './instrument';
import fs from 'node:fs';
import { ConfigError, processConfig, SUBGRAPH_NAMES, type SubgraphName } from '../common/config';
import type { JobRunner } from '../common/jobs';
import { createLogger } from '../common/logger';
import { stopTelemetry } from '../common/telemetry';
import { SUPERGRAPH_FILE } from './paths';
import { loadSubgraph } from './subgraph-module';

/**
 * Runs one process of the platform, as production does: `node dist/scripts/start-one.js <name>`
 * with <name> one of the subgraphs or `gateway`. SIGTERM (or SIGINT) drains it: it stops taking
 * connections and jobs, lets those in flight finish and exits 0; whatever is still running when
 * `SHUTDOWN_GRACE_SECONDS` is over is cut and the process exits 1 (a second signal cuts at once).
 */
async function main(name: string): Promise<void> {
  if (name !== 'gateway' && !SUBGRAPH_NAMES.includes(name as SubgraphName))
    throw new Error(`unknown process "${name}": use gateway or one of ${SUBGRAPH_NAMES.join(', ')}`);
  // The whole configuration is checked before anything starts (a ConfigError names every bad variable).
  const config = name === 'gateway' ? processConfig('gateway') : processConfig(name as SubgraphName);
  // Only the code this process runs is loaded: the gateway's, or one subgraph's.
  const module = name === 'gateway' ? null : await loadSubgraph(name as SubgraphName);
  const log = createLogger(name);
  let stop: () => Promise<void>;
  let jobs: JobRunner | null = null;
  if (!module) {
    const { startGateway } = await import('../gateway/index.js');
    const gateway = await startGateway({
      supergraph: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
      port: config.listen.port,
      host: config.listen.host,
      log,
    });
    stop = gateway.stop;
  } else {
    const { startSubgraph } = await import('../common/server.js');
    const subgraph = await startSubgraph(module, {
      databaseUrl: processConfig(module.name).database.url, // parsed above: a cache hit
      port: config.listen.port,
      host: config.listen.host,
      log,
    });
    stop = subgraph.stop;
    jobs = subgraph.jobs;
  }
  const graceMs = config.shutdown.graceSeconds * 1000;
  let stopping = false;
  /**
   * Out of time: the jobs still running go back to the queue for another replica at once (they
   * would otherwise wait for the lock timeout), then the process exits.
   */
  const cut = (reason: string) => {
    log.warn({ reason }, 'stopping now: work still in flight is cut');
    const released = jobs?.releaseLocks() ?? Promise.resolve(0);
    const exit = setTimeout(() => process.exit(1), 1000);
    exit.unref();
    released
      .then((count) => count && log.warn({ jobs: count }, 'jobs still running were handed back to the queue'))
      .catch(() => undefined)
      .finally(() => process.exit(1));
  };
  const shutdown = (signal: string) => {
    if (stopping) return cut(`second ${signal}`);
    stopping = true;
    log.info({ signal, graceSeconds: config.shutdown.graceSeconds }, 'draining');
    const force = setTimeout(() => cut('grace period over'), graceMs);
    force.unref();
    stop()
      .then(stopTelemetry)
      .then(() => process.exit(0))
      .catch((error) => {
        log.error({ err: error }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main(process.argv[2] ?? '').catch((error) => {
  if (error instanceof ConfigError) {
    // What to fix, and nothing else: a stack trace would only hide the list of bad variables.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  createLogger(process.argv[2] || 'start').fatal({ err: error }, 'failed to start');
  process.exit(1);
});
