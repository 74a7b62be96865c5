import DataLoader from 'dataloader';

const loadersByContext = new WeakMap<object, Map<string, DataLoader<unknown, unknown>>>();

/**
 * A DataLoader that lives as long as one request's context: every `load` in the same tick
 * becomes one batch, so SQL statements per request do not grow with list sizes.
 */
export function requestLoader<K, V>(
  context: object,
  name: string,
  batch: (keys: readonly K[]) => Promise<(V | Error)[]>,
): DataLoader<K, V> {
  let loaders = loadersByContext.get(context);
  if (!loaders) {
    loaders = new Map();
    loadersByContext.set(context, loaders);
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
