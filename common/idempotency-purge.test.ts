/**
 * Expired idempotency keys are deleted by the hourly `<schema>.purgeIdempotencyKeys` job that
 * every subgraph keeping keys registers (common/server.ts): keys past the 24-hour window go, with
 * any secret kept for a replay; keys within it stay and still replay.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from './server';
import { IDEMPOTENCY_KEY_RETENTION_MS, purgeSchedule, purgeTaskName } from './idempotency';
import { productsSubgraph } from '../subgraphs/products';
import { testDatabaseUrl } from '../test/helpers/db';
import { waitFor } from '../test/helpers/wait';

describe('purging expired idempotency keys', () => {
  let products: RunningSubgraph;
  let db: pg.Pool;

  beforeAll(async () => {
    products = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await products?.stop();
  });

  const insert = (key: string, ageMs: number) =>
    db.query(
      `insert into products.idempotency_key (subject, operation, key, request_hash, result_id, result_secret_encrypted, created_at)
       values ('alice', 'createProduct', $1, 'h', $2, 'sealed', $3)`,
      [key, randomUUID(), new Date(Date.now() - ageMs).toISOString()],
    );
  const keys = async () =>
    (await db.query<{ key: string }>('select key from products.idempotency_key order by key')).rows.map((r) => r.key);

  it('deletes the keys past the retention window and keeps the others', async () => {
    await insert('expired-1', IDEMPOTENCY_KEY_RETENTION_MS + 60_000);
    await insert('expired-2', 3 * IDEMPOTENCY_KEY_RETENTION_MS);
    await insert('fresh', 60_000);
    await db.query('select graphile_worker.add_job($1)', [purgeTaskName('products')]);
    await waitFor(async () => !(await keys()).some((key) => key.startsWith('expired')), { what: 'the purge job', timeoutMs: 30_000 });
    expect(await keys()).toEqual(['fresh']);
  });

  it('runs hourly', () => {
    expect(purgeSchedule('products')).toEqual({ task: 'products.purgeIdempotencyKeys', match: '17 * * * *' });
  });
});
