import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/postgresql';
import { badInput } from './errors';
import { isUuid } from './ids';

@ObjectType({ description: 'Where a page of a connection starts and ends, and whether more pages exist.' })
@Directive('@shareable')
export class PageInfo {
  @Field(() => Boolean, { description: 'True when items exist after `endCursor`.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'True when this page started after a cursor (items exist before it).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge of this page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; pass it as `after` for the next page.' })
  endCursor!: string | null;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: `How many items to return (1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}).` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (a `pageInfo.endCursor`).' })
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** Counted only when awaited, i.e. when a client selects `totalCount`. */
  totalCount: PromiseLike<number>;
}

/**
 * Builds `<Name>Connection` and `<Name>Edge` object types for a node type. `totalCount` is
 * only counted when a client selects it.
 */
export function connectionType<T extends object>(node: ClassType<T>, name: string, what: string) {
  @ObjectType(`${name}Edge`, { description: `One ${what} in a page, with its cursor.` })
  class EdgeType {
    @Field(() => String, { description: 'Opaque cursor of this item; pass it as `after` to continue after it.' })
    cursor!: string;

    @Field(() => node, { description: `The ${what}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${what}s (Relay connection).` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: `The ${what}s of this page, in order.` })
    edges!: EdgeType[];

    @Field(() => PageInfo, { description: 'Cursors and whether more pages exist.' })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: `How many ${what}s match the filters, over all pages.` })
    totalCount!: number;
  }
  return ConnectionType as unknown as ClassType<ConnectionShape<T>>;
}

/** Cursor of a row in (createdAt, id) order: base64url of `<createdAt ISO>|<id>`. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`, 'utf8').toString('base64url');
}

/** Reads a cursor made by `encodeCursor`; a bad one is a BAD_USER_INPUT error on `after`. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const createdAt = new Date(text.slice(0, bar));
  const id = text.slice(bar + 1);
  if (bar < 0 || Number.isNaN(createdAt.getTime()) || !isUuid(id)) {
    throw badInput('after', 'The cursor is not valid: pass a `pageInfo.endCursor` from an earlier page.');
  }
  return { createdAt, id };
}

/** A promise-like that starts its work only when first awaited. */
export function lazy<T>(work: () => Promise<T>): PromiseLike<T> {
  let started: Promise<T> | undefined;
  return {
    then(onFulfilled, onRejected) {
      started ??= work();
      return started.then(onFulfilled, onRejected);
    },
  };
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput('first', `Ask for between 1 and ${MAX_PAGE_SIZE} items per page.`);
  }
  return first;
}

/**
 * Keyset pagination over (createdAt, id), oldest first: stable under inserts, one SELECT per
 * page (plus one COUNT only when `totalCount` is selected).
 */
export async function paginate<T extends { id: string; createdAt: Date }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: PageArgs,
): Promise<ConnectionShape<T>> {
  const limit = pageSize(args.first);
  let filter = where;
  if (args.after) {
    const { createdAt, id } = decodeCursor(args.after);
    filter = {
      $and: [where, { $or: [{ createdAt: { $gt: createdAt } }, { createdAt, id: { $gt: id } }] }],
    } as FilterQuery<T>;
  }
  const rows = await em.find(entity, filter, {
    orderBy: { createdAt: 'asc', id: 'asc' } as never,
    limit: limit + 1,
  });
  return toConnection(rows, limit, args.after, () => em.count(entity, where));
}

/**
 * A page from rows fetched in (createdAt, id) order with one row more than `limit` (that extra
 * row only says a next page exists). `count` runs only when `totalCount` is selected.
 */
export function toConnection<T extends { id: string; createdAt: Date }>(
  rows: T[],
  limit: number,
  after: string | null | undefined,
  count: () => Promise<number>,
): ConnectionShape<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > limit,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    totalCount: lazy(count),
  };
}
