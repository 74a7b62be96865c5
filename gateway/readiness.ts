import type http from 'node:http';

export interface ReadinessProbe {
  /** Probes (at most once per `cacheMs`) and answers `/readyz`. */
  handle(res: http.ServerResponse): Promise<void>;
}

interface SubgraphState {
  ready: boolean;
  reason?: string;
}

/**
 * The gateway's `/readyz`: ready when its supergraph is loaded and every subgraph answers its own
 * `/readyz` (database reachable, migrations applied, job runner alive). A gateway in front of a
 * subgraph that cannot serve is not ready either, so an orchestrator or load balancer stops
 * sending it traffic until the subgraph recovers. `/healthz` stays a plain liveness check.
 * Results are cached for `cacheMs`, so frequent probes never multiply load on the subgraphs.
 */
export function readinessProbe(options: {
  subgraphUrls: Record<string, string>;
  schemaLoaded: () => Promise<unknown>;
  timeoutMs?: number;
  cacheMs?: number;
}): ReadinessProbe {
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMs = options.cacheMs ?? 1000;
  let cached: { at: number; body: Promise<{ ready: boolean; subgraphs: Record<string, SubgraphState> }> } | null = null;

  const probeOne = async (graphqlUrl: string): Promise<SubgraphState> => {
    const url = graphqlUrl.replace(/\/graphql\/?$/, '') + '/readyz';
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (response.ok) return { ready: true };
      const body = (await response.json().catch(() => ({}))) as { reason?: string };
      return { ready: false, reason: body.reason ?? `HTTP ${response.status}` };
    } catch (error) {
      return { ready: false, reason: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable' };
    }
  };

  const probe = async () => {
    await options.schemaLoaded();
    const names = Object.keys(options.subgraphUrls);
    const states = await Promise.all(names.map((name) => probeOne(options.subgraphUrls[name]!)));
    const subgraphs = Object.fromEntries(names.map((name, i) => [name, states[i]!]));
    return { ready: states.every((s) => s.ready), subgraphs };
  };

  return {
    async handle(res) {
      // The cache's age is elapsed time: measured on the monotonic clock.
      const now = performance.now();
      if (!cached || now - cached.at > cacheMs) cached = { at: now, body: probe() };
      let result: Awaited<ReturnType<typeof probe>>;
      try {
        result = await cached.body;
      } catch {
        result = { ready: false, subgraphs: {} };
      }
      res.writeHead(result.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: result.ready ? 'ready' : 'not ready', service: 'gateway', subgraphs: result.subgraphs }));
    },
  };
}
