import autocannon from 'autocannon';
import type { BenchPlatform } from './platform';
import { round } from './stats';

/** One autocannon run against one GraphQL endpoint. */
export interface CannonTarget {
  label: string;
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  /**
   * Headers taken in turn, one set per request, on top of `headers`: for example one token per
   * caller, so that concurrent requests come from different callers (the gateway merges identical
   * in-flight subgraph calls of one caller, which would hide what one request costs).
   */
  headerRotation?: Record<string, string>[];
}

export interface CannonFigures {
  label: string;
  url: string;
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** 200 responses whose body carried GraphQL `errors` (or no `data`). */
  graphqlErrors: number;
  /** CPU milliseconds each platform process used per request during the run. */
  cpuMsPerRequest: Record<string, number>;
  /**
   * When the run went on, in microseconds of the monotonic clock: the clock of the timestamps in
   * a `--cpu-prof` profile, so the samples of this run can be picked out (`bench/profile.ts`).
   */
  window: { fromUs: number; toUs: number };
}

/** Now on the monotonic clock, in microseconds (V8's profile timestamps use the same clock). */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Treats an answer as good when it has data and no `errors`. */
export function goodGraphQLBody(body: string): boolean {
  return body.includes('"data":{') && !body.includes('"errors":');
}

/** An autocannon `setupRequest` that gives each request the next set of `rotation` in turn. */
function rotateHeaders(rotation: Record<string, string>[]) {
  let next = 0;
  return (request: { headers?: Record<string, string> }) => {
    const headers = rotation[next++ % rotation.length];
    return { ...request, headers: { ...request.headers, ...headers } };
  };
}

/**
 * Fires `target` with `connections` concurrent connections for `seconds`, the way
 * `autocannon -c 10 -d 10 -m POST` does, and records CPU per process from /proc meanwhile.
 */
export async function cannon(platform: BenchPlatform, target: CannonTarget, seconds: number, connections = 10): Promise<CannonFigures> {
  const body = JSON.stringify({
    query: target.query,
    variables: target.variables ?? {},
    ...(target.extensions ? { extensions: target.extensions } : {}),
  });
  const cpuBefore = platform.cpu();
  const fromUs = monotonicUs();
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
    connections,
    duration: seconds,
    timeout: 20,
    title: target.label,
    verifyBody: goodGraphQLBody,
    ...(target.headerRotation?.length ? { requests: [{ setupRequest: rotateHeaders(target.headerRotation) }] } : {}),
  });
  const toUs = monotonicUs();
  const cpuAfter = platform.cpu();
  const requests = result.requests.total;
  const cpuMsPerRequest: Record<string, number> = {};
  for (const [name, after] of Object.entries(cpuAfter)) {
    const before = cpuBefore[name];
    if (after !== null && before !== null && before !== undefined && requests > 0)
      cpuMsPerRequest[name] = round((after - before) / requests, 3);
  }
  return {
    label: target.label,
    url: target.url,
    seconds: result.duration,
    connections,
    requests,
    requestsPerSecond: round(requests / result.duration, 1),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: round(result.latency.mean ?? result.latency.average, 2),
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors: result.mismatches,
    cpuMsPerRequest,
    window: { fromUs, toUs },
  };
}
