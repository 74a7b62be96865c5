import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { gatewayRequest, tokenFor } from './helpers/graphql';
import { unique } from './helpers/db';

/** Production mode: tokens verified against an identity provider's JWKS instead of a shared secret. */
describe('gateway with JWT_JWKS_URL', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  let jwks: http.Server;
  let platform: TestPlatform;
  let jwksRequests = 0;

  beforeAll(async () => {
    jwks = http.createServer((req, res) => {
      jwksRequests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', () => resolve()));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    platform = await startPlatform({ gatewayEnv: { ...process.env, JWT_JWKS_URL: jwksUrl } });
  });
  afterAll(async () => {
    await platform?.stop();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  const CREATE = `mutation($i: CreateProductInput!) { createProduct(input: $i) { product { slug } errors { code } } }`;

  it('accepts RS256 tokens signed by a key in the JWKS', async () => {
    const token = jwt.sign({ sub: 'idp-admin', roles: ['portal_admin'] }, privateKey, { algorithm: 'RS256', keyid: kid, expiresIn: 300 });
    const slug = unique('jwks');
    const r = await gatewayRequest(platform.gatewayUrl, CREATE, { i: { slug, name: 'JWKS' } }, null, { authorization: `Bearer ${token}` });
    expect(r.errors).toBeUndefined();
    expect(r.data.createProduct).toEqual({ product: { slug }, errors: [] });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses the development HS256 tokens and tokens from another key', async () => {
    const hs = await gatewayRequest(platform.gatewayUrl, CREATE, { i: { slug: unique('hs'), name: 'HS' } }, null, {
      authorization: `Bearer ${tokenFor({ sub: 'dev-admin', roles: ['portal_admin'] })}`,
    });
    expect(hs.status).toBe(401);
    const { privateKey: other } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign({ sub: 'mallory', roles: ['portal_admin'] }, other, { algorithm: 'RS256', keyid: kid, expiresIn: 300 });
    const r = await gatewayRequest(platform.gatewayUrl, CREATE, { i: { slug: unique('forged'), name: 'F' } }, null, {
      authorization: `Bearer ${forged}`,
    });
    expect(r.status).toBe(401);
  });
});
