import { Client, cacheExchange, fetchExchange, subscriptionExchange, type ExecutionResult } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';
import type { PortalConfig } from './config';

/**
 * The GraphQL client: urql over HTTP for queries and mutations, graphql-ws on the gateway's same
 * URL for subscriptions, the bearer token in the `authorization` header and in the graphql-ws
 * connection parameters. One client per signed-in session (a new token makes a new client, so
 * no cached answer of one caller is shown to another).
 *
 * Subscriptions survive restarts as docs/CLIENTS.md describes: graphql-ws reconnects after a
 * gateway's 1012, and a subscription the gateway ends (a service behind it restarted:
 * SERVICE_UNAVAILABLE, then complete) is started again. One that declares `$after` resumes from
 * the `cursor` of the last event it received, so no event is missed or repeated.
 */
export function createGraphqlClient(config: PortalConfig, token: string | null): { client: Client; dispose: () => void } {
  const authorization = token ? `Bearer ${token}` : undefined;
  const ws = createWsClient({
    url: config.gatewayWsUrl,
    lazy: true,
    retryAttempts: Infinity,
    connectionParams: authorization ? { authorization } : {},
  });
  const client = new Client({
    url: config.gatewayUrl,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: (): RequestInit => ({ headers: authorization ? { authorization } : {} }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const query = request.query || '';
          const payload = { ...request, query, variables: { ...(request.variables as Record<string, unknown>) } };
          const resumable = /\$after\s*:/.test(query);
          return {
            subscribe(sink) {
              let stopped = false;
              let cancel = () => {};
              const start = () => {
                cancel = ws.subscribe<Record<string, unknown>>(payload, {
                  next(result) {
                    const ended = result.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE');
                    if (ended && !result.data) return; // the gateway completes it next: started again below
                    const event = result.data ? Object.values(result.data)[0] : null;
                    if (resumable && event && typeof event === 'object' && 'cursor' in event && typeof event.cursor === 'string') {
                      payload.variables.after = event.cursor;
                    }
                    sink.next(result as ExecutionResult);
                  },
                  error: (error) => sink.error(error),
                  complete() {
                    if (stopped) return sink.complete();
                    setTimeout(() => !stopped && start(), 1000);
                  },
                });
              };
              start();
              return {
                unsubscribe() {
                  stopped = true;
                  cancel();
                },
              };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}
