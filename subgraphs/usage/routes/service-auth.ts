/**
 * Bearer tokens of services calling the usage subgraph's HTTP endpoints directly (not through the
 * gateway): verified with the gateway's own JWT settings (`jwtConfig`: HS256 `JWT_SECRET`, or
 * `JWT_JWKS_URL` with RS256/ES256/PS256, plus issuer and audience when set), and the token must
 * carry the platform role `service` in the roles claim.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtHeader, type JwtPayload, type SigningKeyCallback } from 'jsonwebtoken';
import { createRemoteJwksSigningKeyProvider } from '@graphql-mesh/plugin-jwt-auth';
import { Caller, type Claims } from '../../../common/auth';
import { jwtConfig } from '../../../common/config';

export type ServiceAuth = { ok: true; caller: Caller } | { ok: false; status: 401 | 403; message: string };

export function serviceTokenVerifier(env: NodeJS.ProcessEnv): (authorization: string | undefined) => Promise<ServiceAuth> {
  const config = jwtConfig(env);
  // A KeyObject: jsonwebtoken would otherwise try to parse the string secret as a public key first.
  const secret: KeyObject | null = config.secret ? createSecretKey(Buffer.from(config.secret, 'utf8')) : null;
  const jwks = config.jwksUrl ? createRemoteJwksSigningKeyProvider({ jwksUri: config.jwksUrl, cache: true, rateLimit: true }) : null;
  const algorithms: jwt.Algorithm[] = jwks ? ['RS256', 'ES256', 'PS256'] : ['HS256'];
  const key = (header: JwtHeader, callback: SigningKeyCallback) => {
    if (!jwks) {
      callback(null, secret as never);
      return;
    }
    Promise.resolve(jwks(header.kid)).then(
      (value) => callback(null, value),
      (error) => callback(error as Error),
    );
  };

  return async (authorization) => {
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) return { ok: false, status: 401, message: 'Send a service token: `Authorization: Bearer <JWT>` with the role `service`.' };
    let claims: JwtPayload;
    try {
      claims = await new Promise<JwtPayload>((resolve, reject) => {
        jwt.verify(
          match[1],
          key,
          { algorithms, ...(config.issuer ? { issuer: config.issuer } : {}), ...(config.audience ? { audience: config.audience } : {}) },
          (error, decoded) =>
            error || !decoded || typeof decoded === 'string' ? reject(error ?? new Error('no claims')) : resolve(decoded),
        );
      });
    } catch (error) {
      return {
        ok: false,
        status: 401,
        message: `The bearer token was refused (${(error as Error).message}): send a valid, unexpired service token.`,
      };
    }
    const caller = new Caller(claims as Claims, config.rolesClaim, config.mfaClaim);
    if (!caller.isService) return { ok: false, status: 403, message: 'Only tokens with the role `service` may send usage records.' };
    return { ok: true, caller };
  };
}
