import type { EntityName } from '@mikro-orm/core';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { groupByKeys, requestLoader } from '../../../common/loaders';
import { decodeCursor, pageSize, toConnection, type ConnectionShape, type PageArgs } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';

/**
 * Relay connections nested under a list of parents (`organizations { apps(first: 10) { … } }`)
 * without N+1: one SELECT for the pages of all parents (a window function numbers each parent's
 * rows) and, when `totalCount` is selected, one grouped COUNT. Cursors are `common/relay.ts`'s
 * (`createdAt|id`, oldest first).
 */

/**
 * Decodes an `after` cursor and checks its id is a UUID (ids are compared as `uuid`, so a forged
 * cursor must be a BAD_USER_INPUT error, not a database error).
 */
export function readCursor(after: string): { createdAt: Date; id: string } {
  const cursor = decodeCursor(after);
  if (!isUuid(cursor.id)) throw badInput('after', 'The cursor is not valid: pass a `pageInfo.endCursor` from an earlier page.');
  return cursor;
}

/** A SQL condition on the child table (alias `t`) with its parameters. */
export interface SqlCondition {
  /** Stable text that identifies the condition (part of the loader key). */
  key: string;
  sql: string;
  params: unknown[];
}

export interface ChildConnectionSpec<T> {
  entity: EntityName<T>;
  /** Schema-qualified table, e.g. `developers.app`. */
  table: string;
  /** Column holding the parent id, e.g. `organization_id`. */
  parentColumn: string;
  where?: SqlCondition;
}

/** One page of the children of `parentId`; every call in the same tick shares one SELECT. */
export async function childConnection<T extends { id: string; createdAt: Date }>(
  context: SubgraphContext,
  spec: ChildConnectionSpec<T>,
  parentId: string,
  page: PageArgs,
): Promise<ConnectionShape<T>> {
  const limit = pageSize(page.first);
  const cursor = page.after ? readCursor(page.after) : null;
  const where = spec.where ?? { key: '', sql: 'true', params: [] };
  const name = `developers:page:${spec.table}:${spec.parentColumn}:${where.key}:${limit}:${page.after ?? ''}`;
  const loader = requestLoader<string, T[]>(context, name, async (parentIds) => {
    const params: unknown[] = [[...parentIds], ...where.params];
    let after = '';
    if (cursor) {
      after = 'and (t.created_at, t.id) > (?::timestamptz, ?::uuid)';
      params.push(cursor.createdAt, cursor.id);
    }
    params.push(limit + 1);
    const rows = await context.em.getConnection().execute<Record<string, unknown>[]>(
      `select * from (
         select t.*, row_number() over (partition by t.${spec.parentColumn} order by t.created_at, t.id) as __rank
           from ${spec.table} t
          where t.${spec.parentColumn} in (?) and (${where.sql}) ${after}
       ) ranked
       where ranked.__rank <= ?
       order by ranked.${spec.parentColumn}, ranked.created_at, ranked.id`,
      params,
    );
    const pairs = rows.map(({ __rank: _rank, ...row }) => ({
      parent: String(row[spec.parentColumn]),
      node: context.em.map(spec.entity, row as never) as T,
    }));
    return groupByKeys(parentIds, pairs, (p) => p.parent).map((group) => group.map((p) => p.node));
  });
  const rows = await loader.load(parentId);
  return toConnection(rows, limit, page.after, () => childCount(context, spec, parentId));
}

/** How many children each parent has (matching the condition); one grouped COUNT per tick. */
function childCount<T>(context: SubgraphContext, spec: ChildConnectionSpec<T>, parentId: string): Promise<number> {
  const where = spec.where ?? { key: '', sql: 'true', params: [] };
  const name = `developers:count:${spec.table}:${spec.parentColumn}:${where.key}`;
  return requestLoader<string, number>(context, name, async (parentIds) => {
    const rows = await context.em.getConnection().execute<{ parent: string; n: number }[]>(
      `select t.${spec.parentColumn} as parent, count(*)::int as n
         from ${spec.table} t
        where t.${spec.parentColumn} in (?) and (${where.sql})
        group by t.${spec.parentColumn}`,
      [[...parentIds], ...where.params],
    );
    const counts = new Map(rows.map((r) => [String(r.parent), Number(r.n)]));
    return parentIds.map((id) => counts.get(id) ?? 0);
  }).load(parentId);
}
