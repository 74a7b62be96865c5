import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, keyRingFromEnv, sealedWith } from './crypto';

describe('secret encryption at rest', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');

  it('round-trips and never stores the plaintext', () => {
    const ring = keyRingFromEnv({ ENCRYPTION_KEYS: `one:${k1}` });
    const sealed = encryptSecret(ring, 'tyk-secret-value');
    expect(sealed).not.toContain('tyk-secret-value');
    expect(decryptSecret(ring, sealed)).toBe('tyk-secret-value');
    expect(encryptSecret(ring, 'tyk-secret-value')).not.toBe(sealed);
  });

  it('decrypts with older keys after rotation and encrypts with the first', () => {
    const old = keyRingFromEnv({ ENCRYPTION_KEYS: `one:${k1}` });
    const sealed = encryptSecret(old, 's3cret');
    const rotated = keyRingFromEnv({ ENCRYPTION_KEYS: `two:${k2},one:${k1}` });
    expect(decryptSecret(rotated, sealed)).toBe('s3cret');
    expect(sealedWith(encryptSecret(rotated, 's3cret'))).toBe('two');
  });

  it('rejects tampered ciphertext, unknown keys and malformed configuration', () => {
    const ring = keyRingFromEnv({ ENCRYPTION_KEYS: `one:${k1}` });
    const parts = encryptSecret(ring, 'value').split(':');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => decryptSecret(ring, parts.join(':'))).toThrow();
    const other = keyRingFromEnv({ ENCRYPTION_KEYS: `two:${k2}` });
    expect(() => decryptSecret(other, encryptSecret(ring, 'value'))).toThrow(/not configured/);
    expect(() => keyRingFromEnv({ ENCRYPTION_KEYS: 'bad' })).toThrow();
    expect(() => keyRingFromEnv({ NODE_ENV: 'production' })).toThrow(/ENCRYPTION_KEYS/);
  });
});
