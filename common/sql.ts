/**
 * Raw SQL beside MikroORM, in the EntityManager's transaction when there is one: `query` for
 * ordinary statements, `bulk` with `pgArray` for set-based statements over whole columns.
 */
import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) for one `?::type[]` parameter: bulk statements
 * (`insert … select from unnest(…)`) pass whole columns as one parameter each. (MikroORM's raw
 * `execute` would expand a JS array into a list of parameters.)
 */
export function pgArray(values: readonly (string | number | boolean | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i) out += ',';
    const value = values[i];
    if (value === null || value === undefined) out += 'NULL';
    else if (typeof value === 'number' || typeof value === 'boolean') out += String(value);
    else out += `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }
  return `${out}}`;
}

/** A literal for a `?::uuid[][]`-free nested list: each inner list as its own array literal text. */
export function pgArrayOfArrays(values: readonly (readonly string[])[]): string {
  return pgArray(values.map((inner) => pgArray(inner)));
}

/**
 * Runs SQL with server-side parameters (`$1…`) through knex, in the EntityManager's transaction
 * (if any). For the ingest's bulk statements: MikroORM's `execute` inlines every parameter into
 * the SQL text client-side, which for columns of 10,000 values costs more than the statement.
 */
export async function bulk<T = Record<string, unknown>>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const knex = (em.getTransactionContext() as Knex.Transaction | undefined) ?? em.getConnection().getKnex();
  const result = (await knex.raw(sql, params as Knex.RawBinding[])) as { rows: T[] };
  return result.rows;
}

/** A statement, or part of one, with its `?` parameters in order. */
export interface SqlPart {
  sql: string;
  params: unknown[];
  /**
   * A `select` run for its side effect (`pg_notify`), not a write: `bulkWrites` reads its rows so
   * that PostgreSQL runs it (a `with` query nobody reads is never run, unless it writes).
   */
  effect?: boolean;
}

/**
 * Runs data-modifying statements (`insert`, `update`, `delete` without `returning`) as ONE
 * statement, one round trip: each in a `with` clause of its own. They run on one snapshot, so none
 * may read or write a row another one writes (different tables, or disjoint rows).
 */
export async function bulkWrites(em: EntityManager, parts: readonly (SqlPart | null)[]): Promise<void> {
  const list = parts.filter((part): part is SqlPart => part !== null);
  if (!list.length) return;
  if (list.length === 1) {
    await bulk(em, list[0].sql, list[0].params);
    return;
  }
  const effects = list.map((part, i) => (part.effect ? `, (select count(*) from w${i})` : '')).join('');
  await bulk(
    em,
    `with ${list.map((part, i) => `w${i} as (${part.sql})`).join(',\n')}\nselect 1${effects}`,
    list.flatMap((part) => part.params),
  );
}

/** Runs SQL in the EntityManager's transaction (if any). */
export function query<T = Record<string, unknown>>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  return em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
}

/**
 * Whether the table or view `name` (`schema.relation`) exists, in the EntityManager's transaction:
 * for readers of another subgraph's published view, which a suite may run without.
 */
export async function relationExists(em: EntityManager, name: string): Promise<boolean> {
  const [row] = await query<{ present: boolean }>(em, 'select to_regclass(?) is not null as present', [name]);
  return row?.present === true;
}

/**
 * Serialises work on one thing across processes until the transaction ends: a transaction-scoped
 * advisory lock on `key` (namespaced by the caller, e.g. `plangraph:provider:…`).
 */
export async function transactionLock(em: EntityManager, key: string): Promise<void> {
  await query(em, 'select pg_advisory_xact_lock(hashtext(?))', [key]);
}
