import path from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * The embedded PostgreSQL of `npm start`, in a process of its own. start-all spawns it in a
 * separate process group, so Ctrl-C in the terminal does not reach PostgreSQL directly: the
 * platform stops the subgraphs first and then tells this process to stop PostgreSQL (or it
 * stops by itself when start-all goes away).
 */
const say = (message: string) => process.stdout.write(`[plangraph] ${message}\n`);

async function main(): Promise<void> {
  const dataDir = path.resolve(process.argv[2]);
  const port = Number(process.argv[3]);
  const database = await startEmbeddedPostgres(dataDir, port, say);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    database
      .stop()
      .catch((error) => say(`embedded PostgreSQL stop: ${(error as Error).message}`))
      .finally(() => process.exit(0));
  };
  process.on('message', (message) => {
    if (message === 'stop') stop();
  });
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.send?.({ ready: true, url: database.url });
}

main().catch((error) => {
  say(`embedded PostgreSQL failed: ${(error as Error).message}`);
  process.exit(1);
});
