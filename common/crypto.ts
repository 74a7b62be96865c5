import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { encryptionKeyRing, processEnv } from './config';

/**
 * AES-256-GCM for secrets kept at rest (provider secrets, pending key material). Keys come
 * from `ENCRYPTION_KEYS`: comma-separated `id:base64key` entries, the first one encrypts,
 * all of them decrypt (key rotation). Ciphertext format: `v1:<keyId>:<iv>:<tag>:<data>`.
 */
export interface KeyRing {
  current: { id: string; key: Buffer };
  all: Map<string, Buffer>;
}

/** The key ring of an environment (`ENCRYPTION_KEYS`, parsed and checked by `common/config`). */
export function keyRingFromEnv(env: NodeJS.ProcessEnv = processEnv()): KeyRing {
  return encryptionKeyRing(env);
}

export function encryptSecret(ring: KeyRing, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current.key, iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', ring.current.id, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join(':');
}

export function decryptSecret(ring: KeyRing, sealed: string): string {
  const [version, keyId, iv, tag, data] = sealed.split(':');
  if (version !== 'v1' || !keyId || !iv || !tag || data === undefined) throw new Error('not an encrypted secret');
  const key = ring.all.get(keyId);
  if (!key) throw new Error(`encryption key ${keyId} is not configured`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

/** Which key sealed a secret (re-encrypt those not sealed with the current key). */
export function sealedWith(sealed: string): string | null {
  const [version, keyId] = sealed.split(':');
  return version === 'v1' && keyId ? keyId : null;
}
