import {
  BREAK,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  subscribe,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { isUuid } from './ids';

/**
 * The input boundary every subgraph shares: before any resolver runs, every String and ID value
 * of an operation — arguments written inline or passed as variables, down through input objects
 * and lists, on root and nested fields — is checked, and the first bad one refuses the whole
 * operation with BAD_USER_INPUT whose `extensions.field` is its path (`input.name`,
 * `filter.search`, `input.productIds[2]`):
 *
 * - text must be well-formed: no NUL character (PostgreSQL cannot store it) and no unpaired
 *   UTF-16 surrogate (it cannot be encoded as UTF-8);
 * - text is at most MAX_TEXT_LENGTH characters (a backstop; fields have smaller limits of their
 *   own, checked by their resolvers);
 * - an ID is a UUID (every entity id in Plangraph is one) unless its coordinate is listed in
 *   NON_UUID_IDS.
 *
 * Values are never echoed back in the message.
 */

/**
 * A backstop above every field's own limit (the largest, Markdown documentation, is 100,000
 * characters; fields check theirs and answer VALIDATION_FAILED in mutation payloads).
 */
export const MAX_TEXT_LENGTH = 200_000;

/**
 * Schema coordinates (`Type.field(arg:)` for arguments, `Input.field` for input fields) whose ID
 * holds something other than a UUID. None today: ids of other systems (Tyk API ids, policy ids,
 * `tykOrgId`) are Strings.
 */
export const NON_UUID_IDS: ReadonlySet<string> = new Set<string>();

/** Why `text` cannot be accepted as text, or null when it can. */
export function textProblem(text: string): string | null {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return `contains a NUL character (U+0000) at position ${nul}; remove it.`;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `contains an unpaired UTF-16 surrogate at position ${i}; send well-formed Unicode text.`;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return `contains an unpaired UTF-16 surrogate at position ${i}; send well-formed Unicode text.`;
  }
  if (text.length > MAX_TEXT_LENGTH) return `is longer than ${MAX_TEXT_LENGTH.toLocaleString('en-US')} characters.`;
  return null;
}

interface Problem {
  field: string;
  message: string;
}

function checkValue(type: GraphQLInputType, value: unknown, path: string, coordinate: string): Problem | null {
  if (value === null || value === undefined) return null;
  if (isNonNullType(type)) return checkValue(type.ofType, value, path, coordinate);
  if (isListType(type)) {
    if (!Array.isArray(value)) return checkValue(type.ofType, value, path, coordinate);
    for (let i = 0; i < value.length; i++) {
      const problem = checkValue(type.ofType, value[i], `${path}[${i}]`, coordinate);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object') return null;
    for (const field of Object.values(type.getFields())) {
      const problem = checkValue(
        field.type,
        (value as Record<string, unknown>)[field.name],
        `${path}.${field.name}`,
        `${type.name}.${field.name}`,
      );
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value !== 'string') return null;
  const problem = textProblem(value);
  if (problem) return { field: path, message: `\`${path}\` ${problem}` };
  if (getNamedType(type).name === 'ID' && !NON_UUID_IDS.has(coordinate) && !isUuid(value)) {
    return { field: path, message: `\`${path}\` must be an id (a UUID such as \`0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d\`).` };
  }
  return null;
}

/**
 * The first bad String or ID value of `operation` (see the top of this file) as a
 * BAD_USER_INPUT error, or null. Variables that do not coerce are left to execution, which
 * reports them itself.
 */
export function inputProblem(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined | null,
): GraphQLError | null {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return null;
  const typeInfo = new TypeInfo(schema);
  let found: Problem | null = null;
  const roots = document.definitions.filter((d) => d === operation || d.kind === Kind.FRAGMENT_DEFINITION);
  for (const root of roots) {
    visit(
      root,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const definition = typeInfo.getFieldDef();
          const parent = typeInfo.getParentType();
          if (!definition || !parent || !definition.args.length) return undefined;
          let values: Record<string, unknown>;
          try {
            values = getArgumentValues(definition, node, coerced.coerced);
          } catch {
            return undefined; // a bad literal: validation or execution reports it
          }
          for (const argument of definition.args) {
            found = checkValue(argument.type, values[argument.name], argument.name, `${parent.name}.${definition.name}(${argument.name}:)`);
            if (found) return BREAK;
          }
          return undefined;
        },
      }),
    );
    if (found) break;
  }
  const problem = found as Problem | null;
  return problem
    ? new GraphQLError(problem.message, { extensions: { code: 'BAD_USER_INPUT', field: problem.field, http: { status: 400 } } })
    : null;
}

/** The boundary on HTTP: runs once the operation is parsed and validated, before execution. */
export function inputBoundaryPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const problem = inputProblem(schema, document, operation, request.variables);
          if (problem) throw problem;
        },
      };
    },
  };
}

/**
 * The boundary on WebSockets (graphql-ws's `subscribe`): a bad value is answered as one result
 * with the error (like a resolver's error, so it travels through the gateway as it is), and the
 * subscription ends; otherwise graphql-js subscribes as usual.
 */
export function subscribeWithinBoundary(args: ExecutionArgs): ReturnType<typeof subscribe> | ExecutionResult {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  const problem =
    operation && inputProblem(args.schema, args.document, operation, args.variableValues as Record<string, unknown> | undefined);
  return problem ? { errors: [problem] } : subscribe(args);
}
