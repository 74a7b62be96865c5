/**
 * Signs JWTs for tests (HS256 with a shared secret, RS256 with a private key), the tokens an
 * identity provider would issue; the Tyk test server verifies them per the API definition.
 */
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(claims: Record<string, unknown>, key: { hmac: string } | { rsaPrivateKey: string }): string {
  const alg = 'hmac' in key ? 'HS256' : 'RS256';
  const body = `${b64({ alg, typ: 'JWT' })}.${b64({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
  const signature =
    'hmac' in key ? createHmac('sha256', key.hmac).update(body).digest() : createSign('RSA-SHA256').update(body).sign(key.rsaPrivateKey);
  return `${body}.${signature.toString('base64url')}`;
}

/** A fresh RSA key pair (PEM) for RS256 tests. */
export function rsaKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
