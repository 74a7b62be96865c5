import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../scripts/paths';
import { waitFor } from './wait';

/**
 * Builds `dist/` (tsc, incremental, without type checking) for suites that run the platform as real child processes.
 * Suites run in parallel workers: a lock directory makes one build at a time, and the
 * incremental build makes the second one nearly free; once it has succeeded in a run, the other
 * suites of the run skip it (the sources do not change during a run; a marker in the run's scratch
 * directory, `PLANGRAPH_TEST_RUN_DIR`, says so).
 */
export async function buildDist(): Promise<string> {
  const root = projectRoot();
  const dist = path.join(root, 'dist');
  fs.mkdirSync(dist, { recursive: true });
  const built = process.env.PLANGRAPH_TEST_RUN_DIR ? path.join(process.env.PLANGRAPH_TEST_RUN_DIR, 'dist-built') : null;
  if (built && fs.existsSync(built)) return dist;
  const lock = path.join(dist, '.build-lock');
  await waitFor(
    () => {
      try {
        fs.mkdirSync(lock);
        return true;
      } catch {
        // A lock left by a killed build is broken after two minutes.
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 120_000) fs.rmSync(lock, { recursive: true, force: true });
        return false;
      }
    },
    { timeoutMs: 180_000, intervalMs: 250, what: 'the dist build lock' },
  );
  try {
    if (built && fs.existsSync(built)) return dist;
    // `--noCheck`: emit only. `npm test` type-checks the whole project before Jest starts, and the
    // emitted files are the same (a type-checked build took 2.6 times the CPU: 26 s against 10 s).
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noCheck'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    if (built) fs.writeFileSync(built, '');
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`the build failed:\n${String(output.stdout ?? '')}${String(output.stderr ?? '')}`, { cause: error });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  return dist;
}
