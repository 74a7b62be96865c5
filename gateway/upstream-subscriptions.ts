import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import type { ExecutionRequest } from '@graphql-tools/utils';
import { upstreamPrint } from '../common/auth';

/** The error a client gets when the subgraph connection behind one of its subscriptions is lost. */
export const SUBSCRIPTION_INTERRUPTED =
  'The subscription was interrupted: the service behind it restarted or could not be reached. Subscribe again; to miss nothing, pass the `cursor` of the last event you received as `after`.';

interface CloseEventLike {
  code: number;
  reason: string;
}

function isCloseEvent(value: unknown): value is CloseEventLike {
  return typeof value === 'object' && value !== null && typeof (value as CloseEventLike).code === 'number' && 'reason' in value;
}

/** A subscription whose upstream went away: SERVICE_UNAVAILABLE with `retryAfter`, like any unreachable subgraph. */
export function subscriptionInterrupted(subgraph: string, close?: CloseEventLike): GraphQLError {
  return new GraphQLError(SUBSCRIPTION_INTERRUPTED, {
    extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 1, subgraph, ...(close ? { closeCode: close.code } : {}) },
  });
}

/**
 * Ends a subscription with `subscriptionInterrupted` when its WebSocket to the subgraph closes
 * (a replica restarting sends 1012, a killed one just goes), instead of the transport error.
 * A plain iterator, not an async generator: a generator would hold a `return()` (the client
 * unsubscribing) until the subgraph's next event.
 */
function endOnClose(source: AsyncIterableIterator<ExecutionResult>, subgraph: string): AsyncIterableIterator<ExecutionResult> {
  const translate = (error: unknown): never => {
    throw isCloseEvent(error) ? subscriptionInterrupted(subgraph, error) : error;
  };
  return {
    next: () => source.next().catch(translate),
    return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

interface TransportOptions {
  transportEntry: { subgraph: string; location?: string };
  log?: { debug(attributes: Record<string, unknown>, message: string): void };
}

/**
 * The gateway's transport for subscriptions to a subgraph (Hive's transport kind `ws`), in place
 * of `@graphql-mesh/transport-ws`, whose graphql-ws client reconnects by itself when the
 * subgraph's socket closes and sends each subscription again as it was first sent. Behind a
 * load balancer that reconnect reaches another replica and looks seamless, but it is not: the
 * events published while no replica had the subscription are lost without a word, a
 * subscription that gave `after` is replayed from its first cursor (duplicates), and once the
 * request is older than GATEWAY_SIGNATURE_MAX_AGE_SECONDS the new replica refuses it.
 *
 * Here the client does not retry: when the socket to the subgraph closes, each subscription
 * over it ends with one SERVICE_UNAVAILABLE error (`subscriptionInterrupted`), and the client
 * subscribes again — with `after` set to the last cursor it received, it gets every event it
 * missed, exactly once (the platform's resume). The client's own WebSocket to the gateway stays
 * open, and its other subscriptions go on.
 *
 * One WebSocket per subgraph location carries all the gateway's subscriptions to it (opened on
 * the first, closed 3 s after the last ends), as with Hive's transport.
 */
export const upstreamSubscriptions = {
  getSubgraphExecutor({ transportEntry, log }: TransportOptions) {
    if (!transportEntry.location) throw new Error(`no subscription location for subgraph ${transportEntry.subgraph}`);
    const url = transportEntry.location.replace(/^http/, 'ws');
    const subgraph = transportEntry.subgraph;
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: true,
      lazyCloseTimeout: 3000,
      retryAttempts: 0,
      on: {
        closed: (event) => {
          if (isCloseEvent(event))
            log?.debug({ subgraph, code: event.code, reason: event.reason }, 'subscription socket to subgraph closed');
        },
      },
    });
    const executor = (request: ExecutionRequest) => {
      const operation = request.operationType ?? getOperationAST(request.document, request.operationName)?.operation;
      const source = client.iterate({
        query: upstreamPrint(request.document),
        ...(request.variables && Object.keys(request.variables).length ? { variables: request.variables } : {}),
        ...(request.operationName ? { operationName: request.operationName } : {}),
        ...(request.extensions && Object.keys(request.extensions).length ? { extensions: request.extensions } : {}),
      }) as AsyncIterableIterator<ExecutionResult>;
      const signal = request.signal ?? request.info?.signal;
      signal?.addEventListener('abort', () => void source.return?.(), { once: true });
      const results = endOnClose(source, subgraph);
      if (operation === 'subscription') return results;
      return results.next().then(({ value }) => value as ExecutionResult);
    };
    return Object.assign(executor, { [Symbol.asyncDispose]: () => client.dispose() });
  },
};
