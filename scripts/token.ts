import jwt from 'jsonwebtoken';
import { jwtConfig } from '../common/config';

/**
 * Prints a development token signed with JWT_SECRET (HS256):
 *   npm run token -- --sub alice --roles portal_admin [--email a@example.com] [--mfa] [--ttl 3600]
 */
export function parseTokenArgs(argv: string[]): { claims: Record<string, unknown>; ttl: number } {
  const claims: Record<string, unknown> = { sub: 'developer', roles: [] as string[] };
  let ttl = 3600;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const take = () => {
      if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
      i++;
      return value;
    };
    switch (flag) {
      case '--sub': claims.sub = take(); break;
      case '--email': claims.email = take(); break;
      case '--roles': claims.roles = take().split(/[\s,]+/).filter(Boolean); break;
      case '--mfa': claims.amr = ['pwd', 'mfa']; break;
      case '--ttl': ttl = Number(take()); break;
      case '--claim': {
        const [k, ...v] = take().split('=');
        claims[k] = v.join('=');
        break;
      }
      default: throw new Error(`unknown option ${flag} (use --sub, --email, --roles, --mfa, --ttl, --claim k=v)`);
    }
  }
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  return { claims, ttl };
}

export function signDevToken(claims: Record<string, unknown>, ttl = 3600, env: NodeJS.ProcessEnv = process.env): string {
  const config = jwtConfig(env);
  if (!config.secret) throw new Error('JWT_SECRET is not set: tokens for a JWKS setup come from your identity provider');
  return jwt.sign(claims, config.secret, {
    algorithm: 'HS256',
    expiresIn: ttl,
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  });
}

if (require.main === module) {
  try {
    const { claims, ttl } = parseTokenArgs(process.argv.slice(2));
    console.log(signDevToken(claims, ttl));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}
