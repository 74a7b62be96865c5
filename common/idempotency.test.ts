import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, getNamedType, isInputObjectType } from 'graphql';
import { canonicalInput, IDEMPOTENT_MUTATIONS, requestHash } from './idempotency';

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

/** The list clients read (docs/CLIENTS.md, the field descriptions) is the list the schema has. */
describe('IDEMPOTENT_MUTATIONS', () => {
  it('names exactly the mutations whose input takes `idempotencyKey` in the public schema, as docs/CLIENTS.md does', () => {
    const schema = buildSchema(readFileSync(join(__dirname, '..', 'schema', 'public.graphql'), 'utf8'));
    const withKey = Object.values(schema.getMutationType()!.getFields())
      .filter((field) => {
        const input = field.args.find((arg) => arg.name === 'input');
        const type = input && getNamedType(input.type);
        return isInputObjectType(type) && 'idempotencyKey' in type.getFields();
      })
      .map((field) => field.name);
    expect([...withKey].sort()).toEqual([...IDEMPOTENT_MUTATIONS].sort());

    const clients = readFileSync(join(__dirname, '..', 'docs', 'CLIENTS.md'), 'utf8');
    const which = clients.slice(clients.indexOf('- **Which mutations**'), clients.indexOf('Other mutations take no key'));
    expect([...which.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]).sort()).toEqual([...IDEMPOTENT_MUTATIONS].sort());
  });
});
