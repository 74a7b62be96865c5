import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../common/config';
import { projectRoot } from '../scripts/paths';
import { buildDist } from './helpers/build';

/**
 * A process started with bad settings stops before it does anything, with one message that names
 * every bad variable and what it must be — no stack trace — and a non-zero exit code.
 */
describe('a process started with an invalid configuration', () => {
  const root = projectRoot();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-config-'));

  beforeAll(async () => {
    await buildDist();
  }, 180_000);
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The environment of the test runner without any setting of the platform, plus `settings`. */
  function envWith(settings: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    return { ...env, ...settings };
  }

  function run(
    script: string,
    args: string[],
    settings: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', script), ...args], { cwd: root, env: envWith(settings) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$|\.js:\d+/m);

  it('the gateway names every bad variable and exits 1', async () => {
    const result = await run('start-one.js', ['gateway'], {
      GRAPHQL_MAX_DEPTH: 'deep',
      PLATFORM_RATE_LIMIT: '10 per minute',
      GATEWAY_PORT: '99999',
      LOG_LEVEL: 'chatty',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'gateway: invalid configuration (4 variables):',
      '  GATEWAY_PORT="99999": must be a whole number from 0 to 65535',
      '  GRAPHQL_MAX_DEPTH="deep": must be a whole number ≥ 1',
      '  LOG_LEVEL="chatty": must be one of fatal, error, warn, info, debug, trace, silent',
      '  PLATFORM_RATE_LIMIT="10 per minute": must look like `<requests>/<seconds>`, e.g. 600/60 (0/60 turns it off)',
    ]);
    expect(result.stdout).toBe('');
    noStackTrace(result.stderr);
  }, 60_000);

  it('a subgraph in production names its missing secrets without printing any value, and exits 1', async () => {
    const result = await run('start-one.js', ['provider'], {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://plangraph:hunter2-password@127.0.0.1:1/plangraph',
      ENCRYPTION_KEYS: 'k1:hunter2-not-a-key',
      SYNC_STUCK_SECONDS: '1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'provider: invalid configuration (3 variables):',
      '  ENCRYPTION_KEYS (value hidden): must be `id:<32 bytes in base64>` entries, comma-separated',
      '  GATEWAY_SHARED_SECRET: must be set when NODE_ENV=production',
      '  SYNC_STUCK_SECONDS="1": must be a whole number of seconds from 10 to 604800',
    ]);
    expect(result.stderr).not.toContain('hunter2');
    noStackTrace(result.stderr);
  }, 60_000);

  it('npm start checks every process it would start before it starts PostgreSQL', async () => {
    const pgDir = path.join(dataDir, 'pg');
    const result = await run('start-all.js', [], {
      PLANGRAPH_DATA_DIR: pgDir,
      EMBEDDED_PG_PORT: 'five',
      JOB_CONCURRENCY: '100',
      GRAPHQL_MAX_TOKENS: '0',
      PLAN_CHANGE_APPROVAL: 'sometimes',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      '[plangraph] npm start: invalid configuration (4 variables):',
      '  EMBEDDED_PG_PORT="five": must be a whole number from 1 to 65535',
      '  GRAPHQL_MAX_TOKENS="0": must be a whole number ≥ 1',
      '  JOB_CONCURRENCY="100": must be a whole number from 0 to 64',
      '  PLAN_CHANGE_APPROVAL="sometimes": must be one of off, required',
    ]);
    noStackTrace(result.stderr);
    // Nothing was started: no data directory, no child process.
    expect(fs.existsSync(pgDir)).toBe(false);
    expect(SUBGRAPH_NAMES.some((name) => result.stdout.includes(name))).toBe(false);
  }, 60_000);
});
