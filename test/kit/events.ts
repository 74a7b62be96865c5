import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { tokenFor, type Identity } from '../helpers/graphql';

/** What a subscription collected: each event's `accessRequestEvents` value, and the errors. */
export interface WatchedEvents {
  events: any[];
  errors: unknown[];
}

/**
 * `accessRequestEvents` of an organization over graphql-ws through the gateway (`wsUrl`), as
 * `identity` receives them, with `selection` picked from each event. The client is added to
 * `clients` for the suite to dispose of.
 */
export function watchAccessEvents(
  wsUrl: string,
  clients: Client[],
  identity: Identity,
  organizationId: string,
  selection: string,
): WatchedEvents {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
  });
  clients.push(client);
  const watched: WatchedEvents = { events: [], errors: [] };
  client.subscribe(
    {
      query: `subscription($org: ID) { accessRequestEvents(organizationId: $org) { ${selection} } }`,
      variables: { org: organizationId },
    },
    {
      next: (result) => {
        if (result.errors) watched.errors.push(...result.errors);
        else if (result.data) watched.events.push((result.data as Record<string, unknown>).accessRequestEvents);
      },
      error: (error) => watched.errors.push(error),
      complete: () => undefined,
    },
  );
  return watched;
}
