/**
 * Hand-written reads (`common/rows.ts`) against PostgreSQL: the statement runs on the
 * EntityManager's transaction when there is one, an array stays one parameter, statements are
 * reported like the ORM's own, and rows become the same values the ORM's hydration gives
 * (timestamps, JSON, text arrays, NULLs), unmanaged.
 */
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { TextArrayType } from './db-types';
import { initOrm } from './db';
import { createLogger } from './logger';
import { asEntities, readRows } from './rows';
import { testDatabaseUrl } from '../test/helpers/db';

@Entity({ tableName: 'thing' })
class Thing {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: TextArrayType, columnType: 'text[]' })
  tags: string[] = [];

  @Property({ type: 'json', columnType: 'jsonb', nullable: true })
  settings: Record<string, unknown> | null = null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'integer', nullable: true })
  size: number | null = null;

  describe(): string {
    return `${this.name} (${this.tags.join(', ')})`;
  }
}

@Entity({ tableName: 'part' })
class Part {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne({ entity: () => Thing })
  thing!: Thing;
}

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('hand-written reads (readRows, asEntities)', () => {
  let orm: MikroORM;
  let db: pg.Client;
  const statements: string[] = [];

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query(`create schema rows_test`);
    await db.query(`create table rows_test.thing (
      id uuid primary key, name text not null, tags text[] not null, settings jsonb, created_at timestamptz not null, size integer)`);
    await db.query(`create table rows_test.part (id uuid primary key, thing_id uuid not null)`);
    await db.query(
      `insert into rows_test.thing values
         ($1, 'first', '{"a","NULL"}', '{"depth": {"x": [1, 2]}}', '2026-01-02T03:04:05.678Z', 7),
         ($2, 'second', '{}', null, '2026-01-02T03:04:06Z', null)`,
      [A, B],
    );
    orm = await initOrm({
      schema: 'rows_test',
      databaseUrl,
      entities: [Thing, Part],
      migrations: [],
      log: createLogger('rows-test', 'fatal'),
      poolMax: 2,
      onQuery: (sql) => statements.push(sql),
    });
  });

  afterAll(async () => {
    await orm?.close(true);
    await db?.query('drop schema rows_test cascade');
    await db?.end();
  });

  it('keeps an array parameter as one value and reports the statement with its placeholders only', async () => {
    statements.length = 0;
    const rows = await readRows<{ name: string }>(
      orm.em.fork(),
      'select name from rows_test.thing where id = any($1::uuid[]) order by name',
      [[B, A]],
    );
    expect(rows.map((r) => r.name)).toEqual(['first', 'second']);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('any($1::uuid[])');
    expect(statements[0]).not.toContain(A);
  });

  it("reads inside the EntityManager's transaction: its uncommitted rows, rolled back with it", async () => {
    const em = orm.em.fork();
    await expect(
      em.transactional(async (trx) => {
        await trx
          .getConnection()
          .execute(
            `insert into rows_test.thing values (?, 'draft', '{}', null, now(), null)`,
            ['00000000-0000-4000-8000-00000000000c'],
            'run',
            trx.getTransactionContext(),
          );
        const seen = await readRows<{ name: string }>(trx, `select name from rows_test.thing where name = 'draft'`);
        expect(seen).toEqual([{ name: 'draft' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await readRows(orm.em.fork(), `select 1 from rows_test.thing where name = 'draft'`)).toEqual([]);
  });

  it('turns rows into entity instances with the values the ORM hydrates, unmanaged', async () => {
    const em = orm.em.fork();
    const rows = await readRows(em, 'select * from rows_test.thing order by name');
    const [first, second] = asEntities(em, Thing, rows);
    const hydrated = await orm.em.fork().findOneOrFail(Thing, { id: A });

    expect(first).toBeInstanceOf(Thing);
    expect(first.describe()).toBe('first (a, NULL)');
    expect(first.createdAt).toBeInstanceOf(Date);
    expect(first.createdAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(first.createdAt.getTime()).toBe(hydrated.createdAt.getTime());
    expect(first.tags).toEqual(hydrated.tags);
    expect(first.settings).toEqual({ depth: { x: [1, 2] } });
    expect(first.settings).toEqual(hydrated.settings);
    expect(first.size).toBe(7);
    expect(second.settings).toBeNull();
    expect(second.size).toBeNull();
    expect(second.tags).toEqual([]);
    // Not in the identity map (the ORM loads its own instance), and no change-tracking helper made.
    expect(em.getUnitOfWork().getById(Thing.name, A)).toBeUndefined();
    expect(Object.keys(first).sort()).toEqual(['createdAt', 'id', 'name', 'settings', 'size', 'tags']);
    expect(Object.getOwnPropertyNames(first)).not.toContain('__helper');
  });

  it('refuses an entity with a to-one relation (rows hold only its key)', () => {
    const em = orm.em.fork();
    expect(() => asEntities(em, Part, [{ id: A, thing_id: B }])).toThrow(/Part\.thing is a m:1 relation/);
  });
});
