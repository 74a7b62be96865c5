import pg from 'pg';
import { createPubSub } from '@graphql-yoga/subscription';
import type { PubSub as TypeGraphQLPubSub } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from './logger';
import { badInput } from './errors';
import { pgArray, type SqlPart } from './sql';

export const EVENT_CHANNEL = 'plangraph_events';

export interface StoredEvent<T = unknown> {
  id: string;
  topic: string;
  payload: T;
  createdAt: Date;
}

/**
 * Realtime events over PostgreSQL LISTEN/NOTIFY. `emit` stores the event in
 * `platform.event` and notifies inside the caller's transaction, so subscribers of every
 * replica see it exactly when the change commits, and a client can catch up from the store.
 */
export class PgPubSub {
  private readonly local = createPubSub<Record<string, [unknown]>>();
  /** Listeners of stored events (with their ids) per topic, for `subscribeFrom`. */
  private readonly stored = new Map<string, Set<(event: StoredEvent) => void>>();
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(private readonly log?: Logger) {}

  /** Starts listening; safe to call once per process. */
  async connect(databaseUrl: string): Promise<void> {
    this.closed = false;
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('notification', (message) => {
      if (message.channel !== EVENT_CHANNEL || !message.payload) return;
      try {
        const event = JSON.parse(message.payload) as { topic: string; id: string; payload: unknown; createdAt?: string; live?: boolean };
        // A live-only event (`notify`): nothing stored, so no id, and no resumable listener takes it.
        if (event.live === true) {
          this.local.publish(event.topic, event.payload);
          return;
        }
        // `emit` always sends the stored event's time (the database's); there is no other to stand in for it.
        if (typeof event.createdAt !== 'string') throw new Error('event notification without createdAt');
        this.local.publish(event.topic, event.payload);
        const listeners = this.stored.get(event.topic);
        if (listeners?.size) {
          const stored: StoredEvent = {
            id: String(event.id),
            topic: event.topic,
            payload: event.payload,
            createdAt: new Date(event.createdAt),
          };
          for (const listener of listeners) listener(stored);
        }
      } catch (error) {
        this.log?.warn({ err: error }, 'ignored malformed event notification');
      }
    });
    client.on('error', (error) => {
      this.log?.warn({ err: error }, 'event listener connection lost; reconnecting');
      this.scheduleReconnect(databaseUrl);
    });
    await client.connect();
    await client.query(`listen ${EVENT_CHANNEL}`);
    this.client = client;
  }

  private scheduleReconnect(databaseUrl: string): void {
    if (this.closed || this.reconnectTimer) return;
    const old = this.client;
    this.client = null;
    old?.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect(databaseUrl).catch(() => this.scheduleReconnect(databaseUrl));
    }, 1000);
    this.reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /**
   * Stores and announces an event within the transaction of `em` (delivered on commit).
   * Payloads are JSON; keep them small (PostgreSQL's NOTIFY limit is 8000 bytes).
   */
  async emit(em: EntityManager, topic: string, payload: unknown): Promise<string> {
    const connection = em.getConnection();
    // The id is taken in commit order per topic (trigger platform.event_commit_order, 0004).
    const rows = await connection.execute<{ id: string; created_at: Date }[]>(
      'insert into platform.event (topic, payload) values (?, ?) returning id, created_at',
      [topic, JSON.stringify(payload)],
      'all',
      em.getTransactionContext(),
    );
    const id = String(rows[0].id);
    await connection.execute(
      'select pg_notify(?, ?)',
      [EVENT_CHANNEL, JSON.stringify({ topic, id, payload, createdAt: new Date(rows[0].created_at).toISOString() })],
      'all',
      em.getTransactionContext(),
    );
    return id;
  }

  /**
   * Announces a live-only event within the transaction of `em` (delivered on commit, to every
   * replica's `subscribe` listeners): not stored in `platform.event`, so it has no id, no history
   * and no resume. For streams of a current state (each event supersedes the previous one), where
   * storing every change would only grow the table. Payload under PostgreSQL's NOTIFY limit
   * (8000 bytes).
   */
  async notify(em: EntityManager, topic: string, payload: unknown): Promise<void> {
    await em
      .getConnection()
      .execute(
        'select pg_notify(?, ?)',
        [EVENT_CHANNEL, JSON.stringify({ topic, live: true, payload })],
        'all',
        em.getTransactionContext(),
      );
  }

  /**
   * `notify` of several live-only events of `topic`, as a part of a statement the caller runs
   * anyway (`bulkWrites` in common/sql.ts): the same announcements, one round trip fewer. Null when
   * there is nothing to announce.
   */
  static liveEventsPart(topic: string, payloads: readonly unknown[]): SqlPart | null {
    if (!payloads.length) return null;
    return {
      sql: 'select pg_notify(?, x) from unnest(?::text[]) as x',
      params: [EVENT_CHANNEL, pgArray(payloads.map((payload) => JSON.stringify({ topic, live: true, payload })))],
      effect: true,
    };
  }

  /** Local subscription to a topic: delivers what any replica emitted, after its commit. */
  subscribe(topic: string): AsyncIterable<unknown> {
    return this.local.subscribe(topic) as AsyncIterable<unknown>;
  }

  /** The adapter type-graphql's `@Subscription({ topics })` uses. */
  forTypeGraphQL(): TypeGraphQLPubSub {
    return {
      publish: () => {
        throw new Error('Emit events with PgPubSub.emit inside the transaction of the change.');
      },
      subscribe: (topic: string) => this.subscribe(topic),
    };
  }

  /**
   * Events of a topic stored after `afterId` (and, with `since`, stored at or after that time),
   * oldest first. Exact as a resume point: ids of a topic become visible in increasing order (see
   * migration 0004_event_commit_order), so no event can later appear behind `afterId`.
   * `match`: only events whose payload contains these top-level values (`payload @> match`).
   */
  async history<T>(
    em: EntityManager,
    topic: string,
    afterId: string | null,
    limit: number,
    options: { since?: Date | null; match?: Record<string, string> } = {},
  ): Promise<StoredEvent<T>[]> {
    const rows = await em.getConnection().execute<{ id: string; topic: string; payload: T; created_at: Date }[]>(
      `select id, topic, payload, created_at from platform.event
        where topic = ? and id > ? and created_at >= ? and payload @> ?::jsonb
        order by id limit ?`,
      [topic, afterId ?? '0', (options.since ?? new Date(0)).toISOString(), JSON.stringify(options.match ?? {}), limit],
    );
    return rows.map((r) => ({ id: String(r.id), topic: r.topic, payload: r.payload, createdAt: new Date(r.created_at) }));
  }

  /**
   * A resumable subscription: the stored events of `topic` after `afterId` (none when null), then
   * live ones, each exactly once and in id order. The live listener is registered before this
   * returns — before history is read — and buffers; history is read page by page, then the buffer
   * is drained skipping ids already emitted. With ids in commit order (0004) that is exact: an
   * event committed before the history read is in it, one committed after reaches the buffer.
   */
  subscribeFrom<T>(
    em: EntityManager,
    topic: string,
    afterId: string | null,
    match: Record<string, string> = {},
    pageSize = 200,
  ): AsyncIterableIterator<StoredEvent<T>> {
    const buffer: StoredEvent<T>[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const matches = (payload: unknown) =>
      Object.entries(match).every(([key, value]) => (payload as Record<string, unknown> | null)?.[key] === value);
    const listener = (event: StoredEvent) => {
      if (!matches(event.payload)) return;
      buffer.push(event as StoredEvent<T>);
      wake?.();
    };
    let listeners = this.stored.get(topic);
    if (!listeners) this.stored.set(topic, (listeners = new Set()));
    listeners.add(listener);
    const unlisten = () => listeners!.delete(listener);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator below is a function, not a method
    const self = this;
    async function* run(): AsyncGenerator<StoredEvent<T>> {
      try {
        let last = BigInt(afterId ?? '0');
        if (afterId !== null) {
          for (;;) {
            const page = await self.history<T>(em, topic, last.toString(), pageSize, { match });
            for (const event of page) {
              last = BigInt(event.id);
              yield event;
            }
            if (page.length < pageSize || closed) break;
          }
        }
        while (!closed) {
          const event = buffer.shift();
          if (event) {
            if (BigInt(event.id) <= last) continue; // already emitted from history
            last = BigInt(event.id);
            yield event;
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      } finally {
        unlisten();
      }
    }
    const inner = run();
    return {
      next: () => inner.next(),
      return: async (value?: unknown) => {
        closed = true;
        unlisten();
        wake?.();
        return inner.return(value as never);
      },
      throw: (error?: unknown) => {
        closed = true;
        unlisten();
        wake?.();
        return inner.throw(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

/**
 * Reads an event cursor (`cursor` of a delivered event, or a history page's `endCursor`): the
 * event's position in the store, a decimal number. Anything else is BAD_USER_INPUT on `field`.
 */
export function parseEventCursor(cursor: string | null | undefined, field = 'after'): string | null {
  if (cursor === null || cursor === undefined) return null;
  if (!/^[0-9]{1,18}$/.test(cursor))
    throw badInput(field, 'The cursor is not valid: pass the `cursor` of an event you received (or a page’s `endCursor`).');
  return BigInt(cursor).toString();
}
