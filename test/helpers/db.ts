import pg from 'pg';

/** URL of this test file's own database (test/setup-database.ts creates it before the file's hooks run). */
export function testDatabaseUrl(): string {
  const url = process.env.PLANGRAPH_TEST_DATABASE_URL;
  if (!url) throw new Error('PLANGRAPH_TEST_DATABASE_URL is not set: run tests through `npm test`');
  return url;
}

/** A short random suffix so every test builds its own rows. */
export function unique(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * A database of its own on the test server (for suites that need an empty platform, e.g. the
 * README's examples, which use fixed names); `drop` removes it.
 */
export async function freshDatabase(prefix = 'plangraph_own'): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL;
  if (!adminUrl) throw new Error('PLANGRAPH_TEST_ADMIN_URL is not set: run tests through jest (test/global-setup.mjs)');
  const name = `${prefix}_${Date.now()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
