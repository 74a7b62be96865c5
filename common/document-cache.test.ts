import { buildSchema } from 'graphql';
import { documentCache } from './document-cache';

describe('documentCache (subgraph graphql-ws parse and validation)', () => {
  const schema = buildSchema(`type Query { a: Int } type Subscription { ticks(from: Int): Int }`);

  it('parses a text once and validates its document once', () => {
    const cache = documentCache();
    const first = cache.parse('subscription { ticks }');
    expect(cache.parse('subscription { ticks }')).toBe(first);
    expect(cache.parse('subscription { ticks(from: 1) }')).not.toBe(first);
    const errors = cache.validate(schema, first);
    expect(errors).toEqual([]);
    expect(cache.validate(schema, first)).toBe(errors);
  });

  it('reports invalid documents every time and keeps no text that does not parse', () => {
    const cache = documentCache();
    const invalid = cache.parse('subscription { nope }');
    expect(cache.validate(schema, invalid).map((e) => e.message)).toEqual(['Cannot query field "nope" on type "Subscription".']);
    expect(cache.validate(schema, invalid)).toHaveLength(1);
    expect(() => cache.parse('subscription {')).toThrow('Syntax Error');
    expect(() => cache.parse('subscription {')).toThrow('Syntax Error');
  });

  it('keeps at most `limit` texts, dropping the oldest', () => {
    const cache = documentCache(2);
    const a = cache.parse('subscription A { ticks }');
    const b = cache.parse('subscription B { ticks }');
    cache.parse('subscription C { ticks }');
    expect(cache.parse('subscription B { ticks }')).toBe(b);
    expect(cache.parse('subscription A { ticks }')).not.toBe(a);
  });
});
