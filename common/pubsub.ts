import pg from 'pg';
import { createPubSub } from '@graphql-yoga/subscription';
import type { PubSub as TypeGraphQLPubSub } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from './logger';

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
        const event = JSON.parse(message.payload) as { topic: string; id: string; payload: unknown };
        this.local.publish(event.topic, event.payload);
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
    const rows = await connection.execute<{ id: string }[]>(
      'insert into platform.event (topic, payload) values (?, ?) returning id',
      [topic, JSON.stringify(payload)],
      'all',
      em.getTransactionContext(),
    );
    const id = String(rows[0].id);
    await connection.execute(
      'select pg_notify(?, ?)',
      [EVENT_CHANNEL, JSON.stringify({ topic, id, payload })],
      'all',
      em.getTransactionContext(),
    );
    return id;
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

  /** Events of a topic stored after `afterId`, oldest first (reconnect catch-up). */
  async history<T>(em: EntityManager, topic: string, afterId: string | null, limit: number): Promise<StoredEvent<T>[]> {
    const rows = await em.getConnection().execute<{ id: string; topic: string; payload: T; created_at: Date }[]>(
      'select id, topic, payload, created_at from platform.event where topic = ? and id > ? order by id limit ?',
      [topic, afterId ?? '0', limit],
    );
    return rows.map((r) => ({ id: String(r.id), topic: r.topic, payload: r.payload, createdAt: new Date(r.created_at) }));
  }
}
