import { ReferenceKind, type EntityClass, type EntityMetadata, type EntityProperty } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Knex } from 'knex';
import type pg from 'pg';

/**
 * Hot read paths without the ORM's query building and entity tracking.
 *
 * `readRows` runs hand-written SQL with `$1`-style parameters straight on the pg connection (the
 * EntityManager's transaction's, when it has one): no query builder, no knex binding rewrite, and
 * an array parameter stays one value (`= any($1::uuid[])`), where knex would expand it.
 *
 * `asEntities` turns rows into instances of the entity class, property by property, with the
 * entity's own column names and custom types, but unmanaged: no identity map, no change-tracking
 * snapshot. For read-only answers (GraphQL results); never flush or modify them.
 *
 * Profiles of the catalog page put more than half of the products subgraph's CPU in MikroORM's
 * query building (`ObjectCriteriaNode`, `QueryBuilder.where`, knex `toSQL`) and hydration
 * (`EntityFactory.create`, `ensurePropagation`, the snapshot's `_clone`); see BENCHMARKS.md.
 */
export async function readRows<T = Record<string, unknown>>(em: EntityManager, text: string, values: unknown[] = []): Promise<T[]> {
  // Reported like the ORM's own statements (the N+1 budgets and the benchmarks count them), with
  // placeholders, never the values; a no-op unless query logging is on.
  em.config.getLogger().logQuery({ query: text, level: 'info' });
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (trx) {
    // A transaction's knex client always hands out the transaction's own connection.
    const connection = (await trx.client.acquireConnection()) as pg.ClientBase;
    return (await connection.query(text, values)).rows as T[];
  }
  const client = em.getConnection().getKnex().client as Knex.Client;
  const connection = (await client.acquireConnection()) as pg.ClientBase;
  try {
    return (await connection.query(text, values)).rows as T[];
  } finally {
    await client.releaseConnection(connection);
  }
}

type RowMapper<T> = (row: Record<string, unknown>) => T;

const mappers = new WeakMap<EntityMetadata, RowMapper<unknown>>();

function mapperOf<T extends object>(em: EntityManager, meta: EntityMetadata<T>): RowMapper<T> {
  let mapper = mappers.get(meta as EntityMetadata) as RowMapper<T> | undefined;
  if (mapper) return mapper;
  const platform = em.getPlatform();
  const tz = platform.getTimezone();
  // The driver hands timestamps over as text; read them as the ORM's hydrator does.
  const toDate = (value: unknown): Date => {
    if (value instanceof Date) return value;
    const text = String(value);
    if (!tz || tz === 'local' || text.includes('+') || text.lastIndexOf('-') > 10 || text.endsWith('Z')) return new Date(text);
    return new Date(text + tz);
  };
  const columns: { prop: EntityProperty<T>; field: string }[] = [];
  for (const prop of meta.props) {
    if (prop.persist === false) continue;
    if (prop.kind === ReferenceKind.SCALAR) {
      columns.push({ prop, field: prop.fieldNames[0] });
      continue;
    }
    // Collections are the ORM's; the read paths load relations with their own loaders.
    if (prop.kind === ReferenceKind.MANY_TO_MANY || prop.kind === ReferenceKind.ONE_TO_MANY) continue;
    throw new Error(`asEntities: ${meta.className}.${prop.name} is a ${prop.kind} relation, which rows cannot fill`);
  }
  // The ORM puts setters for tracked properties on the entity's prototype (they create its
  // change-tracking helper on first use). A prototype in between, with a plain data property for
  // each column, shadows them: assignments become plain own properties, `instanceof` still holds.
  const shadow = Object.create(meta.prototype) as object;
  for (const { prop } of columns) Object.defineProperty(shadow, prop.name, { value: undefined, writable: true, configurable: true });
  mapper = (row) => {
    const entity = Object.create(shadow) as Record<string, unknown>;
    for (const { prop, field } of columns) {
      const value = row[field];
      if (value === null || value === undefined) entity[prop.name] = null;
      else if (prop.customType) entity[prop.name] = prop.customType.convertToJSValue(value, platform);
      else if (prop.runtimeType === 'Date') entity[prop.name] = toDate(value);
      else entity[prop.name] = value;
    }
    return entity as T;
  };
  mappers.set(meta as EntityMetadata, mapper as RowMapper<unknown>);
  return mapper;
}

/** Rows of `entity`'s table (every column, by column name) as unmanaged, read-only instances. */
export function asEntities<T extends object>(em: EntityManager, entity: EntityClass<T>, rows: Record<string, unknown>[]): T[] {
  const map = mapperOf(em, em.getMetadata().get<T>(entity.name));
  return rows.map(map);
}
