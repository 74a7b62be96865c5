import { parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, createResolversMap, type NonEmptyArray, type PubSub } from 'type-graphql';
import { DateTime } from './scalars';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])';

export type ReferenceResolver<C = unknown> = (reference: Record<string, unknown>, context: C) => unknown;

export interface FederatedSchemaOptions<C> {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for object classes
  orphanedTypes?: Function[];
  /** `__resolveReference` per entity type name (batched by the caller). */
  references?: Record<string, ReferenceResolver<C>>;
  pubSub?: PubSub;
}

/**
 * type-graphql → Apollo federation 2 subgraph schema. The SDL keeps `@key`/`@shareable`
 * directives and every description; the resolvers (including subscriptions) come from
 * type-graphql, and each entity gets its batched `__resolveReference`.
 */
export async function buildFederatedSchema<C>(options: FederatedSchemaOptions<C>): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    pubSub: options.pubSub,
    scalarsMap: [{ type: Date, scalar: DateTime }],
    skipCheck: true,
    validate: false,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(schema)}`;
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [typeName, resolveReference] of Object.entries(options.references ?? {})) {
    resolvers[typeName] = { ...(resolvers[typeName] ?? {}), __resolveReference: resolveReference };
  }
  return buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never });
}
