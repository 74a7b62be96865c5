import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Starts test/oidc/server.mjs (oidc-provider, which is ESM-only) as a child process and waits
 * for its issuer URL. `stop()` ends that child (by its own pid) and waits for it to exit.
 */
export interface TestOpenIdProvider {
  issuer: string;
  initialAccessToken: string;
  stop(): Promise<void>;
}

export async function startOpenIdProvider(options: {
  scopes: string[];
  initialAccessToken: string;
  resource?: string;
  timeoutMs?: number;
}): Promise<TestOpenIdProvider> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'server.mjs')], {
    env: {
      ...process.env,
      OIDC_INITIAL_ACCESS_TOKEN: options.initialAccessToken,
      OIDC_SCOPES: options.scopes.join(' '),
      OIDC_RESOURCE: options.resource ?? 'https://api.plangraph.test',
      DEBUG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)).slice(-4000));
  const issuer = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the OpenID provider did not start in time: ${stderr}`)), options.timeoutMs ?? 20_000);
    child.stdout!.on('data', (chunk) => {
      buffered += String(chunk);
      const line = buffered.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line).issuer);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the OpenID provider exited with ${code}: ${stderr}`));
    });
  });
  return {
    issuer,
    initialAccessToken: options.initialAccessToken,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
