/**
 * How Tyk merges the access rights of several ACL policies applied to one session (Tyk Gateway's
 * `internal/policy/apply.go`, `applyPartitions`, and `internal/policy/util.go`,
 * `MergeAllowedURLs`), written from that description for the test server:
 *
 * - `versions`: union;
 * - `allowed_urls`: union by url, methods unioned per url. An EMPTY list contributes nothing, so
 *   merging "all paths" (`[]`) with `[{url: '/a', methods: ['GET']}]` gives `[/a GET]`: the
 *   restricted list wins;
 * - `restricted_types`: the first non-empty list, then fields of same-named types appended;
 * - `allowed_types`: the same (fields appended per type);
 * - `disable_introspection`: true if any policy sets it.
 */
export type Json = Record<string, any>;

function appendIfMissing(dest: string[], items: string[]): string[] {
  const out = [...dest];
  for (const item of items) if (!out.includes(item)) out.push(item);
  return out;
}

export function mergeAllowedUrls(a: Json[] | undefined | null, b: Json[] | undefined | null): Json[] {
  const order: string[] = [];
  const merged = new Map<string, string[]>();
  for (const source of [a ?? [], b ?? []]) {
    for (const spec of source) {
      const existing = merged.get(spec.url);
      if (!existing) {
        merged.set(spec.url, [...(spec.methods ?? [])]);
        order.push(spec.url);
      } else merged.set(spec.url, appendIfMissing(existing, spec.methods ?? []));
    }
  }
  return order.map((url) => ({ url, methods: merged.get(url)! }));
}

function mergeTypes(a: Json[] | undefined | null, b: Json[] | undefined | null): Json[] {
  if (!a?.length) return JSON.parse(JSON.stringify(b ?? []));
  const out: Json[] = JSON.parse(JSON.stringify(a));
  for (const type of b ?? []) {
    const found = out.find((t) => t.name === type.name);
    if (found) found.fields = appendIfMissing(found.fields ?? [], type.fields ?? []);
    else out.push(JSON.parse(JSON.stringify(type)));
  }
  return out;
}

/** `rights[apiId]` after another ACL policy's access definition for the same API is applied. */
export function mergeAccessDefinition(current: Json | undefined, next: Json): Json {
  if (!current) return JSON.parse(JSON.stringify(next));
  const out: Json = { ...current };
  out.versions = appendIfMissing(current.versions ?? [], next.versions ?? []);
  out.allowed_urls = mergeAllowedUrls(current.allowed_urls, next.allowed_urls);
  out.restricted_types = mergeTypes(current.restricted_types, next.restricted_types);
  out.allowed_types = mergeTypes(current.allowed_types, next.allowed_types);
  if (next.disable_introspection) out.disable_introspection = true;
  return out;
}
