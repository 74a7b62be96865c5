import fs from 'node:fs';
import path from 'node:path';
import { table } from './lib/stats';

/**
 * `node dist-tools/bench/profile.js <file.cpuprofile> [--results <run.json> --runs hive1,hive2] [--top 25]`
 *
 * Summarises a V8 CPU profile written by `npm run bench -- --cpu-prof <process>`: where the
 * process's CPU went, by package (self time) and by function (self and inclusive time). With
 * `--results` (a `bench/results/runs/<time>.json`) and `--runs` (keys of autocannon runs in it,
 * e.g. `hive1,hive2` of `gateway-catalog`), only the samples taken during those runs count, and
 * every figure is also given in milliseconds per request of those runs.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Window {
  fromUs: number;
  toUs: number;
}

export interface ProfileSummary {
  /** Milliseconds of samples in the windows, idle included. */
  sampledMs: number;
  idleMs: number;
  /** Milliseconds the process was busy (not idle) in the windows. */
  busyMs: number;
  /** Self milliseconds by package or part of the runtime. */
  selfByPackage: Map<string, number>;
  /** Milliseconds during which the package was anywhere on the stack. */
  inclusiveByPackage: Map<string, number>;
  selfByFunction: Map<string, number>;
  inclusiveByFunction: Map<string, number>;
}

/** What a script belongs to: an npm package, a file of this project, a part of Node or V8. */
export function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) {
    if (frame.functionName === '(garbage collector)') return '(garbage collector)';
    if (frame.functionName === '(idle)') return '(idle)';
    if (frame.functionName === '(program)') return '(program: V8 and native code)';
    return '(native)';
  }
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    const name = parts[0] === 'internal' ? (parts[1] ?? 'internal') : parts[0];
    return `node:${name}`;
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.search(/\/dist(-tools)?\//);
  if (dist >= 0) return `plangraph ${url.slice(dist + 1).replace(/^dist(-tools)?\//, '')}`;
  return url;
}

function functionKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const file = frame.url.includes('/node_modules/')
    ? frame.url.slice(frame.url.lastIndexOf('/node_modules/') + '/node_modules/'.length)
    : frame.url.replace(/^file:\/\//, '').replace(/^.*\/dist(-tools)?\//, '');
  return `${name} ${file}:${frame.lineNumber + 1}`;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** Sums the profile's samples (those inside `windows`, when given) by package and by function. */
export function summariseProfile(profile: CpuProfile, windows: Window[] | null): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const summary: ProfileSummary = {
    sampledMs: 0,
    idleMs: 0,
    busyMs: 0,
    selfByPackage: new Map(),
    inclusiveByPackage: new Map(),
    selfByFunction: new Map(),
    inclusiveByFunction: new Map(),
  };
  // A sample stands for the time until the next one (V8 records the delta before each sample).
  let time = profile.startTime;
  const times = profile.timeDeltas.map((delta) => (time += delta));
  const stacks = new Map<number, { packages: string[]; functions: string[] }>();
  for (let i = 0; i < profile.samples.length; i++) {
    const at = times[i];
    if (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs)) continue;
    const ms = ((i + 1 < times.length ? times[i + 1] : profile.endTime) - at) / 1000;
    if (ms <= 0) continue;
    const id = profile.samples[i];
    const node = byId.get(id);
    if (!node) continue;
    summary.sampledMs += ms;
    const pkg = packageOf(node.callFrame);
    if (pkg === '(idle)') {
      summary.idleMs += ms;
      continue;
    }
    summary.busyMs += ms;
    add(summary.selfByPackage, pkg, ms);
    add(summary.selfByFunction, functionKey(node.callFrame), ms);
    let stack = stacks.get(id);
    if (!stack) {
      const packages = new Set<string>();
      const functions = new Set<string>();
      for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
        const frame = byId.get(current)!.callFrame;
        if (frame.functionName === '(root)') continue;
        packages.add(packageOf(frame));
        functions.add(functionKey(frame));
      }
      stack = { packages: [...packages], functions: [...functions] };
      stacks.set(id, stack);
    }
    for (const p of stack.packages) add(summary.inclusiveByPackage, p, ms);
    for (const f of stack.functions) add(summary.inclusiveByFunction, f, ms);
  }
  return summary;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Markdown tables of a summary; `requests` turns milliseconds into milliseconds per request. */
export function profileMarkdown(summary: ProfileSummary, options: { top: number; requests: number | null }): string {
  const { top, requests } = options;
  const perRequest = (ms: number) => (requests ? round(ms / requests, 3) : '–');
  const share = (ms: number) => `${round((100 * ms) / (summary.busyMs || 1), 1)} %`;
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, ms]) => [key, round(ms, 0), share(ms), perRequest(ms)]);
  return [
    `Busy ${round(summary.busyMs, 0)} ms of ${round(summary.sampledMs, 0)} ms sampled${requests ? ` over ${requests} requests: **${perRequest(summary.busyMs)} ms per request**` : ''}.`,
    '',
    '### Self time by package',
    '',
    table(['package', 'ms', 'share of busy', 'ms/request'], rows(summary.selfByPackage)),
    '',
    '### Inclusive time by package (on the stack)',
    '',
    table(['package', 'ms', 'share of busy', 'ms/request'], rows(summary.inclusiveByPackage)),
    '',
    '### Self time by function',
    '',
    table(['function', 'ms', 'share of busy', 'ms/request'], rows(summary.selfByFunction)),
    '',
    '### Inclusive time by function',
    '',
    table(['function', 'ms', 'share of busy', 'ms/request'], rows(summary.inclusiveByFunction)),
    '',
  ].join('\n');
}

/** The autocannon runs named `keys` anywhere in a results file (objects with a `window`). */
function runsIn(results: unknown, keys: string[]): { key: string; requests: number; window: Window }[] {
  const found: { key: string; requests: number; window: Window }[] = [];
  const walk = (value: unknown) => {
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      const run = inner as { window?: Window; requests?: number } | null;
      if (keys.includes(key) && run?.window && typeof run.requests === 'number')
        found.push({ key, requests: run.requests, window: run.window });
      else walk(inner);
    }
  };
  walk(results);
  return found;
}

function main(argv: string[]): void {
  const usage = 'usage: node dist-tools/bench/profile.js <file.cpuprofile> [--results <run.json> --runs <key,...>] [--top <n>]';
  let file: string | null = null;
  let resultsFile: string | null = null;
  let keys: string[] = [];
  let top = 25;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--results') resultsFile = argv[++i];
    else if (arg === '--runs') keys = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--top') top = Number(argv[++i]);
    else if (!arg.startsWith('--') && !file) file = arg;
    else throw new Error(usage);
  }
  if (!file || !Number.isInteger(top) || top < 1 || Boolean(resultsFile) !== keys.length > 0) throw new Error(usage);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  let windows: Window[] | null = null;
  let requests: number | null = null;
  if (resultsFile) {
    const runs = runsIn(JSON.parse(fs.readFileSync(resultsFile, 'utf8')), keys);
    const missing = keys.filter((k) => !runs.some((r) => r.key === k));
    if (missing.length) throw new Error(`no run ${missing.join(', ')} with a window in ${resultsFile}`);
    windows = runs.map((r) => r.window);
    requests = runs.reduce((sum, r) => sum + r.requests, 0);
  }
  const summary = summariseProfile(profile, windows);
  process.stdout.write(`# CPU profile ${path.basename(file)}${keys.length ? ` during runs ${keys.join(', ')}` : ''}\n\n`);
  process.stdout.write(profileMarkdown(summary, { top, requests }));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
