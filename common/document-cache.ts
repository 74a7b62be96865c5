import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type Source } from 'graphql';

/**
 * Parse and validation for a subgraph's graphql-ws server, which (unlike Apollo Server over HTTP)
 * parses and validates every subscribe message afresh and keeps that document for as long as the
 * subscription runs: about 11 KiB per subscription for a `quotaWarnings` selection. The gateways
 * send the same few documents over and over (each printed from the client's operation), so
 * subscriptions with the same text share one parsed document, validated once.
 *
 * Bounded: past `limit` texts the oldest is dropped (it stays alive only in the subscriptions
 * that use it). Documents are never changed after parsing (graphql-js treats them as immutable),
 * so sharing one is safe; a text that does not parse is not kept.
 */
export function documentCache(limit = 500): {
  parse(source: string | Source): DocumentNode;
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
} {
  const parsed = new Map<string, DocumentNode>();
  const validated = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();
  return {
    parse(source) {
      if (typeof source !== 'string') return parse(source);
      let document = parsed.get(source);
      if (!document) {
        document = parse(source);
        if (parsed.size >= limit) parsed.delete(parsed.keys().next().value!);
        parsed.set(source, document);
      }
      return document;
    },
    validate(schema, document) {
      let bySchema = validated.get(schema);
      if (!bySchema) validated.set(schema, (bySchema = new WeakMap()));
      let errors = bySchema.get(document);
      if (!errors) bySchema.set(document, (errors = validate(schema, document)));
      return errors;
    },
  };
}
