import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { processEnv } from '../../common/config';
import { decryptSecret, encryptSecret, keyRingFromEnv, type KeyRing } from '../../common/crypto';

/**
 * Credential secrets (docs/CREDENTIALS.md): `pgk_` + 40 random base62 characters (the body,
 * ≈238 bits) + 6 base62 characters of checksum (CRC32 of the body), 50 characters in all, so a
 * secret scanner can tell a real key from noise offline. Keys issued before the checksum
 * (`pgk_` + 40 characters) keep working: they are looked up by hash like any other.
 * The first 12 characters (`pgk_` and the first 8 of the body) are the visible prefix that
 * identifies the key; only the sha256 hex of the secret is kept for good, plus encrypted copies
 * for a while. The plaintext is never stored or logged.
 */
export const SECRET_PREFIX = 'pgk_';
export const SECRET_RANDOM_LENGTH = 40;
export const SECRET_CHECKSUM_LENGTH = 6;
export const VISIBLE_PREFIX_LENGTH = 12;
/** Length of a current-format secret (prefix, body, checksum). */
export const SECRET_LENGTH = SECRET_PREFIX.length + SECRET_RANDOM_LENGTH + SECRET_CHECKSUM_LENGTH;
/** Length of a secret issued before the checksum was added (prefix and body only). */
export const LEGACY_SECRET_LENGTH = SECRET_PREFIX.length + SECRET_RANDOM_LENGTH;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62_ONLY = /^[0-9A-Za-z]*$/;

/** `value` (0 ≤ value < 62^width) in base62, most significant digit first, left-padded with `0`. */
function toBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i += 1) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** The checksum of a body: its CRC32 (unsigned, over the ASCII body) in 6 base62 characters. */
export function secretChecksum(body: string): string {
  return toBase62(crc32(body) >>> 0, SECRET_CHECKSUM_LENGTH);
}

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
  const body = randomBase62(SECRET_RANDOM_LENGTH);
  const secret = `${SECRET_PREFIX}${body}${secretChecksum(body)}`;
  return { secret, prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH), hash: secretHash(secret) };
}

/** What the offline format check says about a text. */
export type SecretFormat = 'CURRENT' | 'LEGACY' | 'NONE';

export interface SecretFormatCheck {
  /** CURRENT (prefix, body and a matching checksum), LEGACY (the older checksum-less shape), NONE. */
  format: SecretFormat;
  /** Why it is NONE: which part does not match; null otherwise. */
  problem: 'PREFIX' | 'LENGTH' | 'CHARACTERS' | 'CHECKSUM' | null;
}

/**
 * Offline check of a text's shape: prefix, length, alphabet and (current format) checksum. It
 * consults nothing (no database, no key list), so it says whether a text LOOKS like a Plangraph
 * key, never whether such a key exists or works.
 */
export function checkSecretFormat(text: string): SecretFormatCheck {
  if (!text.startsWith(SECRET_PREFIX)) return { format: 'NONE', problem: 'PREFIX' };
  const rest = text.slice(SECRET_PREFIX.length);
  if (text.length !== SECRET_LENGTH && text.length !== LEGACY_SECRET_LENGTH) return { format: 'NONE', problem: 'LENGTH' };
  if (!BASE62_ONLY.test(rest)) return { format: 'NONE', problem: 'CHARACTERS' };
  if (text.length === LEGACY_SECRET_LENGTH) return { format: 'LEGACY', problem: null };
  const body = rest.slice(0, SECRET_RANDOM_LENGTH);
  const checksum = rest.slice(SECRET_RANDOM_LENGTH);
  return checksum === secretChecksum(body) ? { format: 'CURRENT', problem: null } : { format: 'NONE', problem: 'CHECKSUM' };
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
export function sealSecret(secret: string, env: NodeJS.ProcessEnv = processEnv()): string {
  return encryptSecret(keyRing(env), secret);
}

export function openSecret(sealed: string, env: NodeJS.ProcessEnv = processEnv()): string {
  return decryptSecret(keyRing(env), sealed);
}
