/**
 * `usage.credential_usage_contract` is what other subgraphs know of a credential's traffic, read
 * through the one reader in `common/contracts/credential-usage.ts`. Its owner checks here that the
 * view has exactly the columns the reader declares, in order, and that the reader sums what the
 * rollups hold for those credentials and minutes only.
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CREDENTIAL_USAGE_CONTRACT_COLUMNS, readCredentialTraffic } from '../../common/contracts/credential-usage';
import { initOrm } from '../../common/db';
import { createLogger } from '../../common/logger';
import { testDatabaseUrl } from '../../test/helpers/db';
import { QuotaWarning } from './entities/quota-warning';

describe('usage.credential_usage_contract and its reader', () => {
  let orm: MikroORM;
  const sql = (text: string, params: unknown[] = []) => orm.em.getConnection().execute(text, params);

  beforeAll(async () => {
    // The test database is migrated already (every subgraph's migrations): no migration is run here.
    orm = await initOrm({
      databaseUrl: testDatabaseUrl(),
      schema: 'usage',
      entities: [QuotaWarning],
      migrations: [],
      log: createLogger('usage-contract'),
    });
  });
  afterAll(async () => {
    await orm?.close();
  });

  it('has exactly the columns the reader declares, in the same order', async () => {
    const rows = (await sql(
      `select column_name from information_schema.columns where table_schema = 'usage' and table_name = 'credential_usage_contract' order by ordinal_position`,
    )) as { column_name: string }[];
    expect(rows.map((row) => row.column_name)).toEqual(CREDENTIAL_USAGE_CONTRACT_COLUMNS);
  });

  it('sums the credentials’ minutes in the range, and nothing else', async () => {
    const [a, b, other] = [randomUUID(), randomUUID(), randomUUID()];
    const row = (scope: string, id: string, granularity: string, bucket: string, requests: number, errors: number, latency: number) =>
      sql(
        `insert into usage.usage_rollup (scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
         values (?, ?, ?, ?, ?, 0, ?, 0, 0, ?, '{}')`,
        [scope, id, granularity, bucket, requests, errors, latency],
      );
    await row('CREDENTIAL', a, 'MINUTE', '2026-03-01T10:00:00Z', 10, 1, 1000);
    await row('CREDENTIAL', a, 'MINUTE', '2026-03-01T10:05:00Z', 5, 0, 250);
    await row('CREDENTIAL', b, 'MINUTE', '2026-03-01T10:03:00Z', 20, 4, 4000);
    await row('CREDENTIAL', a, 'MINUTE', '2026-03-01T09:59:00Z', 100, 100, 100); // before the range
    await row('CREDENTIAL', b, 'MINUTE', '2026-03-01T10:06:00Z', 100, 100, 100); // after it
    await row('CREDENTIAL', a, 'HOUR', '2026-03-01T10:00:00Z', 15, 1, 1250); // not a minute
    await row('APP', a, 'MINUTE', '2026-03-01T10:01:00Z', 100, 100, 100); // not a credential
    await row('CREDENTIAL', other, 'MINUTE', '2026-03-01T10:02:00Z', 100, 100, 100); // not asked for
    const em = orm.em.fork() as EntityManager;
    const from = new Date('2026-03-01T10:00:00Z');
    const to = new Date('2026-03-01T10:05:30Z');
    expect(await readCredentialTraffic(em, [a, b], from, to)).toEqual({ requests: 35, errors5xx: 5, latencySumMs: 5250 });
    expect(await readCredentialTraffic(em, [b], from, to)).toEqual({ requests: 20, errors5xx: 4, latencySumMs: 4000 });
    expect(await readCredentialTraffic(em, [randomUUID()], from, to)).toEqual({ requests: 0, errors5xx: 0, latencySumMs: 0 });
    expect(await readCredentialTraffic(em, [], from, to)).toEqual({ requests: 0, errors5xx: 0, latencySumMs: 0 });
  });
});
