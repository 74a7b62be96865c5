import fs from 'node:fs';
import pg from 'pg';

export default async function globalTeardown() {
  const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL;
  const name = process.env.PLANGRAPH_TEST_DATABASE_NAME;
  if (adminUrl && name) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
  const embedded = globalThis.__PLANGRAPH_PG__;
  if (embedded) {
    await embedded.server.stop();
    fs.rmSync(embedded.dir, { recursive: true, force: true });
  }
}
