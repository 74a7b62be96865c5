import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { checkAll, ConfigError, gatewayConfig, processConfig, processEnv, SUBGRAPH_NAMES, subgraphConfig } from '../common/config';
import { projectRoot } from './paths';
import { startPortalServer } from './portal-server';
import { SUBGRAPHS } from './subgraphs';

/**
 * `npm start`: embedded PostgreSQL (unless DATABASE_URL is set), every subgraph and the gateway
 * as child processes, each on its default port. Ctrl-C stops them all, PostgreSQL last.
 */
const say = (message: string) => process.stdout.write(`[plangraph] ${message}\n`);

async function waitFor(url: string, deadlineMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (performance.now() < deadline) {
    if (!isAlive()) throw new Error(`process for ${url} exited`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready within ${deadlineMs / 1000} s`);
}

const root = projectRoot();
let database: ChildProcess | null = null;
const children = new Map<string, ChildProcess>();
let stopping = false;
let stopPortal: (() => Promise<void>) | null = null;

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await stopPortal?.().catch(() => undefined);
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  const db = database;
  if (db && db.exitCode === null && db.signalCode === null) {
    await new Promise<void>((resolve) => {
      db.once('exit', () => resolve());
      db.send('stop');
      setTimeout(() => db.kill('SIGTERM'), 20_000).unref();
    });
  }
  say('stopped');
  process.exit(code);
}

/** Starts the embedded PostgreSQL in its own process group (see database-process.ts). */
function startDatabase(dataDir: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'database-process.js'), dataDir, String(port)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    database = child;
    child.once('message', (message: { ready?: boolean; url?: string }) => {
      if (message?.ready && message.url) resolve(message.url);
    });
    child.once('exit', (code) => {
      if (!stopping) {
        reject(new Error(`embedded PostgreSQL exited (${code})`));
        if (children.size) {
          say('embedded PostgreSQL exited; stopping the platform');
          void stopAll(1);
        }
      }
    });
  });
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const processes = processEnv();
  // Its own settings and its children's, before anything starts: one message names every bad
  // variable, instead of a child exiting after PostgreSQL has started.
  checkAll('npm start', [
    () => processConfig('npm start', processes),
    () => gatewayConfig(processes),
    ...SUBGRAPH_NAMES.map((name) => () => subgraphConfig(name, processes)),
  ]);
  const settings = processConfig('npm start', processes);
  const config = settings.startAll;
  const { ports } = config;

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const port = config.embeddedPort;
    const dataDir = config.dataDir ? path.resolve(config.dataDir) : path.join(root, '.data', 'postgres');
    databaseUrl = await startDatabase(dataDir, port);
    say(`embedded PostgreSQL on 127.0.0.1:${port} (data in ${path.relative(root, dataDir) || dataDir})`);
  } else {
    say('using DATABASE_URL');
  }

  const host = config.host;
  const local = host === '0.0.0.0' ? '127.0.0.1' : host;
  const env: NodeJS.ProcessEnv = { ...processes, DATABASE_URL: databaseUrl, HOST: host };
  for (const name of SUBGRAPH_NAMES) {
    env[`SUBGRAPH_${name.toUpperCase()}_URL`] ??= `http://${local}:${ports[name]}/graphql`;
  }
  const spawnProcess = (name: string) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'start-one.js'), name], {
      env: { ...env, PORT: String(ports[name as keyof typeof ports]) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(name, child);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        say(`${name} exited (${signal ?? code}); stopping the platform`);
        void stopAll(1);
      }
    });
    return child;
  };

  const started = Object.keys(SUBGRAPHS);
  for (const name of started) spawnProcess(name);
  await Promise.all(
    started.map((name) => {
      const child = children.get(name)!;
      return waitFor(`http://${local}:${ports[name as keyof typeof ports]}/readyz`, 90_000, () => child.exitCode === null);
    }),
  );
  const gateway = spawnProcess('gateway');
  const gatewayPort = ports.gateway;
  await waitFor(`http://${local}:${gatewayPort}/healthz`, 60_000, () => gateway.exitCode === null);
  say(`ready: ${started.length} subgraphs and the gateway`);
  say(`GraphiQL: http://localhost:${gatewayPort}/graphql`);
  const portalSettings = settings.portal;
  const portal = await startPortalServer({
    host,
    port: portalSettings.port,
    gatewayUrl: portalSettings.gatewayUrl ?? `http://localhost:${gatewayPort}/graphql`,
    oidc: portalSettings.oidc,
    devTokens:
      portalSettings.devSignIn && settings.jwtKeys.secret
        ? { secret: settings.jwtKeys.secret, issuer: settings.jwtKeys.issuer, audience: settings.jwtKeys.audience }
        : null,
    rolesClaim: portalSettings.rolesClaim,
  });
  stopPortal = portal.stop;
  say(`Portal: http://localhost:${new URL(portal.url).port}/`);
  say('press Ctrl-C to stop');
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    // Nothing has started yet: the message names every bad variable, a stack trace would only hide it.
    process.stderr.write(`[plangraph] ${error.message}\n`);
    process.exit(1);
  }
  say(`failed to start: ${(error as Error).stack ?? error}`);
  void stopAll(1);
});
