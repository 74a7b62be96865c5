import jwt from 'jsonwebtoken';
import { processConfig, processEnv } from '../../common/config';

/**
 * A development token signed with JWT_SECRET (HS256), for TypeScript callers: the tests and the
 * bench. It signs with the gateway's own settings (the `jwt` part of common/config). The `npm run token` command is
 * `scripts/token-cli.cjs` (plain JavaScript, so it needs no build); scripts/token.test.ts checks
 * that both sign alike.
 */
export function signDevToken(claims: Record<string, unknown>, ttl = 3600, env: NodeJS.ProcessEnv = processEnv()): string {
  const config = processConfig('npm run token', env).jwtKeys;
  if (!config.secret) throw new Error('JWT_SECRET is not set: tokens for a JWKS setup come from your identity provider');
  return jwt.sign(claims, config.secret, {
    algorithm: 'HS256',
    expiresIn: ttl,
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  });
}
