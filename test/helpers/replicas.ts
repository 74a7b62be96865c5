import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../common/config';
import { TcpBalancer } from './balancer';
import { buildDist } from './build';
import { testDatabaseUrl } from './db';
import { freePort } from './ports';
import { waitFor } from './wait';

export type ProcessName = SubgraphName | 'gateway';

/** One process of the platform, run as production runs it: `node dist/scripts/start-one.js <name>`. */
export interface PlatformProcess {
  name: ProcessName;
  port: number;
  child: ChildProcess;
  /** Its stdout and stderr so far (the tail shows in timeouts). */
  output(): string;
  /** Resolves when it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface Replicas {
  /** The balancer in front of the gateways: what clients use. */
  gateway: TcpBalancer;
  /** The balancer in front of each subgraph's replicas: what the gateways use. */
  subgraphs: Record<SubgraphName, TcpBalancer>;
  /** The running processes of each kind, in balancer order. */
  processes: Record<ProcessName, PlatformProcess[]>;
  /**
   * Starts one more process of a kind on a free port (not yet behind its balancer), with `env`
   * over the topology's; resolves once it is ready.
   */
  spawn(name: ProcessName, env?: NodeJS.ProcessEnv): Promise<PlatformProcess>;
  /** Kills every process and stops the balancers. */
  stop(): Promise<void>;
}

const readyz = async (port: number) => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) })).ok;
  } catch {
    return false;
  }
};

/**
 * The platform with `count` replicas of every process on one database, each pair behind a
 * round-robin TCP balancer (`TcpBalancer`); the gateways reach the subgraphs through the
 * subgraphs' balancers. `env` applies to every process, `envOf` to one kind.
 */
export async function startReplicas(options: {
  count?: number;
  env?: NodeJS.ProcessEnv;
  envOf?: Partial<Record<ProcessName, NodeJS.ProcessEnv>>;
}): Promise<Replicas> {
  const count = options.count ?? 2;
  const dist = await buildDist();
  const all: PlatformProcess[] = [];
  const balancers: Partial<Record<SubgraphName, TcpBalancer>> = {};
  for (const name of SUBGRAPH_NAMES) balancers[name] = await TcpBalancer.start([]);
  const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, balancers[name]!.url]));

  const launch = async (name: ProcessName, env: NodeJS.ProcessEnv = {}): Promise<PlatformProcess> => {
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, [path.join(dist, 'scripts', 'start-one.js'), name], {
      env: {
        ...process.env,
        ...options.env,
        ...options.envOf?.[name],
        ...env,
        ...(name === 'gateway' ? subgraphUrls : { DATABASE_URL: testDatabaseUrl() }),
        [`${name.toUpperCase()}_PORT`]: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const started: PlatformProcess = { name, port, child, output: () => output, exited };
    all.push(started);
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(
      async () => {
        if (gone) throw new Error(`${name} exited while starting:\n${output.slice(-3000)}`);
        return readyz(port);
      },
      { timeoutMs: 90_000, intervalMs: 200, what: `${name} on port ${port} to be ready` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${output.slice(-3000)}`);
    });
    return started;
  };

  const processes = {} as Record<ProcessName, PlatformProcess[]>;
  try {
    // Every subgraph replica at once (they migrate under an advisory lock), then the gateways.
    const started = await Promise.all(
      SUBGRAPH_NAMES.flatMap((name) => Array.from({ length: count }, async () => ({ name, process: await launch(name) }))),
    );
    for (const name of SUBGRAPH_NAMES) {
      processes[name] = started.filter((s) => s.name === name).map((s) => s.process);
      balancers[name]!.setUpstreams(processes[name].map((p) => p.port));
    }
    processes.gateway = await Promise.all(Array.from({ length: count }, () => launch('gateway')));
  } catch (error) {
    for (const p of all) p.child.kill('SIGKILL');
    for (const balancer of Object.values(balancers)) await balancer!.stop();
    throw error;
  }
  const gateway = await TcpBalancer.start(processes.gateway.map((p) => p.port));

  return {
    gateway,
    subgraphs: balancers as Record<SubgraphName, TcpBalancer>,
    processes,
    spawn: launch,
    async stop() {
      for (const p of all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(all.map((p) => p.exited));
      await gateway.stop();
      for (const balancer of Object.values(balancers)) await balancer!.stop();
    },
  };
}
