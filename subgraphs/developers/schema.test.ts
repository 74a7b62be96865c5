import { buildSchema, isEnumType, isInputObjectType, isObjectType, parse, type GraphQLObjectType } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { PgPubSub } from '../../common/pubsub';
import { developersSubgraph } from '.';
import { productsSubgraph } from '../products';
import { plansSubgraph } from '../plans';
import { usageSubgraph } from '../usage';
import { CREDENTIAL_DESCRIPTION } from './entities/credential';

/** The developers subgraph's own SDL: composes on its own and documents everything it adds. */
describe('developers schema', () => {
  let sdl: string;
  beforeAll(async () => {
    sdl = printSubgraphSchema(await developersSubgraph.buildSchema(new PgPubSub()));
    if (process.env.PRINT_SDL) console.log(sdl);
  });

  it('composes as a federation 2 subgraph with Developer, Organization, Team, App, Invitation, AccessRequest and Credential as entities', () => {
    const result = composeServices([{ name: 'developers', url: 'http://localhost:4003/graphql', typeDefs: parse(sdl) }]);
    expect(result.errors ?? []).toEqual([]);
    for (const entity of ['Developer', 'Organization', 'Team', 'App', 'Invitation', 'AccessRequest', 'Credential']) {
      expect(sdl).toMatch(new RegExp(`type ${entity}[^{]*@key\\(fields: "id"\\)`));
    }
    // Plans and products are only referenced here.
    expect(sdl).toMatch(/type Plan\s+@key\(fields: "id", resolvable: false\)/);
    expect(sdl).toMatch(/type Product\s+@key\(fields: "id", resolvable: false\)/);
    // The provider subgraph repeats this description on its Credential stub (access/provider contract).
    expect(CREDENTIAL_DESCRIPTION).toBe('An API key issued to an app for some products under a plan; its secret is shown once.');
    expect(sdl).toContain(`"""\n${CREDENTIAL_DESCRIPTION}\n"""\ntype Credential`);
  });

  it('composes with the products, plans and usage subgraphs, so clients select plan and product fields of access requests, credentials and events', async () => {
    const services = [
      { name: 'developers', sdl },
      { name: 'products', sdl: printSubgraphSchema(await productsSubgraph.buildSchema(new PgPubSub())) },
      { name: 'plans', sdl: printSubgraphSchema(await plansSubgraph.buildSchema(new PgPubSub())) },
      { name: 'usage', sdl: printSubgraphSchema(await usageSubgraph.buildSchema(new PgPubSub())) },
    ];
    const result = composeServices(services.map((s) => ({ name: s.name, url: `http://localhost/${s.name}`, typeDefs: parse(s.sdl) })));
    expect(result.errors ?? []).toEqual([]);
    const schema = buildSchema(result.publicSdl!);
    const fields = (type: string) => Object.keys((schema.getType(type) as GraphQLObjectType).getFields());
    expect(fields('Plan')).toEqual(expect.arrayContaining(['id', 'name', 'quota', 'rateLimit']));
    expect(fields('Product')).toEqual(expect.arrayContaining(['id', 'name']));
    expect(fields('AccessRequestEvent')).toEqual([
      'id',
      'cursor',
      'type',
      'occurredAt',
      'organizationId',
      'expiresAt',
      'secondsLeft',
      'leadSeconds',
      'revokeAt',
      'reason',
      'effectiveRateRequests',
      'effectiveRatePerSeconds',
      'effectiveQuotaRequests',
      'effectiveQuotaPeriodSeconds',
      'planRolloutId',
      'accessRequest',
      'credential',
      'quotaBoost',
      'upgradeOffer',
      'plan',
    ]);
    expect(fields('Subscription')).toEqual(expect.arrayContaining(['accessRequestEvents', 'quotaWarnings']));
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
