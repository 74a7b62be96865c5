import pg from 'pg';
import { testDatabaseUrl } from '../test/helpers/db';
import { waitFor } from '../test/helpers/wait';
import { migratePlatform } from './platform';
import { parseEventCursor } from './pubsub';

/**
 * platform.event ids are handed out in commit order per topic (migration 0004_event_commit_order),
 * so "events after id X" never misses one that commits later: the property resumable
 * subscriptions and the history queries rely on.
 */
describe('platform.event ids in commit order', () => {
  const clients: pg.Client[] = [];
  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    clients.push(client);
    return client;
  }
  beforeAll(() => migratePlatform(testDatabaseUrl()));
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
  });

  const insert = (client: pg.Client, topic: string) =>
    client
      .query<{ id: string }>(`insert into platform.event (topic, payload) values ($1, '{}') returning id`, [topic])
      .then((r) => BigInt(r.rows[0].id));

  it('gives a transaction that commits later a larger id, even when it inserted while an earlier one was open', async () => {
    const topic = `order-${Date.now()}`;
    const [early, late, observer] = [await connect(), await connect(), await connect()];
    await early.query('begin');
    const earlyId = await insert(early, topic);
    await late.query('begin');
    let lateDone = false;
    const lateId = insert(late, topic).then((id) => ((lateDone = true), id));
    // The second insert waits for the first transaction: it holds the topic's event lock.
    await waitFor(
      async () =>
        (await observer.query(`select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'`, [(late as any).processID]))
          .rowCount === 1,
      { what: 'the second insert to wait for the first transaction' },
    );
    expect(lateDone).toBe(false);
    // Another topic does not wait.
    await observer.query('begin');
    await insert(observer, `${topic}-other`);
    await observer.query('commit');
    await early.query('commit');
    const second = await lateId;
    await late.query('commit');
    expect(second > earlyId).toBe(true);
    const { rows } = await observer.query<{ id: string }>('select id from platform.event where topic = $1 order by id', [topic]);
    expect(rows.map((r) => BigInt(r.id))).toEqual([earlyId, second]);
  });

  it('a rolled-back event leaves no trace and does not hold later ones back', async () => {
    const topic = `rollback-${Date.now()}`;
    const [a, b] = [await connect(), await connect()];
    await a.query('begin');
    await insert(a, topic);
    await a.query('rollback');
    await b.query('begin');
    const id = await insert(b, topic);
    await b.query('commit');
    const { rows } = await b.query<{ id: string }>('select id from platform.event where topic = $1', [topic]);
    expect(rows.map((r) => BigInt(r.id))).toEqual([id]);
  });

  it('reads cursors strictly', () => {
    expect(parseEventCursor(null)).toBeNull();
    expect(parseEventCursor('0042')).toBe('42');
    expect(() => parseEventCursor('12a')).toThrow(/cursor is not valid/);
    expect(() => parseEventCursor('1'.repeat(19))).toThrow(/cursor is not valid/);
  });
});
