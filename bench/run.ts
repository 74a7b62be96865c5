import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../scripts/paths';
import { BenchPlatform } from './lib/platform';
import { mib } from './lib/proc';
import { seed } from './lib/seed';
import { table } from './lib/stats';
import type { BenchOptions, ScenarioResult } from './lib/types';
import { SCENARIOS } from './scenarios';

/**
 * `npm run bench [-- --only gateway-catalog,n-plus-one] [--duration 10] [--load-duration 60]
 * [--subscriptions 10000] [--load-heap-mib 256] [--cpu-prof gateway,apollo-gateway] [--quick]`: starts a fresh platform (embedded PostgreSQL in a temporary
 * directory, every subgraph and the gateway as child processes), seeds it through the gateway,
 * runs the scenarios and writes bench/results/latest.{json,md} and bench/results/runs/<time>.json.
 */
const say = (message: string) => process.stderr.write(`[bench] ${message}\n`);

const USAGE = `usage: npm run bench -- [--only <scenario,...>] [--duration <s>] [--load-duration <s>] [--subscriptions <n>] [--unshared-subscriptions] [--load-heap-mib <MiB>] [--cpu-prof <process,...|all>] [--development] [--quick]
scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`;

export function parseArgs(argv: string[]): { options: BenchOptions; only: string[] | null } {
  let duration: number | null = null;
  let loadSeconds: number | null = null;
  let subscriptions: number | null = null;
  let loadHeapMiB: number | null = null;
  let unsharedSubscriptions = false;
  let quick = false;
  let cpuProf: string[] = [];
  // As deployed (the Dockerfile, compose file and Kubernetes manifests set NODE_ENV=production); `--development` to compare.
  let production = true;
  let only: string[] | null = null;
  const number = (flag: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number ≥ ${min}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--only': {
        const value = argv[++i];
        if (!value) throw new Error(`--only needs scenario names\n${USAGE}`);
        only = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
        if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
        break;
      }
      case '--duration':
        duration = number(flag, argv[++i], 1);
        break;
      case '--load-duration':
        loadSeconds = number(flag, argv[++i], 5);
        break;
      case '--subscriptions':
        subscriptions = Math.floor(number(flag, argv[++i], 10));
        break;
      case '--load-heap-mib':
        loadHeapMiB = Math.floor(number(flag, argv[++i], 64));
        break;
      case '--unshared-subscriptions':
        unsharedSubscriptions = true;
        break;
      case '--cpu-prof': {
        const value = argv[++i];
        if (!value) throw new Error(`--cpu-prof needs process names (gateway, apollo-gateway, products, …) or all\n${USAGE}`);
        cpuProf = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      }
      case '--production':
        production = true;
        break;
      case '--development':
        production = false;
        break;
      case '--quick':
        quick = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return {
    options: {
      durationSeconds: duration ?? (quick ? 2 : 10),
      loadSeconds: loadSeconds ?? (quick ? 15 : 60),
      subscriptions: subscriptions ?? (quick ? 1000 : 10_000),
      loadHeapMiB,
      unsharedSubscriptions,
      quick,
      cpuProf,
      production,
    },
    only,
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

/** 1-minute load average: above ~1 on this 2-core machine something else competes for the CPU. */
const loadAverage = () => Math.round(os.loadavg()[0] * 100) / 100;

interface ScenarioRecord {
  name: string;
  description: string;
  seconds: number;
  result?: ScenarioResult;
  error?: string;
}

function markdown(report: {
  startedAt: string;
  machine: ReturnType<typeof machine>;
  loadAverage: { atStart: number; atEnd: number };
  commit: string | null;
  dirty: boolean;
  options: BenchOptions;
  scenarios: ScenarioRecord[];
  memoryEnd: Record<string, number | null>;
}): string {
  const m = report.machine;
  const lines = [
    '# Benchmark results (latest run)',
    '',
    `Run ${report.startedAt} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; commit ${report.commit ?? 'unknown'}${report.dirty ? ' with uncommitted changes' : ''}.`,
    `Options: ${report.options.durationSeconds} s per autocannon run, load ${report.options.loadSeconds} s${report.options.loadHeapMiB ? ` with a ${report.options.loadHeapMiB} MiB old-space limit` : ''}, ${report.options.subscriptions} subscriptions${report.options.unsharedSubscriptions ? ' (unshared)' : ''}${report.options.quick ? ', --quick' : ''}${report.options.production ? ', production mode (NODE_ENV=production)' : ', development mode'}.`,
    `Every process runs on this one machine, so figures are noisy (±25 % between runs): compare figures of the same run. Load average (1 min) before the run ${report.loadAverage.atStart}, after ${report.loadAverage.atEnd}.`,
    '',
  ];
  const targets = report.scenarios.flatMap((s) => (s.result?.targets ?? []).map((t) => ({ scenario: s.name, ...t })));
  if (targets.length) {
    const met = targets.filter((t) => t.met).length;
    lines.push(
      '## Targets',
      '',
      `${met} of ${targets.length} targets met in this run.`,
      '',
      table(
        ['scenario', 'figure', 'target', 'this run', 'met'],
        targets.map((t) => [t.scenario, t.figure, t.target, t.value, t.met ? 'yes' : '**no**']),
      ),
      '',
    );
  }
  for (const s of report.scenarios) {
    lines.push(`## ${s.name}`, '', s.description, '');
    if (s.error) lines.push(`**Failed:** ${s.error}`, '');
    if (s.result) {
      lines.push(s.result.markdown, '');
      if (s.result.warnings.length) lines.push('**Warnings:**', ...s.result.warnings.map((w) => `- ${w}`), '');
    }
    lines.push(`_(${s.seconds.toFixed(0)} s)_`, '');
  }
  lines.push(
    '## Process memory at the end',
    '',
    table(
      ['process', 'MiB'],
      Object.entries(report.memoryEnd).map(([name, bytes]) => [name, mib(bytes)]),
    ),
    '',
  );
  lines.push('Node processes: RSS; postgres: PSS of the postmaster and all backends added up.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { options, only } = parseArgs(process.argv.slice(2));
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  const startedAt = new Date().toISOString();
  const loadAtStart = loadAverage();
  if (loadAtStart > 1) say(`the machine is busy (load average ${loadAtStart}): figures will be lower and noisier than usual`);
  const stamp = startedAt.replace(/[:.]/g, '-');
  const resultsDir = path.join(projectRoot(), 'bench', 'results');
  const runsDir = path.join(resultsDir, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  const logDir = path.join(runsDir, `${stamp}-logs`);

  say(`scenarios: ${scenarios.map((s) => s.name).join(', ')}; process logs in ${path.relative(projectRoot(), logDir)}`);
  if (options.production) {
    // Production mode for this process and, through its environment, every platform process (and
    // the reference gateway): the production code paths (graphql-js without its development
    // checks, signatures required), with secrets of this run instead of the public development ones.
    Object.assign(process.env, {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      GATEWAY_SHARED_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    });
    say('production mode: NODE_ENV=production, secrets made up for this run');
  }
  const profileDir = path.join(runsDir, `${stamp}-profiles`);
  const platform = await BenchPlatform.start({
    logDir,
    log: say,
    cpuProfiling: options.cpuProf.length ? { names: options.cpuProf, dir: profileDir } : null,
  });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say('interrupted: stopping the platform');
    platform.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const records: ScenarioRecord[] = [];
  let memoryStart: Record<string, number | null>;
  let memoryEnd: Record<string, number | null>;
  try {
    const seeded = Date.now();
    const data = await seed(platform.gatewayUrl);
    say(`seeded the catalog (20 products × 4 plans) and the viewer's organization in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    memoryStart = platform.memory();
    for (const scenario of scenarios) {
      say(`scenario ${scenario.name}`);
      const began = Date.now();
      const record: ScenarioRecord = { name: scenario.name, description: scenario.description, seconds: 0 };
      try {
        record.result = await scenario.run({ platform, seed: data, options, log: say });
        for (const warning of record.result.warnings) say(`  warning: ${warning}`);
      } catch (error) {
        record.error = (error as Error).stack ?? String(error);
        say(`  failed: ${record.error}`);
      }
      record.seconds = (Date.now() - began) / 1000;
      records.push(record);
      const dead = platform.deadProcesses();
      if (dead.length) throw new Error(`platform processes died: ${dead.join(', ')} (logs in ${logDir})`);
    }
    memoryEnd = platform.memory();
  } finally {
    await platform.stop();
  }

  // BENCH_GIT_COMMIT names the commit when the tree is an export without .git (git archive).
  const commit = git(['rev-parse', 'HEAD']) ?? process.env.BENCH_GIT_COMMIT ?? null;
  const dirty = Boolean(git(['status', '--porcelain']));
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machine(),
    loadAverage: { atStart: loadAtStart, atEnd: loadAverage() },
    commit,
    dirty,
    options,
    memoryStart,
    memoryEnd,
    scenarios: records,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(path.join(runsDir, `${stamp}.json`), json);
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), json);
  fs.writeFileSync(path.join(resultsDir, 'latest.md'), markdown(report));
  say(`wrote bench/results/latest.md, bench/results/latest.json and bench/results/runs/${stamp}.json`);
  if (options.cpuProf.length)
    say(
      `CPU profiles in ${path.relative(projectRoot(), profileDir)}; summarise one with node dist-tools/bench/profile.js <file> --results bench/results/runs/${stamp}.json --runs hive1,hive2`,
    );
  if (records.some((r) => r.error)) process.exitCode = 1;
}

main().catch((error) => {
  say(`failed: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
