/**
 * Every test file gets a PostgreSQL database of its own (test/setup-database.ts calls
 * `createSuiteDatabase` before the file's own hooks; `testDatabaseUrl()` then returns it).
 *
 * Why: the subgraphs a test file starts run graphile-worker on their database, and provider
 * sync binds a plan's or product's policy to whichever provider is the default when its first
 * sync runs. On one database shared by the whole run, the files running side by side mixed:
 * another file's `makeDefault: true` between a file's product sync and plan sync left them on two
 * providers (the key failed with "enforced by another provider" and waited for graphile-worker's
 * retries: 2.7 s, 7.4 s, 20 s, …); a file's jobs ran in whatever file's workers took them (which
 * may be stopping, cut off from the database or killed on purpose), other files' jobs against
 * stopped Tyk test servers kept its workers busy, and a file with a short
 * JOB_LOCK_TIMEOUT_SECONDS judged other files' live workers dead.
 *
 * Cost: the first test file of a run migrates a template once (every subgraph's
 * migrations, the platform's and graphile-worker's schema), under a lock the others wait on;
 * each file's database is then a copy of it (`create database … template …`). Subgraphs still
 * run their migrations on start, so a migration added since is applied as before.
 * test/global-teardown.mjs drops them all.
 */
import pg from 'pg';

export interface TestDatabaseNames {
  adminUrl: string;
  /** Every database of this jest run starts with it (test/global-setup.mjs). */
  prefix: string;
}

export function testDatabaseNames(): TestDatabaseNames {
  const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL;
  const prefix = process.env.PLANGRAPH_TEST_DATABASE_PREFIX;
  if (!adminUrl || !prefix) throw new Error('PLANGRAPH_TEST_ADMIN_URL is not set: run tests through jest (test/global-setup.mjs)');
  return { adminUrl, prefix };
}

export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A name for this test file's database, chosen before anything connects (hooks run later). */
export function suiteDatabaseName(): string {
  const { prefix } = testDatabaseNames();
  return `${prefix}_f${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

async function withAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** The template is ready once marked as one (a builder that died half-way left it unmarked). */
async function templateReady(admin: pg.Client, name: string): Promise<boolean> {
  return (await admin.query('select 1 from pg_database where datname = $1 and datistemplate', [name])).rowCount === 1;
}

/** Migrates an empty database the way the subgraphs do on start (platform, graphile-worker, every schema). */
async function migrateAll(url: string): Promise<void> {
  // Loaded only here: most test files never build the template.
  const { SUBGRAPHS } = require('../../scripts/subgraphs') as typeof import('../../scripts/subgraphs');
  const { initOrm, migrate } = require('../../common/db') as typeof import('../../common/db');
  const { migratePlatform } = require('../../common/platform') as typeof import('../../common/platform');
  const { createLogger } = require('../../common/logger') as typeof import('../../common/logger');
  await migratePlatform(url);
  for (const module of Object.values(SUBGRAPHS)) {
    const log = createLogger(module!.name, 'warn');
    const orm = await initOrm({
      schema: module!.name,
      databaseUrl: url,
      entities: module!.entities,
      migrations: module!.migrations,
      log,
      poolMax: 2,
    });
    try {
      await migrate(orm, url, module!.name, log);
    } finally {
      await orm.close(true);
    }
  }
}

/**
 * The run's migrated template, built by the first caller (others wait on an advisory lock).
 * It accepts no connections once built, so copies of it never fail on a connection to it.
 */
async function ensureTemplate(adminUrl: string, prefix: string): Promise<string> {
  const template = `${prefix}_template`;
  await withAdmin(adminUrl, async (admin) => {
    if (await templateReady(admin, template)) return;
    await admin.query('select pg_advisory_lock(hashtext($1))', [template]);
    try {
      if (await templateReady(admin, template)) return;
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.query(`create database ${template}`);
      await migrateAll(databaseUrl(adminUrl, template));
      await admin.query(`alter database ${template} with is_template true allow_connections false`);
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', [template]);
    }
  });
  return template;
}

/** Creates the database `name` (a copy of the run's migrated template) and returns its URL. */
export async function createSuiteDatabase(name: string): Promise<string> {
  const { adminUrl, prefix } = testDatabaseNames();
  const template = await ensureTemplate(adminUrl, prefix);
  // FILE_COPY copies the template's files (a checkpoint, cheap with fsync off) instead of writing
  // every page through the WAL (PostgreSQL 15's default): 40 ms instead of 70–180 ms per test file.
  // Servers before 15 have no STRATEGY and always copy files.
  await withAdmin(adminUrl, async (admin) => {
    const major = Number((await admin.query<{ v: string }>('show server_version_num')).rows[0]!.v) / 10_000;
    await admin.query(`create database ${name} template ${template}${major >= 15 ? ' strategy file_copy' : ''}`);
  });
  return databaseUrl(adminUrl, name);
}
