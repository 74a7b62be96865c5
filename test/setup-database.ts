import { createSuiteDatabase, databaseUrl, suiteDatabaseName, testDatabaseNames } from './helpers/suite-database';

// This test file's own database (see test/helpers/suite-database.ts). Its URL is known at once
// (`testDatabaseUrl()` may be read anywhere); the database exists before the file's own hooks run.
// Without test/global-setup.mjs (no server) nothing is created and `testDatabaseUrl()` says so.
if (process.env.PLANGRAPH_TEST_DATABASE_PREFIX) {
  const name = suiteDatabaseName();
  process.env.PLANGRAPH_TEST_DATABASE_URL = databaseUrl(testDatabaseNames().adminUrl, name);
  beforeAll(async () => {
    await createSuiteDatabase(name);
  }, 180_000);
}
