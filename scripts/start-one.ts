import 'reflect-metadata';
import fs from 'node:fs';
import { databaseUrl, listenHost, portFor, SUBGRAPH_NAMES, type SubgraphName } from '../common/config';
import { createLogger } from '../common/logger';
import { startGateway } from '../gateway';
import { startSubgraph } from '../common/server';
import { SUPERGRAPH_FILE } from './paths';
import { SUBGRAPHS } from './subgraphs';

/**
 * Runs one process of the platform, as production does: `node dist/scripts/start-one.js <name>`
 * with <name> one of the subgraphs or `gateway`. SIGINT/SIGTERM stop it cleanly.
 */
async function main(name: string): Promise<void> {
  const log = createLogger(name);
  let stop: () => Promise<void>;
  if (name === 'gateway') {
    const gateway = await startGateway({
      supergraph: fs.readFileSync(SUPERGRAPH_FILE, 'utf8'),
      port: portFor('gateway'),
      host: listenHost(),
      log,
    });
    stop = gateway.stop;
  } else {
    const module = SUBGRAPHS[name as SubgraphName];
    if (!module) throw new Error(`unknown process "${name}": use gateway or one of ${SUBGRAPH_NAMES.join(', ')}`);
    const subgraph = await startSubgraph(module, {
      databaseUrl: databaseUrl(),
      port: portFor(module.name),
      host: listenHost(),
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
  createLogger(process.argv[2] || 'start').fatal({ err: error }, 'failed to start');
  process.exit(1);
});
