import { createHash, randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, keyRingFromEnv, type KeyRing } from '../../common/crypto';

/**
 * Credential secrets (see the access/provider contract): `pgk_` + 40 random base62 characters.
 * The first 12 characters are the visible prefix; only the sha256 hex of the secret is kept for
 * good, plus encrypted copies for a while. The plaintext is never stored or logged.
 */
export const SECRET_PREFIX = 'pgk_';
export const SECRET_RANDOM_LENGTH = 40;
export const VISIBLE_PREFIX_LENGTH = 12;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 characters from the CSPRNG (rejection sampling: bytes ≥ 248 are dropped). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface NewSecret {
  secret: string;
  prefix: string;
  hash: string;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateSecret(): NewSecret {
  const secret = `${SECRET_PREFIX}${randomBase62(SECRET_RANDOM_LENGTH)}`;
  return { secret, prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH), hash: secretHash(secret) };
}

const rings = new WeakMap<NodeJS.ProcessEnv, KeyRing>();

/** The key ring from `ENCRYPTION_KEYS` of the given environment (parsed once per environment). */
function keyRing(env: NodeJS.ProcessEnv): KeyRing {
  let ring = rings.get(env);
  if (!ring) {
    ring = keyRingFromEnv(env);
    rings.set(env, ring);
  }
  return ring;
}

/** Encrypts with the first key of `ENCRYPTION_KEYS` (`context.env` / `ops.env`; default: this process's). */
export function sealSecret(secret: string, env: NodeJS.ProcessEnv = process.env): string {
  return encryptSecret(keyRing(env), secret);
}

export function openSecret(sealed: string, env: NodeJS.ProcessEnv = process.env): string {
  return decryptSecret(keyRing(env), sealed);
}
