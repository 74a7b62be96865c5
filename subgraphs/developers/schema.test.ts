import { buildSchema, isEnumType, isInputObjectType, isObjectType, parse } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { PgPubSub } from '../../common/pubsub';
import { developersSubgraph } from '.';

/** The developers subgraph's own SDL: composes on its own and documents everything it adds. */
describe('developers schema', () => {
  let sdl: string;
  beforeAll(async () => {
    sdl = printSubgraphSchema(await developersSubgraph.buildSchema(new PgPubSub()));
    if (process.env.PRINT_SDL) console.log(sdl);
  });

  it('composes as a federation 2 subgraph with Developer, Organization, Team, App and Invitation as entities', () => {
    const result = composeServices([{ name: 'developers', url: 'http://localhost:4003/graphql', typeDefs: parse(sdl) }]);
    expect(result.errors ?? []).toEqual([]);
    for (const entity of ['Developer', 'Organization', 'Team', 'App', 'Invitation']) {
      expect(sdl).toMatch(new RegExp(`type ${entity}[^{]*@key\\(fields: "id"\\)`));
    }
  });

  it('describes every type, field, argument, input field and enum value', () => {
    const result = composeServices([{ name: 'developers', url: 'http://localhost:4003/graphql', typeDefs: parse(sdl) }]);
    const schema = buildSchema(result.publicSdl!);
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name)) continue;
      if (!type.description?.trim() && !['Query', 'Mutation', 'Subscription'].includes(type.name)) missing.push(type.name);
      if (isObjectType(type)) {
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
