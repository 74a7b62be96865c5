/** URL of the database this jest run owns (see test/global-setup.mjs). */
export function testDatabaseUrl(): string {
  const url = process.env.PLANGRAPH_TEST_DATABASE_URL;
  if (!url) throw new Error('PLANGRAPH_TEST_DATABASE_URL is not set: run tests through `npm test`');
  return url;
}

/** A short random suffix so every test builds its own rows. */
export function unique(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
