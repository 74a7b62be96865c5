/**
 * `npm run plangraph` as people run it: the built command (`dist/scripts/plangraph-cli.js`, what
 * the npm script starts after its build) in a process of its own against a platform. stdout holds
 * the catalogue and nothing else, so `> catalog.yaml` captures a file that applies as it is; exit
 * codes are 0, 1 and 2 as documented; the token never appears in any output.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDist } from './helpers/build';
import { portalAdmin, tokenFor } from './helpers/graphql';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { Seed } from './kit/seed';

jest.setTimeout(120_000);

let platform: TestPlatform;
let dist: string;
const admin = portalAdmin('catalog-cli-admin');
const token = tokenFor(admin);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(dist, 'scripts', 'plangraph-cli.js'), ...args],
      { env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  [platform, dist] = await Promise.all([startPlatform(), buildDist()]);
  const seed = new Seed(platform.gatewayUrl, admin);
  const catalogId = await seed.catalog({ name: 'Everyone' });
  await seed.product({ slug: 'maps', catalogIds: [catalogId] });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('export > file, then diff and apply that file; exit codes 0, 1, 2; the token is never printed', async () => {
  const env = { PLANGRAPH_URL: platform.gatewayUrl, PLANGRAPH_TOKEN: token };
  const exported = await run(['export'], env);
  expect(exported.code).toBe(0);
  expect(
    exported.stdout.startsWith('# yaml-language-server: $schema=./schema/catalog.schema.json\nversion: 1\nproducts:\n  - slug: maps\n'),
  ).toBe(true);
  expect(exported.stderr).toBe('note: catalog `Everyone` → key `everyone` (derived from its name; apply sets it)\n');
  const file = path.join(dir, 'catalog.yaml');
  fs.writeFileSync(file, exported.stdout);

  // Made by hand: the first apply adopts both (key and label), which diff shows as updates.
  const diff = await run(['diff', file], env);
  expect(diff).toEqual({
    code: 1,
    stdout: '~ product maps: managedBy\n~ catalog everyone: key, managedBy\ncreated 0, updated 2, deleted 0\n',
    stderr: '',
  });
  expect(await run(['apply', file], env)).toEqual({
    code: 0,
    stdout: '~ product maps: managedBy\n~ catalog everyone: key, managedBy\ncreated 0, updated 2, deleted 0, proposed 0\n',
    stderr: '',
  });
  expect(await run(['diff', file], env)).toEqual({ code: 0, stdout: 'created 0, updated 0, deleted 0\n', stderr: '' });
  const again = await run(['export', '--output', path.join(dir, 'again.yaml')], env);
  expect(again).toEqual({ code: 0, stdout: '', stderr: `wrote ${path.join(dir, 'again.yaml')}\n` });
  expect(fs.readFileSync(path.join(dir, 'again.yaml'), 'utf8')).toBe(exported.stdout);

  const refused = await run(['export'], { ...env, PLANGRAPH_TOKEN: 'not-a-token' });
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(/^error: /);
  expect(refused.stderr).not.toContain('not-a-token');

  const unset = await run(['export'], {});
  expect(unset.code).toBe(2);
  expect(unset.stderr).toContain('PLANGRAPH_URL: must be set');
  expect((await run(['apply'], env)).code).toBe(2);
  for (const output of [exported, diff, refused, unset]) expect(output.stdout + output.stderr).not.toContain(token);
});
