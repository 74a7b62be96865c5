import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../common/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../scripts/embedded-postgres';
import { projectRoot } from '../../scripts/paths';
import { childPids, cpuMs, pssBytes, rssBytes } from './proc';
import { sleep } from './stats';

export { freePort } from '../../test/helpers/ports';
import { freePort } from '../../test/helpers/ports';

export interface PlatformProcess {
  name: string;
  pid: number;
  /** GraphQL endpoint of the process. */
  url: string;
  child: ChildProcess;
  /** How it was started (for `restartProcess`). */
  start: { script: string; args: string[]; env: NodeJS.ProcessEnv; readyUrl: string };
}

/** Environment every platform process of a benchmark gets on top of the caller's. */
export const BENCH_ENV: NodeJS.ProcessEnv = {
  LOG_LEVEL: 'warn',
  // The per-caller limit (600 per minute by default) would cap a single-token benchmark at 10 req/s.
  PLATFORM_RATE_LIMIT: '0/60',
  // The `subscriptions` scenario holds 1,000 subscriptions per member (one member per organization);
  // the default cap of running subscriptions per caller (200) would refuse 800 of them.
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CALLER: '1000',
};

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  what: string,
  timeoutMs = 90_000,
  probe?: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.signalCode ?? child.exitCode}) before it was ready`);
    try {
      if (probe) {
        if (await probe()) return;
      } else {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      }
    } catch {
      // not up yet
    }
    await sleep(150);
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s`);
}

/**
 * A fresh platform for one benchmark run, laid out as `npm start` lays it out: embedded
 * PostgreSQL in a temporary directory and every subgraph and the gateway as a child process
 * (`node dist/scripts/start-one.js <name>`) on free ports, so each process's memory and CPU
 * can be read from /proc.
 */
/** Which platform processes run under `node --cpu-prof` (`--cpu-prof <names>`), and where their profiles go. */
export interface CpuProfiling {
  /** Process names (`gateway`, `apollo-gateway`, `products`, …), or `all`. */
  names: string[];
  /** Folder for the `.cpuprofile` files, written when each process exits. */
  dir: string;
}

export class BenchPlatform {
  readonly processes = new Map<string, PlatformProcess>();
  private stopping = false;
  private cpuProfiling: CpuProfiling | null = null;

  private constructor(
    readonly tempDir: string,
    readonly dataDir: string,
    readonly databaseUrl: string,
    private database: EmbeddedDatabase,
    readonly logDir: string,
    private readonly say: (message: string) => void,
  ) {}

  static async start(options: {
    logDir: string;
    log: (message: string) => void;
    cpuProfiling?: CpuProfiling | null;
  }): Promise<BenchPlatform> {
    const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-bench-'));
    // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the directory.
    fs.chmodSync(tempDir, 0o755);
    const dataDir = path.join(tempDir, 'pg');
    const port = await freePort();
    fs.mkdirSync(options.logDir, { recursive: true });
    options.log(`embedded PostgreSQL in ${tempDir}`);
    let database = await startEmbeddedPostgres(dataDir, port, options.log);
    // Five subgraph processes (pools of up to 10, job workers, listeners), a second gateway and
    // the in-process N+1 platform need more than PostgreSQL's default 100 connections.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('alter system set max_connections = 400');
    await admin.end();
    await database.stop();
    database = await startEmbeddedPostgres(dataDir, port, options.log);
    const platform = new BenchPlatform(tempDir, dataDir, database.url, database, options.logDir, options.log);
    platform.cpuProfiling = options.cpuProfiling ?? null;
    try {
      await platform.startProcesses();
    } catch (error) {
      await platform.stop();
      throw error;
    }
    return platform;
  }

  get gateway(): PlatformProcess {
    return this.processes.get('gateway')!;
  }

  get gatewayUrl(): string {
    return this.gateway.url;
  }

  get wsUrl(): string {
    return this.gateway.url.replace(/^http/, 'ws');
  }

  subgraphUrl(name: SubgraphName): string {
    return this.processes.get(name)!.url;
  }

  /** Environment with the subgraph URLs, for a gateway (ours or the reference peer). */
  gatewayEnv(port: number): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...BENCH_ENV, DATABASE_URL: this.databaseUrl, HOST: '127.0.0.1', PORT: String(port) };
    for (const name of SUBGRAPH_NAMES) env[`SUBGRAPH_${name.toUpperCase()}_URL`] = this.subgraphUrl(name);
    return env;
  }

  /** Node options that profile process `name` when `--cpu-prof` asked for it (the profile is written when it exits). */
  private profilerArgs(name: string): string[] {
    const profiling = this.cpuProfiling;
    if (!profiling || !(profiling.names.includes('all') || profiling.names.includes(name))) return [];
    fs.mkdirSync(profiling.dir, { recursive: true });
    return ['--cpu-prof', `--cpu-prof-dir=${profiling.dir}`, `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`];
  }

  private spawnNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    const log = fs.openSync(path.join(this.logDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [...this.profilerArgs(name), script, ...args], { env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child.once('exit', (code, signal) => {
      if (!this.stopping && this.processes.get(name)?.child === child) {
        this.say(`${name} exited unexpectedly (${signal ?? code}); see ${path.join(this.logDir, `${name}.log`)}`);
      }
    });
    return child;
  }

  private async startProcesses(): Promise<void> {
    const startOne = path.join(projectRoot(), 'dist', 'scripts', 'start-one.js');
    const ports = new Map<string, number>();
    for (const name of [...SUBGRAPH_NAMES, 'gateway']) ports.set(name, await freePort());
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `http://127.0.0.1:${ports.get(name)}/graphql`]));
    const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...BENCH_ENV, DATABASE_URL: this.databaseUrl, HOST: '127.0.0.1' };
    for (const name of SUBGRAPH_NAMES) baseEnv[`SUBGRAPH_${name.toUpperCase()}_URL`] = urls[name];
    for (const key of Object.keys(baseEnv)) if (/_PORT$/.test(key)) delete baseEnv[key];

    const started = Date.now();
    const launch = (name: string, readyPath: string) => {
      const url = `http://127.0.0.1:${ports.get(name)}/graphql`;
      const start = {
        script: startOne,
        args: [name],
        env: { ...baseEnv, PORT: String(ports.get(name)) },
        readyUrl: url.replace(/\/graphql$/, readyPath),
      };
      const child = this.spawnNode(name, start.script, start.args, start.env);
      this.processes.set(name, { name, pid: child.pid!, url, child, start });
      return waitUntilReady(start.readyUrl, child, name);
    };
    await Promise.all(SUBGRAPH_NAMES.map((name) => launch(name, '/readyz')));
    await launch('gateway', '/healthz');
    this.say(`platform up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${SUBGRAPH_NAMES.join(', ')} and the gateway`);
  }

  /**
   * Starts another process next to the platform (the reference gateway, say); `probe` decides
   * when it is ready. Stop it with `stopProcess(name)`.
   */
  async spawnExtra(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    url: string,
    probe: () => Promise<boolean>,
  ): Promise<PlatformProcess> {
    const child = this.spawnNode(name, script, [], env);
    const entry = { name, pid: child.pid!, url, child, start: { script, args: [], env, readyUrl: url } };
    this.processes.set(name, entry);
    try {
      await waitUntilReady(url, child, name, 60_000, probe);
    } catch (error) {
      await this.stopProcess(name);
      throw error;
    }
    return entry;
  }

  /** Another of our gateways in front of the same subgraphs (`extraEnv` on top of the platform's), e.g. with a setting changed. */
  async spawnGateway(name: string, extraEnv: NodeJS.ProcessEnv): Promise<PlatformProcess> {
    const port = await freePort();
    const script = path.join(projectRoot(), 'dist', 'scripts', 'start-one.js');
    const env = { ...this.gatewayEnv(port), ...extraEnv };
    const url = `http://127.0.0.1:${port}/graphql`;
    const child = this.spawnNode(name, script, ['gateway'], env);
    const entry = {
      name,
      pid: child.pid!,
      url,
      child,
      start: { script, args: ['gateway'], env, readyUrl: url.replace(/\/graphql$/, '/healthz') },
    };
    this.processes.set(name, entry);
    try {
      await waitUntilReady(entry.start.readyUrl, child, name);
    } catch (error) {
      await this.stopProcess(name);
      throw error;
    }
    return entry;
  }

  /**
   * Stops a platform process and starts it again the same way (same port; `extraEnv` on top), e.g.
   * so a scenario measures memory from a fresh process rather than one shaped by the ones before.
   */
  async restartProcess(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const entry = this.processes.get(name);
    if (!entry || !entry.start.args.length) throw new Error(`${name} is not a platform process that can be restarted`);
    await this.stopProcess(name);
    const child = this.spawnNode(name, entry.start.script, entry.start.args, { ...entry.start.env, ...extraEnv });
    this.processes.set(name, { ...entry, pid: child.pid!, child });
    await waitUntilReady(entry.start.readyUrl, child, name);
  }

  async stopProcess(name: string): Promise<void> {
    const entry = this.processes.get(name);
    if (!entry) return;
    this.processes.delete(name);
    const { child } = entry;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  }

  /** PID of the PostgreSQL postmaster (first line of postmaster.pid). */
  postgresPid(): number | null {
    try {
      return Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  }

  /**
   * Memory of every process in bytes: RSS of each Node process, and for `postgres` the PSS of
   * the postmaster and all its backends added up (PSS shares shared buffers out fairly).
   */
  memory(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const [name, p] of this.processes) out[name] = rssBytes(p.pid);
    const postmaster = this.postgresPid();
    if (postmaster) {
      out.postgres = [postmaster, ...childPids(postmaster)].reduce((sum, pid) => sum + (pssBytes(pid) ?? 0), 0);
    }
    return out;
  }

  /** CPU milliseconds used so far by every process (PostgreSQL: postmaster and its current backends). */
  cpu(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const [name, p] of this.processes) out[name] = cpuMs(p.pid);
    const postmaster = this.postgresPid();
    // The live backends, plus the postmaster with every backend it has reaped: connections that
    // closed during a run (idle pool connections time out) keep counting.
    if (postmaster) out.postgres = childPids(postmaster).reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), cpuMs(postmaster, true) ?? 0);
    return out;
  }

  /** Processes that died although nobody stopped them. */
  deadProcesses(): string[] {
    return [...this.processes.values()].filter((p) => p.child.exitCode !== null || p.child.signalCode !== null).map((p) => p.name);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const names = [...this.processes.keys()];
    await Promise.all(
      names
        .filter((n) => n !== 'gateway')
        .filter((n) => !SUBGRAPH_NAMES.includes(n as SubgraphName))
        .map((n) => this.stopProcess(n)),
    );
    await this.stopProcess('gateway');
    await Promise.all(SUBGRAPH_NAMES.map((n) => this.stopProcess(n)));
    await this.database.stop().catch((error) => this.say(`PostgreSQL stop: ${(error as Error).message}`));
    fs.rmSync(this.tempDir, { recursive: true, force: true });
  }
}
