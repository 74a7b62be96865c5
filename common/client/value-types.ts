import { buildSchema, isObjectType } from 'graphql';

/**
 * Object types without an `id` field: values that belong to the object they hang off (a plan's
 * quota, a product's documentation, a connection's page info, a mutation's payload), not
 * entities. Types with an `id` are entities and are normalised by it. `npm run compose` writes
 * this list to schema/client-value-types.json for the client cache settings (type-policies.ts).
 */
export function valueTypes(publicSchema: string): string[] {
  const schema = buildSchema(publicSchema);
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name));
  return Object.values(schema.getTypeMap())
    .filter((type) => isObjectType(type) && !type.name.startsWith('__') && !roots.has(type.name) && !('id' in type.getFields()))
    .map((type) => type.name)
    .sort();
}
