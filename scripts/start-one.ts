import 'reflect-metadata';
// First: tracing starts before `http` and `pg` are loaded (when an OTLP endpoint is set).
import './instrument';
import fs from 'node:fs';
import { ConfigError, processConfig, SUBGRAPH_NAMES, type SubgraphName } from '../common/config';
import { createLogger } from '../common/logger';
import { startGateway } from '../gateway';
import { startSubgraph } from '../common/server';
import { stopTelemetry } from '../common/telemetry';
import { SUPERGRAPH_FILE } from './paths';
import { SUBGRAPHS } from './subgraphs';

/**
 * Runs one process of the platform, as production does: `node dist/scripts/start-one.js <name>`
 * with <name> one of the subgraphs or `gateway`. SIGINT/SIGTERM stop it cleanly.
 */
async function main(name: string): Promise<void> {
  const module = name === 'gateway' ? null : SUBGRAPHS[name as SubgraphName];
  if (module === undefined) throw new Error(`unknown process "${name}": use gateway or one of ${SUBGRAPH_NAMES.join(', ')}`);
  // The whole configuration is checked before anything starts (a ConfigError names every bad variable).
  const config = module ? processConfig(module.name) : processConfig('gateway');
  const log = createLogger(name);
  let stop: () => Promise<void>;
  if (!module) {
    const gateway = await startGateway({
      supergraph: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
      port: config.listen.port,
      host: config.listen.host,
      log,
    });
    stop = gateway.stop;
  } else {
    const subgraph = await startSubgraph(module, {
      databaseUrl: processConfig(module.name).database.url, // parsed above: a cache hit
      port: config.listen.port,
      host: config.listen.host,
      log,
    });
    stop = subgraph.stop;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
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
