import { Field, ID, InputType, ObjectType } from 'type-graphql';
import {
  HTTP_METHODS,
  MAX_ENDPOINT_RULES,
  MAX_GRAPHQL_FIELDS,
  MAX_GRAPHQL_TYPES,
  MAX_RULE_PATHS,
  MAX_RULE_PATH_LENGTH,
} from '../services/limits';

/**
 * Premium endpoints: what a plan lets its credentials call on one product (Tyk `allowed_urls`,
 * `allowed_types` / `restricted_types` of the access right). Values of their plan, no ids.
 */
const VALUE = 'Has no id: it is a value of its plan (or plan version), not an entity.';

@ObjectType({ description: `A path pattern and the HTTP methods a credential may call on it. ${VALUE}` })
export class EndpointAccess {
  @Field(() => String, {
    description:
      'The path pattern as Tyk matches it (`allowed_urls[].url`): a regular expression (Go RE2) matched against the request path, where `{name}` stands for one path segment and `/*` for anything below. Without `^` it matches anywhere in the path (Tyk’s default); the gateway’s path prefix/suffix matching settings anchor it.',
  })
  path!: string;

  @Field(() => [String], { description: `The HTTP methods allowed on the path (${HTTP_METHODS.join(', ')}).` })
  methods!: string[];
}

@ObjectType({ description: `A GraphQL type and some of its fields. ${VALUE}` })
export class GraphqlTypeFields {
  @Field(() => String, { description: 'The type name, e.g. `Query`.' })
  name!: string;

  @Field(() => [String], { description: 'Field names of the type.' })
  fields!: string[];
}

@ObjectType({
  description: `What credentials under a plan may call on one product's Tyk APIs (premium endpoints); products without a rule are not restricted, so a higher tier unlocks an endpoint by having no rule, or a wider one, for the product. Enforced by Tyk (an extra access policy applied to the plan's keys and put into its JWT policy). ${VALUE}`,
})
export class EndpointRule {
  @Field(() => ID, { description: 'The product the rule restricts.' })
  productId!: string;

  @Field(() => [EndpointAccess], {
    description: 'Only these paths and methods may be called; empty = every path (GraphQL types may still be restricted).',
  })
  allow!: EndpointAccess[];

  @Field(() => [GraphqlTypeFields], {
    description: 'For GraphQL APIs: only these fields may be queried (Tyk `allowed_types`); empty = no allow list.',
  })
  allowedTypes!: GraphqlTypeFields[];

  @Field(() => [GraphqlTypeFields], {
    description:
      'For GraphQL APIs: these fields may not be queried (Tyk `restricted_types`); empty = none. Never set together with `allowedTypes`.',
  })
  restrictedTypes!: GraphqlTypeFields[];
}

@InputType({ description: 'A path pattern and the HTTP methods allowed on it.' })
export class EndpointAccessInput {
  @Field(() => String, {
    description: `Path pattern, 1–${MAX_RULE_PATH_LENGTH} characters starting with \`/\` or \`^/\`, matched by Tyk as a Go RE2 regular expression against the request path (\`{name}\` = one segment, \`/*\` = anything below), e.g. \`/weather/premium/{id}\`.`,
  })
  path!: string;

  @Field(() => [String], { description: `At least one of ${HTTP_METHODS.join(', ')} (case-insensitive).` })
  methods!: string[];
}

@InputType({ description: 'A GraphQL type and some of its fields.' })
export class GraphqlTypeFieldsInput {
  @Field(() => String, { description: 'The type name (a GraphQL name, at most 128 characters).' })
  name!: string;

  @Field(() => [String], { description: `1–${MAX_GRAPHQL_FIELDS} field names of the type.` })
  fields!: string[];
}

@InputType({
  description: `Restricts what credentials under the plan may call on one product (premium endpoints). Give paths and/or GraphQL types; a rule must restrict something.`,
})
export class EndpointRuleInput {
  @Field(() => ID, { description: 'The product (one rule per product).' })
  productId!: string;

  @Field(() => [EndpointAccessInput], {
    nullable: true,
    description: `Only these paths may be called (at most ${MAX_RULE_PATHS}); null or empty = every path.`,
  })
  allow?: EndpointAccessInput[] | null;

  @Field(() => [GraphqlTypeFieldsInput], {
    nullable: true,
    description: `GraphQL APIs: only these fields may be queried (at most ${MAX_GRAPHQL_TYPES} types).`,
  })
  allowedTypes?: GraphqlTypeFieldsInput[] | null;

  @Field(() => [GraphqlTypeFieldsInput], {
    nullable: true,
    description: `GraphQL APIs: these fields may not be queried (at most ${MAX_GRAPHQL_TYPES} types). Not together with allowedTypes.`,
  })
  restrictedTypes?: GraphqlTypeFieldsInput[] | null;
}

export const ENDPOINT_RULES_DESCRIPTION = `Premium endpoints: per product, the paths/methods and GraphQL fields credentials under the plan may call (at most ${MAX_ENDPOINT_RULES} rules, one per product); products without a rule are not restricted.`;
