import fs from 'node:fs';
import pg from 'pg';

export default async function globalTeardown() {
  const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL;
  const prefix = process.env.PLANGRAPH_TEST_DATABASE_PREFIX;
  const embedded = globalThis.__PLANGRAPH_PG__;
  // An embedded server goes away with its data directory below: its databases need no dropping
  // one by one (one per test file, about 140 in a full run).
  if (adminUrl && prefix && !embedded) {
    // The databases of this run's test files and their template (test/helpers/suite-database.ts).
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const { rows } = await admin.query(`select datname from pg_database where starts_with(datname, $1)`, [`${prefix}_`]);
    for (const { datname } of rows) {
      await admin.query(`alter database ${datname} with is_template false`).catch(() => undefined);
      await admin.query(`drop database if exists ${datname} with (force)`).catch(() => undefined);
    }
    await admin.end();
  }
  if (process.env.PLANGRAPH_TEST_RUN_DIR) fs.rmSync(process.env.PLANGRAPH_TEST_RUN_DIR, { recursive: true, force: true });
  if (embedded) {
    await embedded.server.stop();
    fs.rmSync(embedded.dir, { recursive: true, force: true });
  }
}
