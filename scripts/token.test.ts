import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { jwtConfig } from '../common/config';
import { projectRoot } from './paths';
import { signDevToken } from '../test/kit/token';
import { parseTokenArgs } from './token-cli.cjs';

const run = promisify(execFile);
const root = projectRoot();
const CLI = path.join(root, 'scripts', 'token-cli.cjs');

/** The environment of a command: no JWT settings but the given ones. */
function envWith(settings: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'NODE_ENV']) delete env[name];
  return { ...env, ...settings };
}

/** Runs the CLI with node; resolves with its stdout, or its stderr and exit code when it fails. */
async function cli(args: string[], settings: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: envWith(settings), timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

/** Verifies a token as the gateway would with the same environment (HS256, issuer, audience). */
function verifyLikeGateway(token: string, settings: NodeJS.ProcessEnv): jwt.JwtPayload {
  const config = jwtConfig(envWith(settings));
  return jwt.verify(token, config.secret!, {
    algorithms: ['HS256'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  }) as jwt.JwtPayload;
}

describe('npm run token', () => {
  it('builds claims from flags', () => {
    const { claims, ttl } = parseTokenArgs([
      '--sub',
      'alice',
      '--roles',
      'portal_admin,service',
      '--email',
      'a@example.com',
      '--mfa',
      '--ttl',
      '600',
      '--claim',
      'tenant=a=b',
    ]);
    expect(claims).toEqual({
      sub: 'alice',
      roles: ['portal_admin', 'service'],
      email: 'a@example.com',
      amr: ['pwd', 'mfa'],
      tenant: 'a=b',
    });
    expect(ttl).toBe(600);
  });

  it('rejects unknown flags and missing values', () => {
    expect(() => parseTokenArgs(['--nope'])).toThrow(/unknown option/);
    expect(() => parseTokenArgs(['--sub'])).toThrow(/needs a value/);
    expect(() => parseTokenArgs(['--ttl', '-5'])).toThrow(/positive/);
  });

  it('runs as the README shows, without a build, and prints a token the gateway accepts', async () => {
    // Only the files the command may need, beside the installed packages: a script that
    // compiled the TypeScript first would fail here (no sources, no tsconfig).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-token-'));
    try {
      fs.mkdirSync(path.join(dir, 'scripts'));
      fs.mkdirSync(path.join(dir, 'common'));
      fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      fs.copyFileSync(CLI, path.join(dir, 'scripts', 'token-cli.cjs'));
      fs.copyFileSync(path.join(root, 'common', 'development-secrets.json'), path.join(dir, 'common', 'development-secrets.json'));
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');

      const started = Date.now();
      const { stdout } = await run('npm', ['run', '--silent', 'token', '--', '--sub', 'alice', '--roles', 'portal_admin'], {
        cwd: dir,
        env: envWith({}),
        timeout: 30_000,
      });
      const elapsed = Date.now() - started;
      const token = stdout.trim();
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(verifyLikeGateway(token, {})).toMatchObject({ sub: 'alice', roles: ['portal_admin'] });
      // A full TypeScript build takes several seconds; this is node starting once (generous
      // bound for a busy machine).
      expect(elapsed).toBeLessThan(5000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['the development secret', {}],
    ['JWT_SECRET', { JWT_SECRET: 'test-secret' }],
    ['JWT_SECRET, issuer and audience', { JWT_SECRET: 'test-secret', JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'plangraph' }],
    ['JWT_SECRET in production', { JWT_SECRET: 'prod-secret', NODE_ENV: 'production' }],
  ])('signs with %s exactly as the TypeScript signer and the gateway settings do', async (_label, settings) => {
    const { stdout, code } = await cli(['--sub', 'bob', '--ttl', '600'], settings);
    expect(code).toBe(0);
    const fromCli = verifyLikeGateway(stdout.trim(), settings);
    const fromTs = verifyLikeGateway(signDevToken({ sub: 'bob', roles: [] }, 600, envWith(settings)), settings);
    expect(fromCli.exp! - fromCli.iat!).toBe(600);
    const { iat: _a, exp: _b, ...cliClaims } = fromCli;
    const { iat: _c, exp: _d, ...tsClaims } = fromTs;
    expect(cliClaims).toEqual(tsClaims);
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['production without JWT_SECRET', { NODE_ENV: 'production' }],
    ['a JWKS setup without JWT_SECRET', { JWT_JWKS_URL: 'https://id.example.com/jwks.json' }],
  ])('refuses %s with the message the TypeScript signer gives', async (_label, settings) => {
    const { stdout, stderr, code } = await cli(['--sub', 'bob'], settings);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    let expected = '';
    try {
      signDevToken({ sub: 'bob' }, 600, envWith(settings));
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(expected).not.toBe('');
    expect(stderr.trim()).toBe(expected);
  });

  it('fails with exit code 2 and a usage hint on a bad flag', async () => {
    const { stdout, stderr, code } = await cli(['--sub', 'alice', '--role', 'portal_admin']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/unknown option --role .*--roles/);
  });
});
