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

/** A public browser client (authorization code with PKCE), as test/oidc/server.mjs registers it. */
export interface BrowserClient {
  client_id: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
}

export async function startOpenIdProvider(options: {
  scopes: string[];
  initialAccessToken: string;
  resource?: string;
  /** A browser client whose people sign in with the provider's development login form. */
  browserClient?: BrowserClient;
  /** Roles the access tokens of these logins carry (in `rolesClaim`). */
  accountRoles?: Record<string, string[]>;
  rolesClaim?: string;
  timeoutMs?: number;
}): Promise<TestOpenIdProvider> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'server.mjs')], {
    env: {
      ...process.env,
      OIDC_INITIAL_ACCESS_TOKEN: options.initialAccessToken,
      OIDC_SCOPES: options.scopes.join(' '),
      OIDC_RESOURCE: options.resource ?? 'https://api.plangraph.test',
      OIDC_PORTAL_CLIENT: options.browserClient ? JSON.stringify(options.browserClient) : '',
      OIDC_ACCOUNT_ROLES: JSON.stringify(options.accountRoles ?? {}),
      OIDC_ROLES_CLAIM: options.rolesClaim ?? 'roles',
      DEBUG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
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
