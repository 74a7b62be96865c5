import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';
import type { PortalConfig } from './config';

/**
 * The GraphQL client: urql over HTTP for queries and mutations, graphql-ws on the gateway's same
 * URL for subscriptions, the bearer token in the `authorization` header and in the graphql-ws
 * connection parameters. One client per signed-in session (a new token makes a new client, so
 * no cached answer of one caller is shown to another).
 */
export function createGraphqlClient(config: PortalConfig, token: string | null): { client: Client; dispose: () => void } {
  const authorization = token ? `Bearer ${token}` : undefined;
  const ws = createWsClient({
    url: config.gatewayWsUrl,
    lazy: true,
    retryAttempts: 5,
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
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}
