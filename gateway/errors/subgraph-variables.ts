/**
 * A subgraph's errors about the variables the gateway made up when it forwarded the operation,
 * renamed back to the client's variable, or to its argument when it wrote the value inline; and
 * its validation errors about a value the client wrote inline, told of the client's argument.
 *
 * Both query planners lead here. Hive Gateway's JavaScript planner (schema stitching) passes every
 * argument to the subgraph as a variable it names (`$_v0_from`); Hive Router's Rust planner keeps
 * the client's variable names and leaves inline values inline, so a bad inline custom scalar is a
 * validation error of the subgraph, located in the text of the request the gateway sent it.
 */
import {
  GraphQLError,
  Kind,
  getLocation,
  parse,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SourceLocation,
  type ValueNode,
} from 'graphql';
import { inspect } from 'graphql/jsutils/inspect';
import { upstreamPrint } from '../../common/auth';
import { fieldPath, printPath } from './variables';

/** The client's operation and its fragments: where its variables and inline values are. */
export interface ClientOperation {
  operation: OperationDefinitionNode;
  fragments: readonly FragmentDefinitionNode[];
}

/** The locations a subgraph gave its errors (the HTTP transport keeps messages, not locations), by error index. */
export type ErrorLocations = readonly (readonly SourceLocation[] | undefined)[];

interface VariableUse {
  field: string;
  responseKey: string;
  argument: string;
  /** Path from the argument's value down to the variable (usually empty). */
  path: (string | number)[];
}

/** Where a subgraph request uses one of its variables (the first field argument that does). */
function useOf(document: DocumentNode, variable: string): VariableUse | null {
  let use: VariableUse | null = null;
  const find = (value: ValueNode, path: (string | number)[]): (string | number)[] | null => {
    if (value.kind === Kind.VARIABLE) return value.name.value === variable ? path : null;
    if (value.kind === Kind.OBJECT) {
      for (const f of value.fields) {
        const found = find(f.value, [...path, f.name.value]);
        if (found) return found;
      }
    }
    if (value.kind === Kind.LIST) {
      for (let i = 0; i < value.values.length; i++) {
        const found = find(value.values[i], [...path, i]);
        if (found) return found;
      }
    }
    return null;
  };
  visit(document, {
    Field(node) {
      for (const argument of node.arguments ?? []) {
        const path = find(argument.value, []);
        if (path) {
          use = { field: node.name.value, responseKey: node.alias?.value ?? node.name.value, argument: argument.name.value, path };
          return false;
        }
      }
      return undefined;
    },
  });
  return use;
}

/** The client's fields named `name` that pass `argument`, in its operation and fragments. */
function clientFields(client: ClientOperation, name: string, argument: string): FieldNode[] {
  const found: FieldNode[] = [];
  const roots: (OperationDefinitionNode | FragmentDefinitionNode)[] = [client.operation, ...client.fragments];
  for (const root of roots) {
    visit(root, {
      Field(node) {
        if (node.name.value === name && node.arguments?.some((a) => a.name.value === argument)) found.push(node);
      },
    });
  }
  return found;
}

/**
 * Follows `path` through the client's argument value: the client's variable (and the rest of
 * the path inside it) where it used one, else null (the value is written inline).
 */
function clientVariableAt(value: ValueNode, path: (string | number)[]): { name: string; path: (string | number)[] } | null {
  let current: ValueNode | undefined = value;
  for (let i = 0; current; i++) {
    if (current.kind === Kind.VARIABLE) return { name: current.name.value, path: path.slice(i) };
    if (i >= path.length) return null;
    const key: string | number = path[i];
    if (current.kind === Kind.OBJECT) current = current.fields.find((f) => f.name.value === key)?.value;
    else if (current.kind === Kind.LIST && typeof key === 'number') current = current.values[key];
    else return null;
  }
  return null;
}

const SUBGRAPH_VARIABLE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" /;

/**
 * A subgraph's error about one of the variables of the request the gateway sent it, told in
 * the client's terms: its variable when it sent one, else its argument. Other errors as they are.
 */
export function clientVariableError(error: GraphQLError, document: DocumentNode, client: ClientOperation | undefined): GraphQLError {
  const match = SUBGRAPH_VARIABLE.exec(error.message);
  if (!match) return error;
  const upstream = match[1];
  const use = useOf(document, upstream);
  if (!use) return error;
  // The path the subgraph printed, inside its variable (` at "_x_from.a[0]"`).
  const printed = new RegExp(` at "${upstream}((?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d+\\])*)"`).exec(error.message);
  const inside: (string | number)[] = [];
  for (const [, key, index] of (printed?.[1] ?? '').matchAll(/\.([_A-Za-z][_0-9A-Za-z]*)|\[(\d+)\]/g))
    inside.push(index !== undefined ? Number(index) : key);
  const argumentPath = [...use.path, ...inside];

  const candidates = client ? clientFields(client, use.field, use.argument) : [];
  const field = candidates.find((f) => (f.alias?.value ?? f.name.value) === use.responseKey) ?? candidates[0];
  const value = field?.arguments?.find((a) => a.name.value === use.argument)?.value;
  const variable = value ? clientVariableAt(value, argumentPath) : null;

  // "got invalid value …; <reason>" or "of required type …": said of the client's variable or argument.
  const body = error.message.slice(match[0].length);
  const [owner, path, depth] = variable
    ? [`Variable "$${variable.name}"`, `${variable.name}${printPath(variable.path)}`, variable.path.length]
    : [`Argument "${use.argument}" of "${use.field}"`, `${use.argument}${printPath(argumentPath)}`, argumentPath.length];
  const at = depth ? ` at "${path}"` : '';
  const rest = printed
    ? body.replace(printed[0], () => at)
    : body.replace(/^(got invalid value .*?)(; )/s, (_, head: string, sep: string) => `${head}${at}${sep}`);
  const message = `${owner} ${rest}`;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: {
      ...error.extensions,
      code: error.extensions?.code ?? 'BAD_USER_INPUT',
      field: fieldPath(path, rest.replace(/^.*?; /s, '')),
    },
  });
}

/** Where in a field argument of the subgraph request the value at `location` sits (the printed request's text). */
function literalAt(
  document: DocumentNode,
  location: SourceLocation,
): { field: string; responseKey: string; argument: string; path: (string | number)[]; value: ValueNode } | null {
  const text = upstreamPrint(document);
  let parsed: DocumentNode;
  try {
    parsed = parse(text);
  } catch {
    return null;
  }
  const source = parsed.loc?.source;
  if (!source) return null;
  const at = (node: ValueNode) => {
    const start = node.loc ? getLocation(source, node.loc.start) : null;
    return start?.line === location.line && start.column === location.column;
  };
  const find = (value: ValueNode, path: (string | number)[]): { path: (string | number)[]; value: ValueNode } | null => {
    if (value.kind === Kind.OBJECT) {
      for (const f of value.fields) {
        const found = find(f.value, [...path, f.name.value]);
        if (found) return found;
      }
      return null;
    }
    if (value.kind === Kind.LIST) {
      for (let i = 0; i < value.values.length; i++) {
        const found = find(value.values[i], [...path, i]);
        if (found) return found;
      }
      return null;
    }
    return value.kind !== Kind.VARIABLE && at(value) ? { path, value } : null;
  };
  let result: ReturnType<typeof literalAt> = null;
  visit(parsed, {
    Field(node) {
      for (const argument of node.arguments ?? []) {
        const found = find(argument.value, []);
        if (found) {
          result = { field: node.name.value, responseKey: node.alias?.value ?? node.name.value, argument: argument.name.value, ...found };
          return false;
        }
      }
      return undefined;
    },
  });
  return result;
}

/**
 * A subgraph's validation error about a value written inline in the request the gateway sent it
 * (a custom scalar it checks: `from: "yesterday"`), told as graphql-js tells a bad variable value
 * of the client's argument: `Argument "from" of "unmatchedUsage" got invalid value "yesterday"; …`.
 * Other errors as they are.
 */
export function clientLiteralError(
  error: GraphQLError,
  document: DocumentNode,
  locations: readonly SourceLocation[] | undefined,
  client: ClientOperation | undefined,
): GraphQLError {
  if (!locations?.length || error.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED' || SUBGRAPH_VARIABLE.test(error.message)) return error;
  const literal = literalAt(document, locations[0]);
  if (!literal) return error;
  // The client wrote this value inline: the same field and argument, the same path in its value.
  const candidates = client ? clientFields(client, literal.field, literal.argument) : [];
  const field = candidates.find((f) => (f.alias?.value ?? f.name.value) === literal.responseKey) ?? candidates[0];
  const value = field?.arguments?.find((a) => a.name.value === literal.argument)?.value;
  if (value && clientVariableAt(value, literal.path)) return error;
  const path = `${literal.argument}${printPath(literal.path)}`;
  const at = literal.path.length ? ` at "${path}"` : '';
  const message = `Argument "${literal.argument}" of "${literal.field}" got invalid value ${inspect(valueFromASTUntyped(literal.value))}${at}; ${error.message}`;
  return new GraphQLError(message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT', field: path },
  });
}

/**
 * The errors of a subgraph's result in the client's terms (see `clientVariableError` and
 * `clientLiteralError`); null when none needs it.
 */
export function renameErrors(
  result: ExecutionResult,
  document: DocumentNode,
  client: ClientOperation | undefined,
  locations?: ErrorLocations,
): ExecutionResult | null {
  const errors = result.errors;
  // Locations are told by index: only when they are of these very errors.
  if (locations && locations.length !== errors?.length) locations = undefined;
  if (!errors?.some((e, i) => SUBGRAPH_VARIABLE.test(e.message) || locations?.[i])) return null;
  return {
    ...result,
    errors: errors.map((e, i) => clientLiteralError(clientVariableError(e, document, client), document, locations?.[i], client)),
  };
}
