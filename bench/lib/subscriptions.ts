import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

/** One client subscription: how many events it got, when the last arrived, what failed. */
export interface SubscriptionHandle {
  /** Events delivered with data and without errors. */
  events: number;
  /** `performance.now()` of the latest good event. */
  lastEventAt: number;
  /** Events delivered as an error result (a failed field of that event; the subscription stays open). */
  errorEvents: number;
  /** `performance.now()` of the latest error result. */
  lastErrorAt: number;
  /** First few error messages of error results. */
  errorSamples: string[];
  /** The subscription failed as a whole (socket closed, subscription refused). */
  failure: string | null;
  completed: boolean;
  unsubscribe(): void;
}

/** A readable text for what graphql-ws reports as an error (Error, CloseEvent, ErrorEvent, GraphQL errors). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map(describeError).join('; ');
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; reason?: unknown; message?: unknown; type?: unknown; extensions?: { code?: unknown } };
    if (typeof e.code === 'number') return `socket closed ${e.code}${e.reason ? ` (${String(e.reason)})` : ''}`;
    if (typeof e.message === 'string') return `${e.message}${e.extensions?.code ? ` [${String(e.extensions.code)}]` : ''}`;
    if (typeof e.type === 'string') return `socket ${e.type}`;
  }
  return String(error);
}

/**
 * graphql-ws clients against the gateway: one socket per `socket()` call, many subscriptions
 * multiplexed over each (as browsers with several open views do).
 */
export class SubscriptionPool {
  private readonly clients: Client[] = [];
  readonly handles: SubscriptionHandle[] = [];
  /** Sockets that closed other than through `dispose()`. */
  unexpectedCloses = 0;
  private disposing = false;

  constructor(private readonly wsUrl: string) {}

  /** A new socket (opened by its first subscription) authenticated with `authorization`. */
  socket(authorization: string): Client {
    const client = createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      lazy: true,
      retryAttempts: 0,
      on: {
        closed: () => {
          if (!this.disposing) this.unexpectedCloses++;
        },
      },
    });
    this.clients.push(client);
    return client;
  }

  subscribe(client: Client, query: string, variables: Record<string, unknown>, onEvent?: (data: unknown) => void): SubscriptionHandle {
    const handle: SubscriptionHandle = {
      events: 0,
      lastEventAt: 0,
      errorEvents: 0,
      lastErrorAt: 0,
      errorSamples: [],
      failure: null,
      completed: false,
      unsubscribe: () => undefined,
    };
    handle.unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            handle.errorEvents++;
            handle.lastErrorAt = performance.now();
            if (handle.errorSamples.length < 3) handle.errorSamples.push(describeError(result.errors));
            return;
          }
          handle.events++;
          handle.lastEventAt = performance.now();
          onEvent?.(result.data);
        },
        error: (error) => (handle.failure ??= describeError(error)),
        complete: () => (handle.completed = true),
      },
    );
    this.handles.push(handle);
    return handle;
  }

  get sockets(): number {
    return this.clients.length;
  }

  /** Subscriptions that failed as a whole. */
  failures(): number {
    return this.handles.filter((h) => h.failure !== null).length;
  }

  /** Error results delivered (events whose fields failed). */
  errorEvents(): number {
    return this.handles.reduce((sum, h) => sum + h.errorEvents, 0);
  }

  /** Up to `limit` distinct failure and error texts. */
  problems(limit = 5): string[] {
    const texts = new Set<string>();
    for (const h of this.handles) {
      for (const text of [h.failure, ...h.errorSamples]) if (text && texts.size < limit) texts.add(text);
    }
    return [...texts];
  }

  async dispose(): Promise<void> {
    this.disposing = true;
    for (const handle of this.handles) handle.unsubscribe();
    await Promise.all(this.clients.map((client) => client.dispose()));
    this.clients.length = 0;
  }
}
