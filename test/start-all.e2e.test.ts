import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../common/config';
import { projectRoot } from '../scripts/paths';
import { gatewayRequest, portalAdmin } from './helpers/graphql';
import { freePort } from './helpers/ports';
import { testDatabaseUrl, unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { buildDist } from './helpers/build';

/**
 * `npm start` as a newcomer runs it: embedded PostgreSQL in a data directory, every subgraph
 * and the gateway as child processes, Ctrl-C (SIGINT to the process group) stops them all.
 */
describe('npm start (dist/scripts/start-all.js)', () => {
  const root = projectRoot();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-start-'));
  // PostgreSQL runs as the `postgres` user when the tests run as root.
  fs.chmodSync(dataDir, 0o755);
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await buildDist();
    env = { ...process.env, PLANGRAPH_DATA_DIR: path.join(dataDir, 'pg'), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.PORT;
    for (const name of [...SUBGRAPH_NAMES, 'gateway', 'portal']) env[`${name.toUpperCase()}_PORT`] = String(await freePort());
    delete env.PORTAL_GATEWAY_URL;
    for (const name of SUBGRAPH_NAMES) delete env[`SUBGRAPH_${name.toUpperCase()}_URL`];
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Waits for the GraphiQL line; fails at once if the platform exits first. */
  function graphiqlUrl(run: { child: ChildProcess; output: () => string }): Promise<string> {
    return waitFor(
      () => {
        const url = /GraphiQL: (http:\/\/localhost:\d+\/graphql)/.exec(run.output())?.[1];
        if (!url && run.child.exitCode !== null) throw new Error(`npm start exited: ${run.output().slice(-2000)}`);
        return url;
      },
      { timeoutMs: 90_000, what: 'the GraphiQL line' },
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\n--- output ---\n${run.output().slice(-2000)}`);
    });
  }

  function start(extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
    let output = '';
    const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'start-all.js')], {
      cwd: root,
      env: { ...env, ...extraEnv },
      detached: true,
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    return { child, output: () => output };
  }

  async function ctrlC(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(-child.pid!, 'SIGINT');
    return exited;
  }

  function processesUsing(dir: string): string[] {
    try {
      return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  it('starts everything, keeps data across restarts, and Ctrl-C stops every process', async () => {
    const first = start();
    const url = await graphiqlUrl(first);
    expect(url).toBe(`http://localhost:${env.GATEWAY_PORT}/graphql`);
    const slug = unique('persist');
    const fixtures = new Fixtures(url, portalAdmin());
    await fixtures.product({ slug, catalogIds: [await fixtures.catalog()] });
    expect(await ctrlC(first.child)).toBe(0);
    expect(first.output()).toContain('stopped');
    await waitFor(() => processesUsing(dataDir).length === 0, { what: 'every process to exit' });

    const second = start();
    const again = await graphiqlUrl(second);
    const read = await gatewayRequest(again, `query($s: String) { product(slug: $s) { slug } }`, { s: slug }, null);
    expect(read.data.product).toEqual({ slug });
    expect(await ctrlC(second.child)).toBe(0);
    await waitFor(() => processesUsing(dataDir).length === 0, { what: 'every process to exit' });
  }, 240_000);

  it('uses an external PostgreSQL when DATABASE_URL is set, starting no embedded server', async () => {
    const run = start({ DATABASE_URL: testDatabaseUrl(), PLANGRAPH_DATA_DIR: path.join(dataDir, 'unused') });
    const url = await graphiqlUrl(run);
    expect(run.output()).toContain('using DATABASE_URL');
    const r = await gatewayRequest(url, '{ products(first: 1) { pageInfo { hasNextPage } } }', {}, null);
    expect(r.errors).toBeUndefined();
    expect(fs.existsSync(path.join(dataDir, 'unused'))).toBe(false);
    // The reference portal's server, beside GraphiQL, tells the portal where the gateway is.
    const portal = await waitFor(() => /Portal: (http:\/\/localhost:\d+\/)/.exec(run.output())?.[1], { what: 'the Portal line' });
    expect(portal).toBe(`http://localhost:${env.PORTAL_PORT}/`);
    const config = await (await fetch(`${portal}config.json`)).json();
    expect(config).toMatchObject({ gatewayUrl: url, gatewayWsUrl: url.replace(/^http/, 'ws'), devSignIn: true });
    expect(await ctrlC(run.child)).toBe(0);
  }, 120_000);
});
