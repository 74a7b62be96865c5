import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isSpecifiedScalarType } from 'graphql';
import { compose, compositionFiles } from '../scripts/compose';
import { SCHEMA_DIR } from '../scripts/paths';

describe('committed schema', () => {
  let files: Record<string, string>;
  let publicSchema: string;
  beforeAll(async () => {
    const composition = await compose();
    files = compositionFiles(composition);
    publicSchema = composition.publicSchema;
  });

  it('matches a fresh composition of the subgraphs (run `npm run compose` after a schema change)', () => {
    for (const [file, content] of Object.entries(files)) {
      const committed = path.join(SCHEMA_DIR, file);
      expect({ file, exists: fs.existsSync(committed) }).toEqual({ file, exists: true });
      expect({ file, content: fs.readFileSync(committed, 'utf8') }).toEqual({ file, content });
    }
    const committedSubgraphs = fs.readdirSync(path.join(SCHEMA_DIR, 'subgraphs')).map((f) => `subgraphs/${f}`);
    expect(committedSubgraphs.sort()).toEqual(
      Object.keys(files)
        .filter((f) => f.startsWith('subgraphs/'))
        .sort(),
    );
  });

  it('documents every public type, field, argument, input field and enum value', () => {
    const schema = buildSchema(publicSchema);
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
      if (!type.description?.trim() && !['Query', 'Mutation', 'Subscription'].includes(type.name)) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
