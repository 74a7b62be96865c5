import jwt from 'jsonwebtoken';
import { parseTokenArgs, signDevToken } from './token';

describe('npm run token', () => {
  it('builds claims from flags and signs a verifiable HS256 token', () => {
    const { claims, ttl } = parseTokenArgs(['--sub', 'alice', '--roles', 'portal_admin,service', '--email', 'a@example.com', '--mfa', '--ttl', '600']);
    expect(claims).toEqual({ sub: 'alice', roles: ['portal_admin', 'service'], email: 'a@example.com', amr: ['pwd', 'mfa'] });
    const token = signDevToken(claims, ttl, { JWT_SECRET: 'test-secret' });
    const decoded = jwt.verify(token, 'test-secret', { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(decoded.sub).toBe('alice');
    expect(decoded.exp! - decoded.iat!).toBe(600);
  });

  it('rejects unknown flags and missing values', () => {
    expect(() => parseTokenArgs(['--nope'])).toThrow(/unknown option/);
    expect(() => parseTokenArgs(['--sub'])).toThrow(/needs a value/);
    expect(() => parseTokenArgs(['--ttl', '-5'])).toThrow(/positive/);
  });
});
