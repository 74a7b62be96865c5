/**
 * Cache settings for frontends on normalising GraphQL clients (docs/CLIENTS.md).
 *
 * Objects with an `id` (products, plans, credentials, providers, `viewer`, …) are entities:
 * Apollo Client and urql's graphcache normalise them by `__typename` and `id` without any
 * configuration. Objects without an `id` are values of the object they hang off (a plan's
 * `quota` and `rateLimit`, a product's `documentation`, a credential's `sync`, a provider's
 * `health`, connections and their `pageInfo`, mutation payloads): a cache stores them inside
 * their parent, and when two queries select different fields of one, it must merge them rather
 * than let the later replace the earlier (Apollo warns "Cache data may be lost when replacing
 * the … field" and answers the earlier query from the network again). These settings say so for
 * every such type; the list is schema/client-value-types.json, written by `npm run compose`.
 *
 * Plain objects on purpose (no import from either client), so a frontend can copy this file:
 *
 *   new InMemoryCache({ typePolicies })                          // @apollo/client
 *   cacheExchange({ keys: graphcacheKeys })                      // @urql/exchange-graphcache
 */
import VALUE_TYPES from '../../schema/client-value-types.json';

export { VALUE_TYPES };

/** Apollo Client `InMemoryCache` type policies: merge, don't replace, objects without an id. */
export const typePolicies: Record<string, { merge: true }> = Object.fromEntries(
  VALUE_TYPES.map((name) => [name, { merge: true as const }]),
);

/** urql graphcache `keys`: objects without an id are embedded in their parent (`null` key). */
export const graphcacheKeys: Record<string, () => null> = Object.fromEntries(VALUE_TYPES.map((name) => [name, () => null]));
