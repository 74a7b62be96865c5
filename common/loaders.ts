import DataLoader from 'dataloader';

const loadersByContext = new WeakMap<object, Map<string, DataLoader<unknown, unknown>>>();
const scopes = new WeakMap<object, object>();

/**
 * The object a request's loaders (and other per-request state) hang off: the context itself until
 * `renewLoaderScope` starts a fresh one.
 */
export function loaderScope(context: object): object {
  return scopes.get(context) ?? context;
}

/**
 * Forgets what the request's loaders cached: after a mutation changed the data, or for each event
 * of a subscription, which keeps one context for its whole life and must read every event's
 * fields fresh.
 */
export function renewLoaderScope(context: object): void {
  scopes.set(context, {});
}

/**
 * A DataLoader that lives as long as one request's context: every `load` in the same tick
 * becomes one batch, so SQL statements per request do not grow with list sizes.
 */
export function requestLoader<K, V>(
  context: object,
  name: string,
  batch: (keys: readonly K[]) => Promise<(V | Error)[]>,
): DataLoader<K, V> {
  const scope = loaderScope(context);
  let loaders = loadersByContext.get(scope);
  if (!loaders) {
    loaders = new Map();
    loadersByContext.set(scope, loaders);
  }
  let loader = loaders.get(name) as DataLoader<K, V> | undefined;
  if (!loader) {
    loader = new DataLoader<K, V>(batch);
    loaders.set(name, loader as DataLoader<unknown, unknown>);
  }
  return loader;
}

/** Orders rows by the requested keys; missing keys map to null. */
export function byKeys<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | null)[] {
  const index = new Map<K, V>();
  for (const row of rows) index.set(keyOf(row), row);
  return keys.map((key) => index.get(key) ?? null);
}

/** Groups rows by key in request order (one-to-many batches). */
export function groupByKeys<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const groups = new Map<K, V[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}
