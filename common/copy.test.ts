/**
 * Binary COPY (`common/copy.ts`) against PostgreSQL: every value type the writer has, NULLs,
 * text that would break the text format, buffer growth, and errors (PostgreSQL's code intact, the
 * transaction rolled back whole, the connection usable afterwards).
 */
import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { BinaryCopyWriter, copyIn } from './copy';
import { initOrm } from './db';
import { createLogger } from './logger';
import { testDatabaseUrl } from '../test/helpers/db';

@Entity({ tableName: 'copy_test_anchor' })
class Anchor {
  @PrimaryKey({ type: 'uuid' })
  id!: string;
}

const COPY = `copy copy_test.t (at, id, label, ids, small, big) from stdin (format binary)`;

interface Row {
  at: number;
  id: string | null;
  label: string | null;
  ids: string[];
  small: number;
  big: number;
}

function encode(rows: Row[]): Buffer {
  const copy = new BinaryCopyWriter(64);
  for (const r of rows) copy.row(6).timestamptz(r.at).uuid(r.id).text(r.label).uuidArray(r.ids).int2(r.small).int4(r.big);
  return copy.finish();
}

describe('binary COPY FROM STDIN in a transaction', () => {
  let orm: MikroORM;
  let db: pg.Client;

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query(`create schema copy_test`);
    await db.query(`create table copy_test.t (
      at timestamptz not null, id uuid, label text, ids uuid[] not null, small smallint not null, big integer not null check (big >= 0))`);
    orm = await initOrm({
      schema: 'copy_test',
      databaseUrl,
      entities: [Anchor],
      migrations: [],
      log: createLogger('copy-test', 'fatal'),
      poolMax: 1,
    });
  });

  afterAll(async () => {
    await orm?.close(true);
    await db?.end();
  });

  const stored = async () =>
    (
      await db.query(
        `select (extract(epoch from at) * 1000000)::bigint::text as at, id::text, label, ids::text[] as ids, small, big,
                octet_length(label) as bytes
           from copy_test.t order by big`,
      )
    ).rows;

  it('stores every value as sent: times to the microsecond (before and after 2000), UUIDs, NULLs, arrays, integers, any text', async () => {
    await db.query(`truncate copy_test.t`);
    const labels = [
      'tab\there',
      'new\nline',
      'carriage\rreturn',
      'back\\slash',
      '\\N',
      '\\.',
      '\n\\.\n',
      'ends with a backslash\\',
      '"quoted", {braced}',
      "'); drop table copy_test.t; --",
      'é中文😀 \u202e',
      '\u0001\u001f',
      '',
      'é'.repeat(800_000), // 1.6 MB: the writer's buffer grows, and the input spans CopyData messages mid-character
    ];
    const ids = [randomUUID(), randomUUID().toUpperCase()];
    const rows: Row[] = [
      ...labels.map((label, i) => ({
        at: Date.UTC(2026, 0, 1) * 1000 + i,
        id: ids[i % 2],
        label,
        ids: ids.slice(0, i % 3),
        small: 1 - i,
        big: i,
      })),
      { at: -1, id: null, label: null, ids: [], small: 32_767, big: 2_147_483_647 }, // 1969-12-31T23:59:59.999999Z
      { at: Date.UTC(1999, 11, 31, 23, 59, 59) * 1000 + 999_999, id: ids[0], label: 'before 2000', ids: [], small: -32_768, big: 1000 },
    ];
    const count = await orm.em.fork().transactional((tx) => copyIn(tx as EntityManager, COPY, encode(rows)));
    expect(count).toBe(rows.length);
    expect(await stored()).toEqual(
      [...rows]
        .sort((a, b) => a.big - b.big)
        .map((r) => ({
          at: String(r.at),
          id: r.id?.toLowerCase() ?? null,
          label: r.label,
          ids: r.ids.map((id) => id.toLowerCase()),
          small: r.small,
          big: r.big,
          bytes: r.label === null ? null : Buffer.byteLength(r.label),
        })),
    );
  });

  it('refuses what is not a UUID or a whole number of microseconds before anything is sent', () => {
    const copy = new BinaryCopyWriter();
    copy.row(1);
    expect(() => copy.uuid('not-a-uuid')).toThrow(TypeError);
    expect(() => copy.uuid('0000000-00000-0000-0000-000000000000')).toThrow(TypeError);
    expect(() => copy.uuid('g0000000-0000-0000-0000-000000000000')).toThrow(TypeError);
    expect(() => copy.timestamptz(1.5)).toThrow(RangeError);
  });

  it("rejects with PostgreSQL's error, rolls the whole transaction back, and leaves the connection usable", async () => {
    await db.query(`truncate copy_test.t`);
    const good: Row = { at: 0, id: null, label: 'kept?', ids: [], small: 1, big: 1 };
    const bad: Row = { ...good, big: -1 }; // violates the check constraint
    const failed = orm.em.fork().transactional(async (tx) => {
      await tx
        .getConnection()
        .execute(`insert into copy_test.t (at, ids, small, big) values (now(), '{}', 0, 7)`, [], 'run', tx.getTransactionContext());
      return copyIn(tx as EntityManager, COPY, encode([good, bad]));
    });
    await expect(failed).rejects.toMatchObject({ code: '23514' });
    expect(await stored()).toEqual([]);
    // PostgreSQL text cannot hold NUL (the usage ingest refuses such records one by one before this).
    const nul = orm.em.fork().transactional((tx) => copyIn(tx as EntityManager, COPY, encode([{ ...good, label: 'a\u0000b' }])));
    await expect(nul).rejects.toMatchObject({ code: '22021' });
    // The pool's only connection still works: the failed COPYs left it in a sane state.
    const after = await orm.em.fork().transactional((tx) => copyIn(tx as EntityManager, COPY, encode([good])));
    expect(after).toBe(1);
    expect((await stored()).map((r) => r.label)).toEqual(['kept?']);
    await expect(copyIn(orm.em.fork(), COPY, encode([good]))).rejects.toThrow(/inside a transaction/);
  });
});
