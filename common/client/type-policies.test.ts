import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { graphcacheKeys, typePolicies, VALUE_TYPES } from './type-policies';

describe('client cache settings', () => {
  const schema = buildSchema(fs.readFileSync(path.join(__dirname, '../../schema/public.graphql'), 'utf8'));
  const objects = Object.values(schema.getTypeMap()).filter(
    (t) => isObjectType(t) && !t.name.startsWith('__') && !['Query', 'Mutation', 'Subscription'].includes(t.name),
  );

  it('merges every object type without an id, and leaves entities to normalisation', () => {
    for (const type of objects) {
      const hasId = isObjectType(type) && 'id' in type.getFields();
      expect({
        type: type.name,
        policy: typePolicies[type.name] ?? null,
        key: type.name in graphcacheKeys ? graphcacheKeys[type.name]() : 'default',
      }).toEqual({
        type: type.name,
        policy: hasId ? null : { merge: true },
        key: hasId ? 'default' : null,
      });
    }
    expect(VALUE_TYPES).toEqual(expect.arrayContaining(['UsageQuota', 'RateLimit', 'ProductDocumentation', 'SyncState', 'ProviderHealth']));
    expect(VALUE_TYPES).not.toContain('Viewer');
  });
});
