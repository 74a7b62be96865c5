import { canonicalInput, requestHash } from './idempotency';

/** What "the same input" means for the create mutations that hash their raw input. */
describe('canonicalInput', () => {
  it('ignores key order, null versus left out, and the key itself; keeps list order and values', () => {
    const a = canonicalInput({ name: 'x', quota: { requests: 1, period: 'DAY' }, description: null, idempotencyKey: 'k1' });
    const b = canonicalInput({ quota: { period: 'DAY', requests: 1 }, idempotencyKey: 'k2', name: 'x' });
    expect(requestHash(a)).toBe(requestHash(b));
    expect(requestHash(canonicalInput({ ids: ['a', 'b'] }))).not.toBe(requestHash(canonicalInput({ ids: ['b', 'a'] })));
    expect(requestHash(canonicalInput({ n: 1 }))).not.toBe(requestHash(canonicalInput({ n: '1' })));
    expect(canonicalInput({ at: new Date('2026-01-01T00:00:00Z'), list: [null, { b: 1, a: undefined }] })).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      list: [null, { b: 1 }],
    });
  });
});
