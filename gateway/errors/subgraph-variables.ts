/**
 * A subgraph's errors about the variables the gateway made up when it forwarded the operation,
 * renamed back to the client's variable, or to its argument when it wrote the value inline.
 */
import {
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { fieldPath, printPath } from './variables';

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
function clientFields(info: GraphQLResolveInfo, name: string, argument: string): FieldNode[] {
  const found: FieldNode[] = [];
  const roots: (OperationDefinitionNode | FragmentDefinitionNode)[] = [info.operation, ...Object.values(info.fragments)];
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
export function clientVariableError(error: GraphQLError, document: DocumentNode, info: GraphQLResolveInfo | undefined): GraphQLError {
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

  const candidates = info ? clientFields(info, use.field, use.argument) : [];
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

export function renameErrors(
  result: ExecutionResult,
  document: DocumentNode,
  info: GraphQLResolveInfo | undefined,
): ExecutionResult | null {
  if (!result.errors?.some((e) => SUBGRAPH_VARIABLE.test(e.message))) return null;
  return { ...result, errors: result.errors.map((e) => clientVariableError(e, document, info)) };
}
