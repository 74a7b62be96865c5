import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { checkSecretFormat, generateSecret, LEGACY_SECRET_LENGTH, SECRET_LENGTH, secretChecksum, secretHash } from './secrets';
import { gql, startHarness, type Harness } from '../../test/kit/developers';
import { developer } from '../../test/helpers/graphql';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The checksum as docs/CREDENTIALS.md describes it, written independently of secrets.ts. */
function documentedChecksum(body: string): string {
  let n = BigInt(crc32(Buffer.from(body, 'ascii')) >>> 0);
  let out = '';
  for (let i = 0; i < 6; i += 1) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

describe('credential secrets: format with a checksum (docs/CREDENTIALS.md)', () => {
  it('are pgk_ + 40 base62 characters + the 6-character CRC32 checksum of those 40', () => {
    for (let i = 0; i < 200; i += 1) {
      const { secret, prefix, hash } = generateSecret();
      expect(secret).toMatch(/^pgk_[0-9A-Za-z]{46}$/);
      expect(secret).toHaveLength(SECRET_LENGTH);
      const body = secret.slice(4, 44);
      expect(secret.slice(44)).toBe(documentedChecksum(body));
      expect(prefix).toBe(secret.slice(0, 12));
      expect(hash).toBe(createHash('sha256').update(secret).digest('hex'));
      expect(checkSecretFormat(secret)).toEqual({ format: 'CURRENT', problem: null });
    }
  });

  it('matches a fixed example (a scanner written from the docs gets the same checksum)', () => {
    const body = '0123456789ABCDEFGHIJabcdefghijklmnopqrst';
    expect(secretChecksum(body)).toBe(documentedChecksum(body));
    // CRC32 of the body is 0x3c2efef5 = 1009712885, which is 16KeRh in base62 (0-9, A-Z, a-z).
    expect(crc32(body) >>> 0).toBe(0x3c2efef5);
    expect(secretChecksum(body)).toBe('16KeRh');
    expect(checkSecretFormat(`pgk_${body}${secretChecksum(body)}`).format).toBe('CURRENT');
  });

  it('keeps at least 160 bits of entropy: the 40 body characters are uniform base62', () => {
    // 40 × log2(62) ≈ 238 bits; check the alphabet is used uniformly (no bias from the sampling).
    const counts = new Map<string, number>();
    const n = 2000;
    for (let i = 0; i < n; i += 1) for (const c of generateSecret().secret.slice(4, 44)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = (n * 40) / 62;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.2);
    expect(40 * Math.log2(62)).toBeGreaterThan(160);
    expect(new Set(Array.from({ length: 1000 }, () => generateSecret().secret)).size).toBe(1000);
  });

  it('detects every single-character change and truncation (noise is not taken for a key)', () => {
    const { secret } = generateSecret();
    for (let i = 4; i < secret.length; i += 1) {
      for (const replacement of ['0', 'z', 'Q']) {
        if (secret[i] === replacement) continue;
        const changed = secret.slice(0, i) + replacement + secret.slice(i + 1);
        expect(checkSecretFormat(changed)).toEqual({ format: 'NONE', problem: 'CHECKSUM' });
      }
    }
    // Swapping two different neighbouring body characters.
    const body = secret.slice(4, 44);
    const at = [...body].findIndex((c, i) => i < 39 && c !== body[i + 1]);
    const swapped = `pgk_${body.slice(0, at)}${body[at + 1]}${body[at]}${body.slice(at + 2)}${secret.slice(44)}`;
    expect(checkSecretFormat(swapped).problem).toBe('CHECKSUM');
    expect(checkSecretFormat(secret.slice(0, -1))).toEqual({ format: 'NONE', problem: 'LENGTH' });
    expect(checkSecretFormat(`${secret}0`)).toEqual({ format: 'NONE', problem: 'LENGTH' });
    // Random base62 strings of the right shape fail the checksum (all but ~1 in 2^32 would).
    let accepted = 0;
    for (let i = 0; i < 2000; i += 1) {
      const noise = `pgk_${Array.from({ length: 46 }, () => BASE62[Math.floor(Math.random() * 62)]).join('')}`;
      if (checkSecretFormat(noise).format !== 'NONE') accepted += 1;
    }
    expect(accepted).toBe(0);
  });

  it('recognises the legacy format (no checksum) and refuses other shapes', () => {
    const legacy = `pgk_${'a1B2c3D4e5'.repeat(4)}`;
    expect(legacy).toHaveLength(LEGACY_SECRET_LENGTH);
    expect(checkSecretFormat(legacy)).toEqual({ format: 'LEGACY', problem: null });
    expect(checkSecretFormat(`ghp_${legacy.slice(4)}`)).toEqual({ format: 'NONE', problem: 'PREFIX' });
    expect(checkSecretFormat(`pgk_${'a-b_c'.repeat(8)}`)).toEqual({ format: 'NONE', problem: 'CHARACTERS' });
    expect(checkSecretFormat('')).toEqual({ format: 'NONE', problem: 'PREFIX' });
    expect(secretHash(legacy)).toHaveLength(64);
  });
});

describe('Query.validateCredentialFormat', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  const Q = `query($s: String!) { validateCredentialFormat(secret: $s) { wellFormed format checksumVerified problem } }`;

  it('answers anyone, offline: a well-formed string nobody was issued looks exactly like a live key', async () => {
    const { secret } = generateSecret(); // never issued: no credential row has it
    h.queries.length = 0;
    const anonymous = await gql(h, Q, { s: secret }, null);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data.validateCredentialFormat).toEqual({ wellFormed: true, format: 'CURRENT', checksumVerified: true, problem: null });
    // No database statement ran for it: the check cannot reveal whether a key exists.
    expect(h.queries.filter((q) => /credential/i.test(q))).toEqual([]);
    const signedIn = await gql(h, Q, { s: secret }, developer());
    expect(signedIn.data.validateCredentialFormat).toEqual(anonymous.data.validateCredentialFormat);
    expect(JSON.stringify(signedIn)).not.toContain(secret);
  });

  it('says why a text is not a key, and LEGACY for old keys', async () => {
    const { secret } = generateSecret();
    const typo = `${secret.slice(0, 20)}${secret[20] === 'x' ? 'y' : 'x'}${secret.slice(21)}`;
    const answer = async (s: string) => (await gql(h, Q, { s })).data.validateCredentialFormat;
    expect(await answer(typo)).toEqual({ wellFormed: false, format: 'NONE', checksumVerified: false, problem: 'CHECKSUM' });
    expect(await answer('hello')).toEqual({ wellFormed: false, format: 'NONE', checksumVerified: false, problem: 'PREFIX' });
    expect(await answer(`pgk_${'Ab3'.repeat(13)}X`)).toEqual({
      wellFormed: true,
      format: 'LEGACY',
      checksumVerified: false,
      problem: null,
    });
  });

  it('refuses texts over 256 characters without echoing them', async () => {
    const long = `pgk_${'A'.repeat(300)}`;
    const response = await gql(h, Q, { s: long });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'secret' });
    expect(JSON.stringify(response)).not.toContain('A'.repeat(50));
  });
});
