/**
 * One execution per subscription key at the gateway, multicast to every client subscribed with
 * that key (docs/ARCHITECTURE.md, "Shared subscriptions").
 *
 * Without it every client subscription is its own upstream subscription at the subgraph (its own
 * authorisation, listener and per-event execution there) and its own execution here: each event
 * is sent up the gateway's socket once per client, and a field joined from another subgraph
 * (`quotaWarnings { organization { name } }`) is fetched once per event per client.
 *
 * Two clients share when the subgraphs would give them the same events and fields: the same
 * document, variables and operation name, and the same verified token claims (the forwarded
 * identity the subgraphs authorise on). The first such client starts the execution; the next
 * ones join it and get the events from then on; a client leaving never ends the others' stream;
 * the execution (and its upstream subscription) is torn down when the last one leaves. When the
 * execution ends — the upstream completes, fails or is lost (`subscriptionInterrupted`) — every
 * client of the key gets the same end.
 *
 * The subgraph authorises a subscription when it starts. A client may join an execution only
 * within `joinableMs` (a minute) of its start; a later one starts a new execution, authorised
 * afresh, which the next clients join (the older one goes on for its own clients). So a change
 * of access (a member removed from the organization) reaches new subscribers within that time,
 * as a signed request the gateway sent is good for a minute too (GATEWAY_SIGNATURE_MAX_AGE_SECONDS).
 *
 * Never shared:
 * - a subscription that resumes (a root field given `after`): it replays stored events first, and
 *   a client joining later would miss the replay;
 * - once the execution delivered an error without data (a refusal such as FORBIDDEN, or a failing
 *   stream), the key is no longer joinable: a client arriving after that starts its own, so it
 *   gets its own answer rather than just the end of someone else's.
 */
import { randomUUID } from 'node:crypto';
import { getOperationAST, Kind, print, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { gauge, type Registry } from '../common/metrics';
import { systemClock, type Clock } from '../common/clock';

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
type SubscribeFn = (args: ExecutionArgs) => Result | Promise<Result>;

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** What a client's subscription waits for: a queue of results its consumer pulls. */
class ClientStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: { resolve: (result: IteratorResult<ExecutionResult>) => void; reject: (error: unknown) => void } | null = null;
  private finished = false;
  private failure: { error: unknown } | null = null;

  constructor(private readonly leave: (stream: ClientStream) => void) {}

  deliver(result: ExecutionResult): void {
    if (this.finished) return;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting.resolve({ done: false, value: result });
    } else this.queue.push(result);
  }

  /** The shared execution ended (with `failure` when it failed): queued results first, then the end. */
  end(failure?: { error: unknown }): void {
    if (this.finished) return;
    this.finished = true;
    if (this.waiting && !this.queue.length) {
      const waiting = this.waiting;
      this.waiting = null;
      if (failure) waiting.reject(failure.error);
      else waiting.resolve({ done: true, value: undefined });
    } else this.failure = failure ?? null;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ done: false, value });
    if (this.finished) {
      const failure = this.failure;
      this.failure = null;
      return failure ? Promise.reject(failure.error) : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The client unsubscribed (or went away): only this stream ends. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.finished) {
      this.finished = true;
      this.queue.length = 0;
      this.leave(this);
    }
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** One running execution and the clients it feeds. */
class SharedExecution {
  readonly clients = new Set<ClientStream>();
  /** Settles once the execution started: its stream, or the single result it answered with instead. */
  started!: Promise<Result>;
  private source: AsyncIterator<ExecutionResult> | null = null;
  private closed = false;

  constructor(
    /** When it started (ms): clients join it only for a while (see `joinableMs`). */
    readonly startedAt: number,
    private readonly release: (execution: SharedExecution) => void,
  ) {}

  join(): ClientStream {
    const client = new ClientStream((leaving) => {
      this.clients.delete(leaving);
      if (!this.clients.size) this.close();
    });
    this.clients.add(client);
    return client;
  }

  /** Feeds every client from `stream` until it ends or the last client leaves. */
  async run(stream: AsyncIterable<ExecutionResult>): Promise<void> {
    const source = stream[Symbol.asyncIterator]();
    this.source = source;
    if (this.closed) {
      await source.return?.();
      return;
    }
    let failure: { error: unknown } | undefined;
    try {
      for (;;) {
        const { done, value } = await source.next();
        if (done || this.closed) break;
        // An error without data ends the stream in practice (a refusal, a failing upstream):
        // clients arriving from now on start their own execution.
        if (value.errors?.length && value.data == null) this.release(this);
        for (const client of this.clients) client.deliver(value);
      }
    } catch (error) {
      failure = { error };
    } finally {
      this.closed = true;
      this.release(this);
    }
    for (const client of this.clients) client.end(failure);
    this.clients.clear();
  }

  /** The last client left: the upstream subscription ends. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release(this);
    void this.source?.return?.()?.catch(() => undefined);
  }
}

/** Whether any root field of the operation is given `after` (a resume: never shared). */
function resumes(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>): boolean {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return true;
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return true; // fragments at the root: not worth looking into
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value !== 'after') continue;
      const value = argument.value;
      if (value.kind === Kind.NULL) continue;
      if (value.kind === Kind.VARIABLE && (variables[value.name.value] ?? null) === null) continue;
      return true;
    }
  }
  return false;
}

const printed = new WeakMap<DocumentNode, string>();

/**
 * The key two clients must share to share an execution, or null when this one is never shared.
 * JSON as given (not sorted): the same variables or claims in another order make another key,
 * which only shares less.
 */
export function subscriptionKey(args: ExecutionArgs): string | null {
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  if (resumes(args.document, args.operationName, variables)) return null;
  let text = printed.get(args.document);
  if (text === undefined) printed.set(args.document, (text = print(args.document)));
  const claims = (args.contextValue as { jwt?: { payload?: unknown } } | undefined)?.jwt?.payload ?? null;
  return JSON.stringify([text, args.operationName ?? null, variables, claims]);
}

/**
 * The context the shared execution runs with: the first client's (the verified claims, the
 * gateway's own parts), without what belongs to that client's connection (its socket, its HTTP
 * request and response over server-sent events, its connection parameters), and with a request id
 * of its own for the subgraph calls.
 */
function sharedContext(context: unknown): Record<string, unknown> {
  return {
    ...(context as Record<string, unknown>),
    req: undefined,
    socket: undefined,
    request: undefined,
    res: undefined,
    connectionParams: undefined,
    requestId: randomUUID(),
  };
}

export interface SharedSubscriptionsOptions {
  /** Where `plangraph_gateway_shared_subscriptions` goes. */
  registry?: Registry;
  clock?: Clock;
  /** How long after its start an execution takes new clients (default a minute). */
  joinableMs?: number;
}

/** The gateway plugin: subscriptions with the same key share one execution (see the top of this file). */
export function useSharedSubscriptions({
  registry,
  clock = systemClock,
  joinableMs = 60_000,
}: SharedSubscriptionsOptions = {}): GatewayPlugin {
  /** The execution new clients of a key join. */
  const running = new Map<string, SharedExecution>();
  const executions = registry
    ? gauge(registry, {
        name: 'plangraph_gateway_shared_subscriptions',
        help: 'Subscription executions running at this gateway, each one upstream subscription shared by every client with the same document, variables and claims',
      })
    : null;

  function subscribe(key: string, args: ExecutionArgs, subscribeFn: SubscribeFn): Promise<Result> {
    const now = clock.now().getTime();
    let execution = running.get(key);
    if (!execution || now - execution.startedAt >= joinableMs) {
      const created = new SharedExecution(now, (ended) => {
        if (running.get(key) === ended) running.delete(key);
      });
      execution = created;
      running.set(key, created);
      executions?.inc();
      created.started = Promise.resolve()
        .then(() => subscribeFn({ ...args, contextValue: sharedContext(args.contextValue) }))
        .then(
          (result) => {
            if (isAsyncIterable(result)) void created.run(result).finally(() => executions?.dec());
            else {
              // A single result (the operation could not start): every client waiting gets it.
              if (running.get(key) === created) running.delete(key);
              executions?.dec();
            }
            return result;
          },
          (error) => {
            if (running.get(key) === created) running.delete(key);
            executions?.dec();
            throw error;
          },
        );
    }
    const client = execution.join();
    return execution.started.then(
      (result) => (isAsyncIterable(result) ? client : (void client.return(), result)),
      (error) => {
        void client.return();
        throw error;
      },
    );
  }

  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const key = subscriptionKey(args);
      if (key === null) return;
      setSubscribeFn((subscribeArgs: ExecutionArgs) => subscribe(key, subscribeArgs, subscribeFn as SubscribeFn));
    },
  } as GatewayPlugin;
}
